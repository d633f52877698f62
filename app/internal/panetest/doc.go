// Package panetest helps the tests of the pane packages: a small shell
// that shows panes in a Fyne test window, the sample project (bare, or
// trained for two short epochs), ways to find what a pane shows, and the
// golden-file check of a pane's states (AssertMarkup).
//
// Golden files live in each package's testdata/. When a pane changes on
// purpose, the failing test writes what it saw to testdata/failed/NAME:
// look at it, then copy it over testdata/NAME.
package panetest
