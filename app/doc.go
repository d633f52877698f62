// Package app is Workbench's desktop interface: the main window, its menus,
// the navigation among panes and the status bar, file handling (open, save,
// recent files, autosave and recovery), and the panes themselves, one file
// (or package) per pane.
//
// Every pane receives the application's *State (the open project, the
// loaded dataset, the compute device) and follows it through
// State.OnChange. A pane's feature replaces its built-in empty state by
// registering itself:
//
//	func init() {
//		app.RegisterPane(app.Pane{ID: app.PaneTrain, New: newTrainPane})
//	}
//
// The same panes render to PNG files without a display (RenderPanes), which
// is how the README's screenshots and `workbench render-panes` are made.
//
// Long work runs in goroutines and reports back with fyne.Do; nothing here
// blocks the UI goroutine on the engine.
package app
