// Package panetest helps the tests of the pane packages: a small shell
// that shows panes in a Fyne test window, the sample project (bare, or
// trained for two short epochs), and ways to find what a pane shows.
package panetest
