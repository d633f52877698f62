// Package app is Workbench's desktop interface shell: the main window, its
// menus, the navigation among panes and the status bar, file handling
// (open, save, recent files, autosave and recovery), the pane registry, and
// RenderPanes, which draws every pane to a PNG file without a display (how
// the README's screenshots and `workbench render-panes` are made).
//
// Each pane is a package of its own (app/data, app/architecture,
// app/trainui, app/classic, app/filters, app/embeddings, app/saliency,
// app/adversarial, app/dream) exporting a ui.Pane from its pane.go. Every
// pane receives the application's *ui.State (the open project, the loaded
// dataset, the compute device) and follows it through State.OnChange; it
// never imports this package. A feature may replace a built-in pane's
// content by registering itself:
//
//	func init() {
//		app.RegisterPane(app.Pane{ID: ui.PaneTrain, New: newTrainPane})
//	}
//
// Long work runs in goroutines and reports back with fyne.Do; nothing here
// blocks the UI goroutine on the engine.
package app
