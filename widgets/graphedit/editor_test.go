package graphedit

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"image/png"
	"io"
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/test"
)

// drag moves the pointer from a to b (widget coordinates) with the primary
// button (and modifiers) held, in steps, as the desktop driver reports it.
func drag(e *Editor, a, b fyne.Position, mod fyne.KeyModifier) {
	e.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: a}, Button: desktop.MouseButtonPrimary, Modifier: mod})
	prev := a
	for i := 1; i <= 4; i++ {
		t := float32(i) / 4
		p := fyne.NewPos(a.X+(b.X-a.X)*t, a.Y+(b.Y-a.Y)*t)
		e.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: p}, Dragged: fyne.NewDelta(p.X-prev.X, p.Y-prev.Y)})
		prev = p
	}
	e.DragEnd()
	e.MouseUp(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: b}, Button: desktop.MouseButtonPrimary, Modifier: mod})
}

func click(e *Editor, p fyne.Position, mod fyne.KeyModifier) {
	e.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: p}, Button: desktop.MouseButtonPrimary, Modifier: mod})
	e.MouseUp(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: p}, Button: desktop.MouseButtonPrimary, Modifier: mod})
	e.lastDown = press{} // the next click is not a double click
}

func TestAddConnectMoveDeleteUndoRedo(t *testing.T) {
	e, _ := newTestEditor(t, chain("conv", "relu", "linear"), 600, 600)
	changes := 0
	e.OnChanged = func() { changes++ }

	// Add: a dropout inserted after relu2 takes over relu2's reader.
	id, err := e.AddNode(Node{Op: "dropout"}, "relu2")
	if err != nil || id != "dropout" {
		t.Fatalf("AddNode: %q, %v", id, err)
	}
	if got := inputs(e, "linear3"); !slices.Equal(got, []string{"dropout"}) || !slices.Equal(inputs(e, "dropout"), []string{"relu2"}) {
		t.Fatalf("after insert linear3 reads %v, dropout reads %v", got, inputs(e, "dropout"))
	}
	if n, _ := e.Node("linear3"); n.Y != 4*RowSpacing {
		t.Fatalf("the node below was not moved down a row: y=%v", n.Y)
	}
	if !e.IsSelected("dropout") {
		t.Fatalf("the new node is not selected")
	}

	// Connect by dragging from input's output port onto the card of add.
	e.AddNode(Node{ID: "add", Op: "add", X: 300, Y: 4 * RowSpacing}, "")
	e.Connect("linear3", "add")
	in, _ := e.Node("input")
	add, _ := e.Node("add")
	drag(e, screen(e, in.X, in.Y+NodeHeight/2), screen(e, add.X, add.Y), 0)
	if got := inputs(e, "add"); !slices.Equal(got, []string{"linear3", "input"}) {
		t.Fatalf("after dragging input's port onto add, add reads %v", got)
	}
	// A one-input node gets its input replaced.
	drag(e, screen(e, in.X, in.Y+NodeHeight/2), screen(e, add.X, add.Y), 0) // already connected: refused
	drag(e, screen(e, add.X, add.Y+NodeHeight/2), screen(e, 0, 4*RowSpacing), 0)
	if got := inputs(e, "linear3"); !slices.Equal(got, []string{"add"}) {
		t.Fatalf("connecting into a one-input node: linear3 reads %v", got)
	}

	// Move a card by dragging its body; the zoom scales the distance.
	conv, _ := e.Node("conv1")
	start := screen(e, conv.X, conv.Y)
	drag(e, start, start.Add(fyne.NewPos(60*e.Zoom(), 20*e.Zoom())), 0)
	if n, _ := e.Node("conv1"); abs(n.X-(conv.X+60)) > 0.01 || abs(n.Y-(conv.Y+20)) > 0.01 {
		t.Fatalf("conv1 moved to %v,%v, want %v,%v", n.X, n.Y, conv.X+60, conv.Y+20)
	}
	if e.UndoLabel() != "Move 1 node" {
		t.Fatalf("undo label %q", e.UndoLabel())
	}

	// Delete with the Delete key: relu2's reader now reads conv1.
	e.Select("relu2")
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyDelete})
	if _, ok := e.Node("relu2"); ok || !slices.Equal(inputs(e, "dropout"), []string{"conv1"}) {
		t.Fatalf("after delete: relu2 present %v, dropout reads %v", ok, inputs(e, "dropout"))
	}

	// Undo everything step by step back to the start, then redo it all.
	final := e.Graph()
	steps := 0
	for e.CanUndo() {
		e.TypedShortcut(&fyne.ShortcutUndo{})
		steps++
	}
	if got := e.Graph(); !graphEqual(got, chain("conv", "relu", "linear")) {
		t.Fatalf("after %d undos the graph is not the original:\n%+v", steps, got.Nodes)
	}
	for i := 0; i < steps; i++ {
		if i%2 == 0 {
			e.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyZ, Modifier: fyne.KeyModifierControl | fyne.KeyModifierShift})
		} else {
			e.TypedShortcut(&fyne.ShortcutRedo{})
		}
	}
	if got := e.Graph(); !graphEqual(got, final) {
		t.Fatalf("after redoing all the graph differs:\n%+v\nwant\n%+v", got.Nodes, final.Nodes)
	}
	if e.CanRedo() {
		t.Fatalf("redo stack not empty")
	}
	if changes < 2*steps {
		t.Fatalf("OnChanged called %d times for %d steps undone and redone", changes, steps)
	}
}

