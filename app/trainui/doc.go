// Package trainui is Workbench's Train pane: the run's settings (with the
// learning-rate schedule drawn as they change), Start, Pause and Stop, live
// loss and accuracy curves with per-layer activation, gradient and update
// statistics, the course's babysitting workflow as guided steps,
// hyper-parameter searches with the "command centre" plots, and the
// project's run history with a test evaluation of each run (confusion
// matrix, accuracy per class, misclassified images).
//
// Like every pane it receives the window's *ui.State and follows it through
// State.OnChange, so it builds and is tested without the main window; the
// shell lists its Pane. Training runs on a goroutine whose
// callbacks append to a buffer; the UI takes a copy at most ten times a
// second through fyne.Do, so the UI goroutine never waits on the engine.
// Runs are recorded in the project exactly as `workbench train --save`
// records them (run history, "weights/<param>", "optim/<state>",
// "runs/<id>/best/weights/<param>", "runs/<id>/last/..."), so the command
// can resume a run started here and the inspection panes find the weights.
package trainui
