package graphedit

import (
	"math/rand"
	"testing"
)

// TestDiffApplyRoundTrip checks that every kind of change (move, attribute,
// input, add, remove, reorder, blocks) undoes and redoes exactly, and that
// merged edits undo as one.
func TestDiffApplyRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	g := residual()
	var states []Graph
	var edits []*edit
	for step := 0; step < 200; step++ {
		next := g.Clone()
		switch rng.Intn(6) {
		case 0:
			i := rng.Intn(len(next.Nodes))
			next.Nodes[i].X += float32(rng.Intn(50))
		case 1:
			i := rng.Intn(len(next.Nodes))
			if next.Nodes[i].Attrs == nil {
				next.Nodes[i].Attrs = map[string]float64{}
			}
			next.Nodes[i].Attrs["k"] = float64(rng.Intn(5))
		case 2:
			id := next.UniqueID("n")
			next.Nodes = append(next.Nodes, Node{ID: id, Op: "relu", Inputs: []string{next.Nodes[rng.Intn(len(next.Nodes))].ID}})
		case 3:
			if len(next.Nodes) > 2 {
				i := 1 + rng.Intn(len(next.Nodes)-1)
				deleteNodes(&next, map[string]bool{next.Nodes[i].ID: true})
			}
		case 4:
			i, j := rng.Intn(len(next.Nodes)), rng.Intn(len(next.Nodes))
			next.Nodes[i], next.Nodes[j] = next.Nodes[j], next.Nodes[i]
		case 5:
			next.Nodes[rng.Intn(len(next.Nodes))].Block = "b"
			if next.block("b") == nil {
				next.Blocks = append(next.Blocks, Block{Name: "b", Collapsed: rng.Intn(2) == 0})
			}
			pruneBlocks(&next)
		}
		d := diff(&g, &next)
		if d == nil {
			if !graphEqual(g, next) {
				t.Fatalf("step %d: no diff for different graphs", step)
			}
			continue
		}
		states = append(states, g.Clone())
		edits = append(edits, d)
		g = next
	}
	final := g.Clone()
	for i := len(edits) - 1; i >= 0; i-- {
		edits[i].apply(&g, false)
		if !graphEqual(g, states[i]) {
			t.Fatalf("undo of edit %d: got %+v want %+v", i, g, states[i])
		}
	}
	for i := range edits {
		edits[i].apply(&g, true)
	}
	if !graphEqual(g, final) {
		t.Fatalf("redo all: got %+v want %+v", g, final)
	}
	// Merging all edits into one gives a single step from start to end.
	m := edits[0]
	for _, d := range edits[1:] {
		m.merge(d)
	}
	m.apply(&g, false)
	if !graphEqual(g, states[0]) {
		t.Fatalf("merged undo: got %+v want %+v", g, states[0])
	}
	m.apply(&g, true)
	if !graphEqual(g, final) {
		t.Fatalf("merged redo differs")
	}
}

func TestMergingEditsUndoAsOne(t *testing.T) {
	e, _ := newTestEditor(t, chain("conv"), 300, 300)
	for v := 1; v <= 3; v++ {
		e.EditMerging("attr:conv1:out", "Set out", func(g *Graph) error {
			g.Find("conv1").Attrs = map[string]float64{"out": float64(v)}
			return nil
		})
	}
	if len(e.hist.undo) != 1 {
		t.Fatalf("%d steps for three merging edits", len(e.hist.undo))
	}
	e.SealHistory()
	e.EditMerging("attr:conv1:out", "Set out", func(g *Graph) error {
		g.Find("conv1").Attrs = map[string]float64{"out": 9}
		return nil
	})
	if len(e.hist.undo) != 2 {
		t.Fatalf("a sealed history merged: %d steps", len(e.hist.undo))
	}
	e.Undo()
	e.Undo()
	if n, _ := e.Node("conv1"); n.Attrs != nil {
		t.Fatalf("attrs after undoing all: %v", n.Attrs)
	}
}