func graphEqual(a, b Graph) bool {
	if len(a.Nodes) != len(b.Nodes) || !slices.Equal(a.Blocks, b.Blocks) {
		return false
	}
	for i := range a.Nodes {
		if !a.Nodes[i].equal(&b.Nodes[i]) {
			return false
		}
	}
	return true
}

func TestDragFromInputPortPullsTheConnectionOff(t *testing.T) {
	e, _ := newTestEditor(t, chain("conv", "relu", "linear"), 500, 500)
	relu, _ := e.Node("relu2")
	// Pull relu2's input off and drop it on empty canvas: disconnected.
	drag(e, screen(e, relu.X, relu.Y-NodeHeight/2), screen(e, relu.X+300, relu.Y), 0)
	if got := inputs(e, "relu2"); len(got) != 0 {
		t.Fatalf("relu2 still reads %v", got)
	}
	e.Undo()
	// Pull it off and drop it on linear3: the connection from conv1 now
	// ends there, replacing linear3's input.
	lin, _ := e.Node("linear3")
	drag(e, screen(e, relu.X, relu.Y-NodeHeight/2), screen(e, lin.X, lin.Y), 0)
	if got := inputs(e, "linear3"); !slices.Equal(got, []string{"conv1"}) || len(inputs(e, "relu2")) != 0 {
		t.Fatalf("moved connection: linear3 reads %v, relu2 reads %v", got, inputs(e, "relu2"))
	}
	if !e.Undo() || !slices.Equal(inputs(e, "relu2"), []string{"conv1"}) || !slices.Equal(inputs(e, "linear3"), []string{"relu2"}) {
		t.Fatalf("one undo does not restore the connections: %v %v", inputs(e, "relu2"), inputs(e, "linear3"))
	}
	// Dragging from an input port with nothing connected draws a wire
	// backwards: dropped on conv1, relu2 reads conv1 again.
	e.Disconnect("conv1", "relu2")
	conv, _ := e.Node("conv1")
	drag(e, screen(e, relu.X, relu.Y-NodeHeight/2), screen(e, conv.X-40, conv.Y), 0)
	if got := inputs(e, "relu2"); !slices.Equal(got, []string{"conv1"}) {
		t.Fatalf("backwards wire: relu2 reads %v", got)
	}
}

func TestFyneTestDragMovesACard(t *testing.T) {
	e, w := newTestEditor(t, chain("conv"), 400, 400)
	n, _ := e.Node("conv1")
	// test.Drag reports the pointer at pos having moved by the delta.
	to := screen(e, n.X+30, n.Y)
	test.Drag(w.Canvas(), to, 30*e.Zoom(), 0)
	if m, _ := e.Node("conv1"); abs(m.X-(n.X+30)) > 0.01 {
		t.Fatalf("conv1 at x=%v after test.Drag, want %v", m.X, n.X+30)
	}
}

