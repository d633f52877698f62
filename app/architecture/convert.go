package architecture

import (
	"maps"
	"slices"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/widgets/graphedit"
)

// toEditor converts a project graph to the editor's model.
func toEditor(g graph.Graph) graphedit.Graph {
	out := graphedit.Graph{Nodes: make([]graphedit.Node, len(g.Nodes))}
	for i, n := range g.Nodes {
		out.Nodes[i] = graphedit.Node{ID: n.ID, Op: n.Op, Name: n.Name, Inputs: slices.Clone(n.Inputs),
			Attrs: maps.Clone(n.Attrs), X: n.X, Y: n.Y, Block: n.Block}
	}
	for _, b := range g.Blocks {
		out.Blocks = append(out.Blocks, graphedit.Block{Name: b.Name, Collapsed: b.Collapsed})
	}
	return out
}

// fromEditor converts the editor's model to a project graph.
func fromEditor(g graphedit.Graph) graph.Graph {
	out := graph.Graph{Nodes: make([]graph.Node, len(g.Nodes))}
	for i, n := range g.Nodes {
		out.Nodes[i] = graph.Node{ID: n.ID, Op: n.Op, Name: n.Name, Inputs: slices.Clone(n.Inputs),
			Attrs: maps.Clone(n.Attrs), X: n.X, Y: n.Y, Block: n.Block}
	}
	for _, b := range g.Blocks {
		out.Blocks = append(out.Blocks, graph.Block{Name: b.Name, Collapsed: b.Collapsed})
	}
	return out
}

// sameGraph reports whether two project graphs are equal.
func sameGraph(a, b graph.Graph) bool {
	if len(a.Nodes) != len(b.Nodes) || !slices.Equal(a.Blocks, b.Blocks) {
		return false
	}
	for i := range a.Nodes {
		x, y := &a.Nodes[i], &b.Nodes[i]
		if x.ID != y.ID || x.Op != y.Op || x.Name != y.Name || x.X != y.X || x.Y != y.Y || x.Block != y.Block ||
			!slices.Equal(x.Inputs, y.Inputs) || !maps.Equal(x.Attrs, y.Attrs) {
			return false
		}
	}
	return true
}
