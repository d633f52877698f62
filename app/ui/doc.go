// Package ui is what every pane of the main window stands on: the
// application State (open project, loaded dataset, device) and its Change
// notifications, the Pane descriptor and the pane IDs, the one way to load
// a dataset (LoadDataset), and the empty states that say what to do first.
//
// A pane package exports a ui.Pane from its pane.go; its New receives the
// window's *State, which is the pane's only host, and follows it through
// State.OnChange. Package app (the shell) lists the panes and wires the
// state to the window; panes never import app.
package ui
