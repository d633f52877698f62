// Package runs owns "a run in a project": everything the train command and
// the Train pane both do to train a network recorded in a project file.
//
//   - [Settings] are a run's typed settings (the project's Hyper, its
//     TrainSettings and preprocessing mode), read with [SettingsOf] and
//     written with [Settings.Store]; [Settings.Config] turns them into the
//     engine's train.Config.
//   - [Prepare] builds the model on a backend, cuts the splits and fits the
//     preprocessing statistics: a [Prepared] run ready to train.
//   - [Begin] starts a run in the project's history and [Continue] picks up
//     the newest resumable one; the [Recorder] they return records losses,
//     checkpoints ([Recorder.Checkpoint]) and the outcome ([Recorder.Finish]).
//   - [StoreStats] and [Stats] write and read the preprocessing statistics,
//     and [Weights] finds the weights a run left, for the inspection panes
//     and the eval command.
//
// It is the one place that knows how a run is laid out in a project: the
// newest weights and optimizer state in the "weights" and "optim" groups
// (the project's model), the position and history of the newest
// checkpoint under runs/<id>/last, and the best-validation weights under
// runs/<id>/best/weights. A run started by either front end can therefore
// be continued by the other.
//
// The package is named for what it holds, runs; it sits between engine/
// and projects/ below and cmd/ and app/ above, and knows nothing of flags or
// widgets. A Recorder is plain data over a project: the caller serialises
// access (the Train pane records on its UI goroutine).
package runs
