// Package imported turns a model read by an importer (engine/interop) into
// an ordinary project: the graph with a layout for the editor, the weights
// under "weights/", the class names, the input shape and the preprocessing
// with its statistics. A large graph's layers are grouped into blocks
// (GroupBlocks) that the Architecture pane collapses into cards. The CLI's
// import command and the app's import both use it.
package imported