func TestBoxSelectionAndShiftAddsToIt(t *testing.T) {
	e, _ := newTestEditor(t, chain("conv", "relu", "linear", "softmax"), 600, 700)
	var notified int
	e.OnSelectionChanged = func() { notified++ }
	// A box around conv1 and relu2 (rows 1 and 2), starting on empty canvas.
	a := screen(e, -NodeWidth, RowSpacing-NodeHeight/2-10)
	b := screen(e, NodeWidth, 2*RowSpacing)
	drag(e, a, b, 0)
	if got := e.Selected(); !slices.Equal(got, []string{"conv1", "relu2"}) {
		t.Fatalf("box selected %v", got)
	}
	if notified == 0 {
		t.Fatalf("selection change not reported")
	}
	// Shift adds softmax; a click on empty canvas clears.
	drag(e, screen(e, -NodeWidth, 4*RowSpacing-10), screen(e, NodeWidth, 4*RowSpacing+10), fyne.KeyModifierShift)
	if got := e.Selected(); !slices.Equal(got, []string{"conv1", "relu2", "softmax4"}) {
		t.Fatalf("shift-box selected %v", got)
	}
	click(e, screen(e, 2*NodeWidth, 2*RowSpacing), 0)
	if got := e.Selected(); len(got) != 0 {
		t.Fatalf("click on empty canvas left %v selected", got)
	}
	// Ctrl-click toggles cards in and out.
	click(e, screen(e, 0, RowSpacing), fyne.KeyModifierControl)
	click(e, screen(e, 0, 3*RowSpacing), fyne.KeyModifierControl)
	click(e, screen(e, 0, RowSpacing), fyne.KeyModifierControl)
	if got := e.Selected(); !slices.Equal(got, []string{"linear3"}) {
		t.Fatalf("ctrl-clicks selected %v", got)
	}
	// Ctrl+A selects all.
	e.TypedShortcut(&fyne.ShortcutSelectAll{})
	if len(e.Selected()) != 5 {
		t.Fatalf("select all: %v", e.Selected())
	}
}

func TestClickOnConnectionSelectsItAndDeleteRemovesIt(t *testing.T) {
	e, _ := newTestEditor(t, chain("conv", "relu"), 400, 500)
	click(e, screen(e, 0, RowSpacing+RowSpacing/2), 0) // between conv1 and relu2
	src, dst, ok := e.SelectedEdge()
	if !ok || src != "conv1" || dst != "relu2" {
		t.Fatalf("selected edge %q -> %q (%v)", src, dst, ok)
	}
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyBackspace})
	if len(inputs(e, "relu2")) != 0 || len(e.Graph().Nodes) != 3 {
		t.Fatalf("delete on an edge: relu2 reads %v, %d nodes", inputs(e, "relu2"), len(e.Graph().Nodes))
	}
}

func TestCopyPasteReusesABlockUnderFreshNames(t *testing.T) {
	e, _ := newTestEditor(t, residual(), 600, 700)
	e.Select("conv1", "relu", "conv2", "add")
	if b := e.SelectedBlock(); b != "res" {
		t.Fatalf("SelectedBlock = %q", b)
	}
	e.TypedShortcut(&fyne.ShortcutCopy{})
	// Paste after the block's output: the copy reads add, fc reads the
	// copy's add.
	e.Select("add")
	e.TypedShortcut(&fyne.ShortcutPaste{})
	g := e.Graph()
	if len(g.Nodes) != 10 || len(g.Blocks) != 2 || g.Blocks[1].Name != "res1" {
		t.Fatalf("after paste: %d nodes, blocks %+v", len(g.Nodes), g.Blocks)
	}
	pasted := e.Selected()
	if len(pasted) != 4 {
		t.Fatalf("pasted selection %v", pasted)
	}
	for _, id := range pasted {
		n := g.Find(id)
		if n.Block != "res1" {
			t.Fatalf("pasted %s in block %q", id, n.Block)
		}
	}
	c1 := g.Find("conv3")
	if c1 == nil || !slices.Equal(c1.Inputs, []string{"add"}) {
		t.Fatalf("pasted conv reads %+v", c1)
	}
	add2 := g.Find("add1")
	if add2 == nil || !slices.Equal(add2.Inputs, []string{"conv4", "add"}) {
		t.Fatalf("pasted add: %+v", add2)
	}
	if fc := g.Find("fc"); !slices.Equal(fc.Inputs, []string{"add1"}) || fc.Y <= add2.Y {
		t.Fatalf("fc reads %v at y=%v (pasted add at %v)", fc.Inputs, fc.Y, add2.Y)
	}
	// One undo removes the whole paste.
	e.Undo()
	if !graphEqual(e.Graph(), residual()) {
		t.Fatalf("undo after paste did not restore the graph")
	}
	// Text that is not a copied graph pastes nothing.
	fyne.CurrentApp().Clipboard().SetContent("hello")
	e.clip = nil
	e.Paste()
	if len(e.Graph().Nodes) != 6 {
		t.Fatalf("pasting foreign text changed the graph")
	}
}

