// Package architecture is the Architecture pane of Workbench: the layer-graph
// editor (widgets/graphedit) with a palette of every layer of the engine, the
// model zoo and ready-made blocks, an inspector that edits the selected
// layer's hyper-parameters with validation, live shape inference on every
// edit (errors shown on the node that causes them, with a quick fix where one
// is obvious) and the course's per-layer summary table.
//
// Like every pane it receives the window's *ui.State and follows it through
// State.OnChange (another project reloads the editor; an edit elsewhere is
// analysed again). Problems tells the Train pane what stops a graph from
// being trained.
package architecture
