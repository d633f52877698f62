// Package graphedit is the layer-graph canvas of Workbench's Architecture
// pane: a Fyne widget that draws a directed graph of layers as cards with
// input and output ports, and edits it.
//
// The Editor holds a Graph (nodes with an op, attributes, inputs, a position
// and an optional block) and changes it only through edits recorded on an
// undo stack: drag to move, drag from an output port to a node to connect,
// box selection, delete, copy and paste, grouping into named blocks that
// collapse into one card, automatic layout (through a function the app
// supplies). It pans and zooms, draws only what is in view (a ResNet-152 of
// five hundred layers stays smooth), shows an overview of large graphs, and
// exports the whole graph as PNG or SVG.
//
// The package knows nothing of the engine: the app tells it how an op looks
// and how many inputs it takes (Editor.Style), and annotates nodes with the
// text of its shape inference (Editor.SetAnnotations): output shape,
// parameters, and the error a node causes, with its fix.
package graphedit