func TestCollapsedBlockIsOneCardAndDoubleClickExpandsIt(t *testing.T) {
	e, _ := newTestEditor(t, residual(), 600, 700)
	layouts := 0
	e.Layout = func(g *Graph) {
		layouts++
		for i := range g.Nodes {
			g.Nodes[i].X, g.Nodes[i].Y = 0, float32(i)*RowSpacing
		}
	}
	e.SetCollapsed("res", true)
	if len(e.sc.items) != 3 || !e.sc.items[1].block || e.sc.items[1].id != "res" {
		t.Fatalf("collapsed scene has %d cards: %+v", len(e.sc.items), e.sc.items)
	}
	if layouts != 1 {
		t.Fatalf("collapsing laid out %d times", layouts)
	}
	// The reduced graph was laid out: the block's card is in row 1, fc in row 2.
	if fc, _ := e.Node("fc"); fc.Y != 2*RowSpacing {
		t.Fatalf("fc at y=%v after collapse", fc.Y)
	}
	// Edges: input -> res, res -> fc (the shortcut inside is hidden).
	if len(e.sc.edges) != 2 {
		t.Fatalf("%d edges with the block collapsed", len(e.sc.edges))
	}
	// Connections dropped on the block go to its entry.
	it := e.sc.items[1]
	p := screen(e, it.x, it.y)
	e.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: p}, Button: desktop.MouseButtonPrimary})
	e.MouseUp(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: p}, Button: desktop.MouseButtonPrimary})
	if e.SelectedBlock() != "res" {
		t.Fatalf("clicking the block card selected %v", e.Selected())
	}
	e.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: p}, Button: desktop.MouseButtonPrimary})
	if _, collapsed := e.BlockOf("conv1"); collapsed || len(e.sc.items) != 6 {
		t.Fatalf("double click did not expand the block (%d cards)", len(e.sc.items))
	}
	e.Undo()
	if _, collapsed := e.BlockOf("conv1"); !collapsed {
		t.Fatalf("undo did not collapse the block again")
	}
}

func TestGroupAndUngroup(t *testing.T) {
	e, _ := newTestEditor(t, chain("conv", "relu", "linear"), 500, 500)
	if err := e.Group("stem", []string{"conv1", "relu2"}); err != nil {
		t.Fatal(err)
	}
	if b, _ := e.BlockOf("relu2"); b != "stem" || len(e.sc.frames) != 1 {
		t.Fatalf("relu2 in block %q, %d frames", b, len(e.sc.frames))
	}
	if err := e.Group("stem", []string{"linear3"}); err == nil {
		t.Fatalf("a second block with the same name was accepted")
	}
	if err := e.Group("conv1", []string{"linear3"}); err == nil {
		t.Fatalf("a block named like a node was accepted")
	}
	e.Ungroup("stem")
	if b, _ := e.BlockOf("relu2"); b != "" || len(e.Graph().Blocks) != 0 {
		t.Fatalf("ungroup left block %q", b)
	}
}

func TestWheelZoomsAboutThePointerAndKeysZoom(t *testing.T) {
	e, _ := newTestEditor(t, chain("conv", "relu"), 500, 500)
	p := fyne.NewPos(120, 200)
	before := e.toCanvas(p)
	z := e.Zoom()
	e.Scrolled(&fyne.ScrollEvent{PointEvent: fyne.PointEvent{Position: p}, Scrolled: fyne.NewDelta(0, 10)})
	if e.Zoom() <= z {
		t.Fatalf("wheel up did not zoom in: %v -> %v", z, e.Zoom())
	}
	if after := e.toCanvas(p); abs(after.X-before.X) > 0.01 || abs(after.Y-before.Y) > 0.01 {
		t.Fatalf("the point under the pointer moved: %v -> %v", before, after)
	}
	e.TypedRune('0')
	if e.Zoom() != 1 {
		t.Fatalf("0 did not reset the zoom: %v", e.Zoom())
	}
	e.TypedRune('-')
	if e.Zoom() >= 1 {
		t.Fatalf("- did not zoom out")
	}
	e.TypedShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyEqual, Modifier: fyne.KeyModifierControl})
	if abs(e.Zoom()-1) > 1e-5 {
		t.Fatalf("ctrl+= did not zoom back in: %v", e.Zoom())
	}
	// Middle-button drag pans.
	off := e.offset
	e.MouseDown(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: p}, Button: desktop.MouseButtonTertiary})
	e.Dragged(&fyne.DragEvent{PointEvent: fyne.PointEvent{Position: p.Add(fyne.NewPos(50, 0))}, Dragged: fyne.NewDelta(50, 0)})
	e.DragEnd()
	if abs(e.offset.X-(off.X-50/e.Zoom())) > 0.01 || len(e.Graph().Nodes) != 3 {
		t.Fatalf("middle drag: offset %v -> %v", off, e.offset)
	}
}

