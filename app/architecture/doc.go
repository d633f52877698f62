// Package architecture is the Architecture pane of Workbench: the layer-graph
// editor (widgets/graphedit) with a palette of every layer of the engine, the
// model zoo and ready-made blocks, an inspector that edits the selected
// layer's hyper-parameters with validation, live shape inference on every
// edit (errors shown on the node that causes them, with a quick fix where one
// is obvious) and the course's per-layer summary table.
//
// It does not import package app: the app hands it the open project through
// the Project interface and forwards project changes to Pane.Load and
// Pane.ProjectChanged.
package architecture
