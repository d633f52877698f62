package graphedit

import (
	"fmt"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
)

// testStyle gives input no input port, add and concat any number of
// inputs, and everything else one.
func testStyle(n *Node) Style {
	s := Style{Subtitle: n.Op, Accent: color.NRGBA{0x1e, 0x88, 0xe5, 0xff}, MinInputs: 1, MaxInputs: 1}
	switch n.Op {
	case "input":
		s.MinInputs, s.MaxInputs = 0, 0
		s.Accent = color.NRGBA{0x60, 0x7d, 0x8b, 0xff}
	case "add", "concat":
		s.MinInputs, s.MaxInputs = 2, -1
		s.Accent = color.NRGBA{0xd8, 0x1b, 0x60, 0xff}
	case "relu":
		s.Accent = color.NRGBA{0xfb, 0x8c, 0x00, 0xff}
	}
	return s
}

// chain returns input -> n0 -> n1 ... laid out one row apart.
func chain(ops ...string) Graph {
	g := Graph{Nodes: []Node{{ID: "input", Op: "input", X: 0, Y: 0}}}
	prev := "input"
	for i, op := range ops {
		id := fmt.Sprintf("%s%d", op, i+1)
		g.Nodes = append(g.Nodes, Node{ID: id, Op: op, Inputs: []string{prev}, X: 0, Y: float32(i+1) * RowSpacing})
		prev = id
	}
	return g
}

// residual is a small residual block: input, conv1, relu, conv2, add(conv2,
// input), in block "res".
func residual() Graph {
	g := Graph{Nodes: []Node{
		{ID: "input", Op: "input"},
		{ID: "conv1", Op: "conv", Inputs: []string{"input"}, Y: 80, Block: "res", Attrs: map[string]float64{"out": 16}},
		{ID: "relu", Op: "relu", Inputs: []string{"conv1"}, Y: 160, Block: "res"},
		{ID: "conv2", Op: "conv", Inputs: []string{"relu"}, Y: 240, Block: "res"},
		{ID: "add", Op: "add", Inputs: []string{"conv2", "input"}, Y: 320, Block: "res"},
		{ID: "fc", Op: "linear", Inputs: []string{"add"}, Y: 400},
	}, Blocks: []Block{{Name: "res"}}}
	return g
}

// newTestEditor shows an editor with g in a test window of the given size.
func newTestEditor(t *testing.T, g Graph, w, h float32) (*Editor, fyne.Window) {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.LightTheme())
	e := NewEditor()
	e.Style = testStyle
	e.SetGraph(g)
	win := test.NewTempWindow(t, e)
	win.SetPadded(false)
	win.Resize(fyne.NewSize(w, h))
	return e, win
}

// screen returns the widget position of canvas point (x, y).
func screen(e *Editor, x, y float32) fyne.Position { return e.toScreen(fyne.NewPos(x, y)) }

func inputs(e *Editor, id string) []string {
	n, ok := e.Node(id)
	if !ok {
		return nil
	}
	return n.Inputs
}