// bigChain is a graph like ResNet-152's length: n nodes in one column.
func bigChain(n int) Graph {
	ops := make([]string, n-1)
	for i := range ops {
		ops[i] = []string{"conv", "relu", "add"}[i%3]
	}
	g := chain(ops...)
	for i := range g.Nodes {
		if g.Nodes[i].Op == "add" {
			// A shortcut from three rows up, as in a residual network.
			g.Nodes[i].Inputs = append(g.Nodes[i].Inputs, g.Nodes[max(0, i-3)].ID)
		}
	}
	return g
}

func TestLargeGraphsDrawOnlyWhatIsInView(t *testing.T) {
	e, w := newTestEditor(t, bigChain(600), 800, 600)
	r := test.WidgetRenderer(e).(*renderer)
	boxes := 0
	card := fyne.NewSize(NodeWidth*e.Zoom(), NodeHeight*e.Zoom())
	for _, o := range r.Objects() {
		if rc, ok := o.(*canvas.Rectangle); ok && rc.Size() == card && rc.StrokeWidth > 0 {
			boxes++
		}
	}
	visible := int(600/(RowSpacing*e.Zoom())) + 2
	if boxes == 0 || boxes > 3*visible {
		t.Fatalf("%d card rectangles drawn for about %d visible rows of 600", boxes, visible)
	}
	if len(r.Objects()) > 1500 {
		t.Fatalf("%d objects drawn", len(r.Objects()))
	}
	// The overview is shown for a graph that does not fit, and a click on
	// it moves the view there.
	mm, ok := e.minimapRect()
	if !ok {
		t.Fatalf("no overview for a 600-node graph")
	}
	click(e, fyne.NewPos(mm.x+mm.w/2, mm.y+mm.h-2), 0)
	_, vy0, _, vy1 := e.viewRect()
	if vy1 < e.sc.y1-200 {
		t.Fatalf("clicking the overview's bottom shows y %v..%v of %v", vy0, vy1, e.sc.y1)
	}
	_ = w
}

func TestExportSVGAndPNGShowTheWholeGraph(t *testing.T) {
	e, _ := newTestEditor(t, residual(), 300, 300)
	e.SetAnnotations(map[string]Annotation{"add": {Error: "inputs <differ>", Fix: "add a projection"}, "conv1": {Shape: "16×32×32"}})
	var svg bytes.Buffer
	if err := e.ExportSVG(&svg); err != nil {
		t.Fatal(err)
	}
	s := svg.String()
	for _, want := range []string{`<svg xmlns="http://www.w3.org/2000/svg"`, `id="conv1"`, `16×32×32`, `data-from="input" data-to="add"`,
		`class="error" data-node="add"`, "inputs &lt;differ&gt;", "Fix: add a projection", `>res</text>`, "</svg>"} {
		if !strings.Contains(s, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	// Well-formed XML.
	dec := xml.NewDecoder(strings.NewReader(s))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the SVG is not well-formed XML: %v", err)
		}
	}
	if n := strings.Count(s, `class="node"`); n != 6 {
		t.Errorf("SVG has %d nodes, want 6", n)
	}
	if n := strings.Count(s, `class="edge"`); n != 6 {
		t.Errorf("SVG has %d edges, want 6", n)
	}
	var buf bytes.Buffer
	if err := e.ExportPNG(&buf, 1); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// The whole graph (6 rows and the error callout), not the 300x300 view.
	if b := img.Bounds(); b.Dy() < 5*RowSpacing || b.Dx() < NodeWidth+calloutWidth {
		t.Fatalf("PNG is %v", b)
	}
}

func TestGoldenResidualBlockWithAnError(t *testing.T) {
	e, w := newTestEditor(t, residual(), 560, 560)
	e.SetAnnotations(map[string]Annotation{
		"input": {Shape: "3×32×32"},
		"conv1": {Shape: "16×32×32", Detail: "448 params"},
		"relu":  {Shape: "16×32×32"},
		"conv2": {Shape: "16×32×32", Detail: "2.3k params"},
		"add":   {Error: "add inputs differ: [16 32 32] and [3 32 32]", Fix: "add a 1x1 conv projection on the shortcut"},
		"fc":    {Shape: "10", Detail: "30.7k params"},
	})
	e.Select("relu")
	test.AssertImageMatches(t, "residual_error.png", w.Canvas().Capture())
}

