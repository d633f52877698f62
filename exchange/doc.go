// Package exchange moves models in and out of Workbench for both front
// ends, the CLI's import and export commands and the app's File ▸ Import
// model… and Export model…:
//
//   - [KindOf] tells which importer reads a path (an ONNX file, or a
//     TensorFlow.js layers model as model.json, its folder or an npm .tgz);
//     [Read] runs it and returns the imported model, which
//     projects/imported turns into a project.
//   - [Write] exports a graph with its weights in one of [Formats]: ONNX,
//     a NumPy .npz of the weights, or a PyTorch folder (model.py and
//     weights.npz).
//
// Errors that come from the input (a file that is not a model, a path that
// is not there, a model the exporter cannot express) wrap [ErrInput], so a
// front end can tell bad input from a failure; an import that meets layers
// it cannot map returns *interop.UnsupportedError and loads nothing.
//
// It sits beside runs, between engine/ and projects/ below and cmd/ and
// app/ above, and knows nothing of flags or widgets.
package exchange