func TestEditsReportRefusals(t *testing.T) {
	e, _ := newTestEditor(t, chain("conv"), 400, 400)
	var msgs []string
	e.OnMessage = func(m string) { msgs = append(msgs, m) }
	if err := e.Connect("conv1", "conv1"); err == nil {
		t.Fatalf("self loop accepted")
	}
	if err := e.Connect("conv1", "input"); err == nil {
		t.Fatalf("a connection into the input was accepted")
	}
	if _, err := e.AddNode(Node{Op: "input"}, "conv1"); err == nil {
		t.Fatalf("an input inserted after a node")
	}
	if len(msgs) != 3 || !strings.Contains(msgs[0], "own output") {
		t.Fatalf("messages %q", msgs)
	}
	if e.CanUndo() {
		t.Fatalf("refused edits were recorded")
	}
}

func TestUniqueIDs(t *testing.T) {
	g := chain("conv", "conv") // input, conv1, conv2
	for _, c := range []struct{ base, want string }{{"conv", "conv"}, {"conv1", "conv3"}, {"input", "input1"}, {"", "node"}} {
		if got := g.UniqueID(c.base); got != c.want {
			t.Errorf("UniqueID(%q) = %q, want %q", c.base, got, c.want)
		}
	}
}

// TestOverviewOfCollapsedBlocks guards the overview's drawing of a
// collapsed block's card (it once had no colour and crashed the painter).
func TestOverviewOfCollapsedBlocks(t *testing.T) {
	g := bigChain(300)
	for i := range g.Nodes[10:100] {
		g.Nodes[10+i].Block = fmt.Sprintf("b%d", i/10)
	}
	for i := 0; i < 9; i++ {
		g.Blocks = append(g.Blocks, Block{Name: fmt.Sprintf("b%d", i), Collapsed: i%2 == 0})
	}
	e, w := newTestEditor(t, g, 800, 600)
	mm, ok := e.minimapRect()
	if !ok {
		t.Fatalf("no overview")
	}
	img := e.minimapImage(int(mm.w), int(mm.h))
	if img.Bounds().Dx() != int(mm.w) {
		t.Fatalf("overview image %v", img.Bounds())
	}
	w.Canvas().Capture()
	if n := len(e.sc.items); n != 300-50+5 {
		t.Fatalf("%d cards with 9 blocks of 10 (5 collapsed)", n)
	}
}

// TestPasteACollapsedBlockAfterAnotherBlock reuses a residual block the way
// people do on a collapsed network: copy one block's card, select the
// next, paste. The copy follows the selected block (its shortcut included)
// and the rest of the network follows the copy.
func TestPasteACollapsedBlockAfterAnotherBlock(t *testing.T) {
	g := residual()
	g.Blocks[0].Collapsed = true
	e, _ := newTestEditor(t, g, 600, 700)
	e.Layout = func(g *Graph) {
		for i := range g.Nodes {
			g.Nodes[i].X, g.Nodes[i].Y = 0, float32(i)*RowSpacing
		}
	}
	k := e.sc.byID["res"]
	click(e, screen(e, e.sc.items[k].x, e.sc.items[k].y), 0)
	if e.SelectedBlock() != "res" {
		t.Fatalf("clicking the block selected %v", e.Selected())
	}
	e.Copy()
	e.Paste()
	got := e.Graph()
	add1 := got.Find("add1")
	if add1 == nil || !slices.Equal(add1.Inputs, []string{"conv4", "add"}) {
		t.Fatalf("pasted add: %+v", add1)
	}
	if c := got.Find("conv3"); c == nil || !slices.Equal(c.Inputs, []string{"add"}) {
		t.Fatalf("pasted entry: %+v", c)
	}
	if fc := got.Find("fc"); !slices.Equal(fc.Inputs, []string{"add1"}) {
		t.Fatalf("fc reads %v", fc.Inputs)
	}
	// Laid out again: three cards in a column, the copy in the middle.
	if len(e.sc.items) != 4 {
		t.Fatalf("%d cards after pasting a collapsed block", len(e.sc.items))
	}
	res1 := e.sc.items[e.sc.byID["res1"]]
	if res1.y <= e.sc.items[e.sc.byID["res"]].y || res1.y >= e.sc.items[e.sc.byID["fc"]].y {
		t.Fatalf("pasted block card at y=%v", res1.y)
	}
}
