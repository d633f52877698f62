package architecture

import (
	"bytes"
	"image/png"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/widgets/graphedit"
)

func TestPaletteOffersEveryLayerByGroupTheZooAndBlocks(t *testing.T) {
	secs := paletteEntries()
	var titles []string
	have := map[string]string{}
	for _, s := range secs {
		titles = append(titles, s.title)
		for _, e := range s.entries {
			have[e.kind+":"+e.name] = s.title
			if e.label == "" || e.doc == "" {
				t.Errorf("%s %s has no label or description", e.kind, e.name)
			}
		}
	}
	for _, want := range []string{"Convolution & linear", "Pooling", "Normalisation", "Activation", "Regularisation",
		"Merge", "Output", "Shape", "Blocks", "Model zoo"} {
		if !slices.Contains(titles, want) {
			t.Errorf("palette lacks section %q (has %q)", want, titles)
		}
	}
	for _, o := range nn.Ops() {
		if _, ok := have["op:"+o.Name]; !ok {
			t.Errorf("palette lacks the engine's %s layer", o.Name)
		}
	}
	if have["op:conv2d"] != "Convolution & linear" || have["op:relu"] != "Activation" || have["op:add"] != "Merge" {
		t.Errorf("ops in the wrong sections: %v", have)
	}
	for _, m := range models.Names() {
		if have["zoo:"+m] != "Model zoo" {
			t.Errorf("palette lacks zoo model %s", m)
		}
	}
	for _, b := range []string{"residual", "bottleneck", "se", "se-mobilenet_v3", "se-efficientnet", "inception-naive", "inception-reduced"} {
		if have["block:"+b] != "Blocks" {
			t.Errorf("palette lacks block %s", b)
		}
	}
}

// setAttr types a value into the inspector's field for the selected node.
func setField(t *testing.T, p *editorPane, name, value string) {
	t.Helper()
	f := p.insp.attrs[name]
	if f == nil || f.entry == nil {
		t.Fatalf("inspector has no field %s (shows %q)", name, p.insp.key)
	}
	f.entry.SetText(value)
}

func TestBuildLeNet5FromThePaletteByClicking(t *testing.T) {
	p, proj, _ := newTestPane(t, graph.Graph{}, 1280, 800)
	if !p.empty.Visible() {
		t.Fatalf("an empty network shows no empty state")
	}
	tap := func(op string) { test.Tap(paletteItemNamed(t, p, "op", op)) }
	tap("input")
	if p.empty.Visible() {
		t.Fatalf("the empty state stays after adding an input")
	}
	layers := []struct {
		op    string
		attrs map[string]string
	}{
		{"conv2d", map[string]string{"out": "6", "kernel": "5", "pad": "2"}}, {"tanh", nil},
		{"avgpool2d", map[string]string{"kernel": "2"}},
		{"conv2d", map[string]string{"out": "16", "kernel": "5"}}, {"tanh", nil},
		{"avgpool2d", map[string]string{"kernel": "2"}}, {"flatten", nil},
		{"linear", map[string]string{"out": "120"}}, {"tanh", nil},
		{"linear", map[string]string{"out": "84"}}, {"tanh", nil},
		{"linear", nil}, // the project's 10 classes by default
	}
	for _, l := range layers {
		tap(l.op)
		for k, v := range l.attrs {
			setField(t, p, k, v)
		}
	}
	if !p.res.ok() {
		t.Fatalf("hand-built LeNet-5 has problems: %v", p.Problems())
	}
	s := p.res.sum
	if s.Params != 61706 || !slices.Equal(s.Output, []int{10}) || !slices.Equal(s.Input, []int{1, 28, 28}) {
		t.Fatalf("LeNet-5: %d params, %v -> %v", s.Params, s.Input, s.Output)
	}
	if len(proj.graph().Nodes) != 13 || proj.sets == 0 {
		t.Fatalf("project holds %d nodes after %d edits", len(proj.graph().Nodes), proj.sets)
	}
	if !strings.Contains(p.status.Text, "61,706 parameters") {
		t.Fatalf("status %q", p.status.Text)
	}
	// Every card shows its output shape.
	if got := ids(p); !slices.Equal(got, []string{"input", "conv1", "tanh1", "avgpool1", "conv2", "tanh2", "avgpool2",
		"flatten1", "fc1", "tanh3", "fc2", "tanh4", "fc3"}) {
		t.Fatalf("layer names %v", got)
	}
	if a := p.ed.Annotation("conv2"); a.Shape != "16×10×10" || a.Detail != "2.4k params" {
		t.Fatalf("second conv's card: %+v (nodes %v)", a, ids(p))
	}
}

func TestAnErrorAppearsOnTheNodeThatCausesItAndClearsWhenFixed(t *testing.T) {
	p, _, _ := newTestPane(t, refCNN(t), 1280, 800)
	if !p.res.ok() {
		t.Fatalf("ref-cnn has problems: %v", p.Problems())
	}
	flatten := ""
	for _, n := range p.ed.Graph().Nodes {
		if n.Op == "flatten" {
			flatten = n.ID
		}
	}
	p.ed.Delete(flatten)
	var bad []string
	for _, n := range p.ed.Graph().Nodes {
		if p.ed.Annotation(n.ID).Error != "" {
			bad = append(bad, n.ID)
		}
	}
	fc := bad
	if len(bad) != 1 || node(t, p, bad[0]).Op != "linear" {
		t.Fatalf("errors on %v after deleting the flatten", bad)
	}
	a := p.ed.Annotation(fc[0])
	if !strings.Contains(a.Error, "needs a 1-D input") || !strings.Contains(a.Fix, "Flatten") {
		t.Fatalf("the linear layer's error: %+v", a)
	}
	if p.status.Importance != widget.DangerImportance || !strings.Contains(p.status.Text, fc[0]) {
		t.Fatalf("status %q", p.status.Text)
	}
	// The inspector offers the quick fix; it inserts a Flatten.
	p.ed.Select(fc[0])
	buttons := panetest.Find[*widget.Button](p.insp.root, func(b *widget.Button) bool { return strings.HasPrefix(b.Text, "Insert a Flatten") })
	if len(buttons) != 1 {
		t.Fatalf("no quick fix in the inspector: %s", panetest.Texts(p.insp.root))
	}
	test.Tap(buttons[0])
	if !p.res.ok() || p.ed.Annotation(fc[0]).Error != "" {
		t.Fatalf("after the quick fix: %v", p.Problems())
	}

	// A kernel larger than its input: the error is on that convolution
	// only, and typing a good value clears it.
	conv := ""
	for _, n := range p.ed.Graph().Nodes {
		if n.Op == "conv2d" {
			conv = n.ID
		}
	}
	p.ed.Select(conv)
	setField(t, p, "kernel", "30")
	if e := p.ed.Annotation(conv).Error; !strings.Contains(e, "does not fit") {
		t.Fatalf("conv with kernel 30: %q; problems %v", e, p.Problems())
	}
	if len(p.res.problems) != 1 {
		t.Fatalf("one bad kernel caused %d problems: %v", len(p.res.problems), p.Problems())
	}
	setField(t, p, "kernel", "3")
	if !p.res.ok() {
		t.Fatalf("kernel 3 again: %v", p.Problems())
	}
}

func TestQuickFixesForResidualChannelsUnconnectedInputsAndCycles(t *testing.T) {
	g := refCNN(t)
	p, _, _ := newTestPane(t, g, 1280, 800)
	// A residual add of conv1's output (32 channels, 28x28) and conv2's
	// (64 channels, 14x14): a channel mismatch on the add.
	add, err := p.ed.AddNode(nodeOf("add"), "")
	if err != nil {
		t.Fatal(err)
	}
	convs := opsOf(p, "conv2d")
	relus := opsOf(p, "relu")
	p.ed.Connect(relus[1], add)
	p.ed.Connect(relus[0], add)
	var mismatch *problem
	for _, q := range p.res.problemsOf(add) {
		if strings.Contains(q.msg, "channel mismatch at a residual add") {
			mismatch = &q
		}
	}
	if mismatch == nil {
		t.Fatalf("add problems: %+v", p.res.problemsOf(add))
	}
	qf := fixFor(p.res, p.ed, *mismatch)
	if qf == nil || !strings.Contains(qf.label, "1×1 convolution") {
		t.Fatalf("quick fix %+v", qf)
	}
	if err := qf.apply(p.ed); err != nil {
		t.Fatal(err)
	}
	for _, q := range p.res.problemsOf(add) {
		if !strings.Contains(q.msg, "not used") {
			t.Fatalf("after the projection the add still has %v", q)
		}
	}
	info := p.res.an.Nodes[add]
	if !slices.Equal(info.Out, []int{64, 14, 14}) {
		t.Fatalf("add output %v", info.Out)
	}
	_ = convs

	// An unconnected layer: connected to the nearest layer above it.
	p.ed.Undo()
	p.ed.Undo()
	p.ed.Undo()
	p.ed.Undo()
	lone, _ := p.ed.AddNode(nodeOf("relu"), "")
	n := node(t, p, lone)
	p.ed.Edit("place", func(g *graphedit.Graph) error {
		m := g.Find(lone)
		m.X, m.Y = n.X, node(t, p, relus[0]).Y+30
		return nil
	})
	pr := p.res.problemsOf(lone)
	if len(pr) == 0 {
		t.Fatalf("no problem on an unconnected relu")
	}
	qf = fixFor(p.res, p.ed, pr[0])
	if qf == nil || qf.label != "Connect "+relus[0]+" → "+lone {
		t.Fatalf("quick fix for the unconnected relu: %+v", qf)
	}
	qf.apply(p.ed)
	if len(p.res.problemsOf(lone)) != 0 && !strings.Contains(p.res.problemsOf(lone)[0].msg, "not used") {
		t.Fatalf("still %v", p.res.problemsOf(lone))
	}

	// A cycle: each node on it says so; the fix disconnects one edge.
	p.ed.Delete(lone)
	p.ed.Connect(relus[1], convs[0]) // conv1 now also reads relu2: conv1 is full, its input is replaced
	var cyc []string
	for _, q := range p.res.problems {
		if strings.Contains(q.msg, "cycle") {
			cyc = append(cyc, q.id)
		}
	}
	if len(cyc) < 2 {
		t.Fatalf("cycle problems on %v; all %v", cyc, p.Problems())
	}
	for range 3 {
		var q *problem
		for i := range p.res.problems {
			if strings.Contains(p.res.problems[i].msg, "cycle") {
				q = &p.res.problems[i]
				break
			}
		}
		if q == nil {
			break
		}
		if qf := fixFor(p.res, p.ed, *q); qf != nil {
			qf.apply(p.ed)
		}
	}
	for _, q := range p.res.problems {
		if strings.Contains(q.msg, "cycle") {
			t.Fatalf("the quick fixes left a cycle: %v", p.Problems())
		}
	}
}

func TestInspectorValidatesAsYouTypeAndOneUndoRevertsTheTyping(t *testing.T) {
	p, _, _ := newTestPane(t, refCNN(t), 1280, 800)
	conv := opsOf(p, "conv2d")[0]
	p.ed.Select(conv)
	before := p.ed.Graph()
	f := p.insp.attrs["out"]
	for _, bad := range []string{"abc", "2.5", "0", "-3"} {
		f.entry.SetText(bad)
		if !f.note.Visible() || f.note.Importance != widget.DangerImportance {
			t.Fatalf("%q: no error shown under the field", bad)
		}
		if attrOf(node(t, p, conv), "out") != 32 {
			t.Fatalf("%q was applied", bad)
		}
	}
	if !strings.Contains(f.note.Text, "between 1 and") {
		t.Fatalf("range error reads %q", f.note.Text)
	}
	steps := len(p.ed.Graph().Nodes)
	_ = steps
	for _, s := range []string{"1", "12", "128"} {
		f.entry.SetText(s)
	}
	if f.note.Visible() || attrOf(node(t, p, conv), "out") != 128 {
		t.Fatalf("valid value: note %v, out %v", f.note.Visible(), attrOf(node(t, p, conv), "out"))
	}
	if !strings.Contains(p.ed.Annotation(conv).Shape, "128×") {
		t.Fatalf("the card's shape did not follow: %q", p.ed.Annotation(conv).Shape)
	}
	p.ed.Undo()
	if got := fromEditor(p.ed.Graph()); !sameGraph(got, fromEditor(before)) {
		t.Fatalf("one undo did not revert the typing")
	}
	if f.entry.Text != "32" {
		t.Fatalf("the field shows %q after undo", f.entry.Text)
	}
	// Bias is a check box.
	if p.insp.attrs["bias"].check == nil {
		t.Fatalf("bias is not a check box")
	}
	p.insp.attrs["bias"].check.SetChecked(false)
	if attrOf(node(t, p, conv), "bias") != 0 || p.res.an.Nodes[conv].Params != 32*9 {
		t.Fatalf("bias off: %v params", p.res.an.Nodes[conv].Params)
	}
}

func TestZooModelsAreAdaptedToTheProjectAndUndoable(t *testing.T) {
	p, proj, _ := newTestPane(t, refCNN(t), 1280, 800)
	before := proj.graph()
	p.InsertModel("lenet5")
	s := p.res.sum
	if !slices.Equal(s.Input, []int{1, 28, 28}) || !slices.Equal(s.Output, []int{10}) || !p.res.ok() {
		t.Fatalf("LeNet-5 for the project: %v -> %v, %v", s.Input, s.Output, p.Problems())
	}
	p.ed.Undo()
	if !sameGraph(proj.graph(), before) {
		t.Fatalf("undo did not bring the network back")
	}
	proj.setData([]int{3, 32, 32}, 100)
	p.InsertModel("resnet18")
	if s := p.res.sum; !slices.Equal(s.Input, []int{3, 32, 32}) || !slices.Equal(s.Output, []int{100}) || !p.res.ok() {
		t.Fatalf("ResNet-18 for CIFAR-100: %v -> %v", s.Input, s.Output)
	}
	if len(p.ed.Blocks()) != 8 {
		t.Fatalf("ResNet-18 has %d blocks", len(p.ed.Blocks()))
	}
}

// TestResNet152IsBuiltAndAnalysedOffTheUIGoroutine checks the large-graph
// path: the model is built and analysed in the background and the result
// shown when it arrives; the canvas draws only what is in view.
func TestResNet152IsBuiltAndAnalysedOffTheUIGoroutine(t *testing.T) {
	pending := make(chan func(), 4)
	old := background
	background = func(work, then func()) {
		go func() {
			work()
			pending <- then
		}()
	}
	t.Cleanup(func() { background = old })
	p, proj, w := newTestPane(t, refCNN(t), 1280, 800)
	proj.setData([]int{3, 224, 224}, 1000)
	p.InsertModel("resnet152")
	if !strings.Contains(p.status.Text, "Building") {
		t.Fatalf("status while building: %q", p.status.Text)
	}
	wait := func() {
		select {
		case f := <-pending:
			f()
		case <-time.After(2 * time.Minute):
			t.Fatal("background work did not finish")
		}
	}
	wait() // the model arrives and replaces the graph
	if p.ed.Len() < 500 || p.res.sum.Params == 60192808 {
		t.Fatalf("%d nodes, analysed already (%d params) before the background work finished", p.ed.Len(), p.res.sum.Params)
	}
	wait() // its analysis arrives
	if p.res.sum.Params != 60192808 || !p.res.ok() {
		t.Fatalf("ResNet-152: %d params, %v", p.res.sum.Params, p.Problems())
	}
	// An edit analysed later than a newer one is dropped.
	p.ed.Select("fc")
	setField(t, p, "out", "10")
	setField(t, p, "out", "20")
	wait()
	wait()
	if s := p.res.sum.Output; !slices.Equal(s, []int{20}) {
		t.Fatalf("after two quick edits the summary shows output %v", s)
	}
	img := w.Canvas().Capture()
	if img.Bounds().Dx() != 1280 {
		t.Fatalf("capture %v", img.Bounds())
	}
}

func TestBlocksInsertAfterTheSelectedLayerAndCollapse(t *testing.T) {
	p, _, _ := newTestPane(t, refCNN(t), 1280, 800)
	relu := opsOf(p, "relu")[0]
	n0 := p.ed.Len()
	pool := opsOf(p, "maxpool2d")[0]
	for _, kind := range []string{"residual", "bottleneck", "se", "inception-reduced"} {
		// The shape-keeping blocks follow the first ReLU; the Inception
		// module (32 channels in, 480 out) follows the first pool.
		if kind == "inception-reduced" {
			p.ed.Select(pool)
		} else {
			p.ed.Select(relu)
		}
		test.Tap(paletteItemNamed(t, p, "block", kind))
		if !p.res.ok() {
			t.Fatalf("after inserting %s: %v", kind, p.Problems())
		}
	}
	if got := len(p.ed.Blocks()); got != 4 {
		t.Fatalf("%d blocks: %+v", got, p.ed.Blocks())
	}
	if p.ed.Len() <= n0+20 {
		t.Fatalf("%d nodes after four blocks (from %d)", p.ed.Len(), n0)
	}
	// The residual block keeps the shape: the convolution after it still
	// reads 32 channels.
	if b := p.ed.Blocks()[0]; b.Name != "res1" {
		t.Fatalf("first block %q", b.Name)
	}
	// Select a block's layers: the inspector offers collapse; collapsed it
	// is one card and the summary still lists every layer.
	var members []string
	for _, n := range p.ed.Graph().Nodes {
		if n.Block == "se1" {
			members = append(members, n.ID)
		}
	}
	p.ed.Select(members...)
	if !strings.HasPrefix(p.insp.key, "block:se1") {
		t.Fatalf("inspector shows %q", p.insp.key)
	}
	collapse := panetest.Find[*widget.Button](p.insp.root, func(b *widget.Button) bool { return b.Text == "Collapse" })
	test.Tap(collapse[0])
	if _, c := p.ed.BlockOf(members[0]); !c {
		t.Fatalf("not collapsed")
	}
	if len(p.res.sum.Layers) != p.ed.Len() {
		t.Fatalf("summary lists %d of %d layers", len(p.res.sum.Layers), p.ed.Len())
	}
	if a := p.ed.Annotation("se1"); a.Shape == "" || !strings.Contains(a.Detail, "params") {
		t.Fatalf("collapsed block card: %+v", a)
	}
	// A layer added with the block selected follows the block's output.
	p.ed.Select(members...)
	p.pal.search.SetText("")
	test.Tap(paletteItemNamed(t, p, "op", "dropout"))
	if d := node(t, p, "dropout1"); !slices.Equal(d.Inputs, []string{"se1.scale"}) {
		t.Fatalf("dropout after the SE block reads %v", d.Inputs)
	}
	// Without a selection, inserting a block asks for one.
	p.ed.Select()
	p.ed.Select(members[0], relu)
	test.Tap(paletteItemNamed(t, p, "block", "se"))
	if !strings.Contains(p.status.Text, "select the layer") {
		t.Fatalf("message %q", p.status.Text)
	}
}

func TestGroupSelectionIntoANamedBlockFromTheInspector(t *testing.T) {
	p, _, _ := newTestPane(t, refCNN(t), 1280, 800)
	convs, relus := opsOf(p, "conv2d"), opsOf(p, "relu")
	p.ed.Select(convs[0], relus[0])
	if !strings.HasPrefix(p.insp.key, "nodes:") {
		t.Fatalf("inspector shows %q", p.insp.key)
	}
	entries := panetest.Find[*widget.Entry](p.insp.root, nil)
	entries[0].SetText("stem")
	test.Tap(panetest.Find[*widget.Button](p.insp.root, func(b *widget.Button) bool { return b.Text == "Group into block" })[0])
	if b, _ := p.ed.BlockOf(relus[0]); b != "stem" {
		t.Fatalf("relu in block %q", b)
	}
	if p.res.g.Nodes[1].Block != "stem" {
		t.Fatalf("the project graph does not hold the block")
	}
}

func TestRenameKeepsConnections(t *testing.T) {
	p, _, _ := newTestPane(t, refCNN(t), 1280, 800)
	conv := opsOf(p, "conv2d")[0]
	if err := p.rename(conv, "stem"); err != nil {
		t.Fatal(err)
	}
	if !p.res.ok() || !p.ed.IsSelected("stem") {
		t.Fatalf("after rename: %v", p.Problems())
	}
	if err := p.rename("stem", opsOf(p, "relu")[0]); err == nil {
		t.Fatalf("a rename onto another layer's name was accepted")
	}
	if err := p.rename("stem", "a b"); err == nil {
		t.Fatalf("a name with a space was accepted")
	}
}

func TestInputThatDoesNotMatchTheDatasetIsAProblemWithAFix(t *testing.T) {
	g := refCNN(t)
	p, proj, _ := newTestPane(t, g, 1280, 800)
	proj.setData([]int{3, 32, 32}, 10)
	p.ProjectChanged()
	pr := p.res.problemsOf("input")
	if len(pr) != 1 || !strings.Contains(pr[0].msg, "3×32×32") {
		t.Fatalf("input problems %+v", pr)
	}
	if lines := Problems(proj.graph(), proj.s.DatasetShape()); len(lines) != 1 || !strings.HasPrefix(lines[0], "input: ") {
		t.Fatalf("Problems: %q", lines)
	}
	fixFor(p.res, p.ed, pr[0]).apply(p.ed)
	if !p.res.ok() {
		t.Fatalf("after the fix: %v", p.Problems())
	}
	if got := Problems(graph.Graph{}, nil); len(got) != 1 {
		t.Fatalf("an empty graph: %q", got)
	}
}

func TestExportWritesPNGAndSVG(t *testing.T) {
	p, _, _ := newTestPane(t, refCNN(t), 1280, 800)
	var b bytes.Buffer
	if err := p.Export(&b, "png"); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil || img.Bounds().Dy() < 11*80 {
		t.Fatalf("PNG %v, %v", img.Bounds(), err)
	}
	b.Reset()
	if err := p.Export(&b, "svg"); err != nil || !strings.Contains(b.String(), "Conv 3×3 · 32") {
		t.Fatalf("SVG: %v", err)
	}
	if err := p.Export(&b, "gif"); err == nil {
		t.Fatalf("gif accepted")
	}
}

func TestSummaryTableRowsAndTotals(t *testing.T) {
	p, _, _ := newTestPane(t, refCNN(t), 1280, 800)
	s := p.sum
	if got := len(s.sum.Layers); got != 11 {
		t.Fatalf("%d rows", got)
	}
	text, right, _ := s.cell(1, 4)
	if text != "25.1k · 98 KB" || !right {
		t.Fatalf("conv1 memory cell %q", text)
	}
	if text, _, _ := s.cell(1, 7); text != "3×3" {
		t.Fatalf("conv1 receptive field %q", text)
	}
	for _, want := range []string{"Parameters 421,642", "forward memory", "forward + backward at batch 64", "multiply-adds"} {
		if !strings.Contains(s.totals.Text, want) {
			t.Errorf("totals %q lack %q", s.totals.Text, want)
		}
	}
	if got := totalsText(s.sum, 0); !strings.Contains(got, "batch 64 (default)") {
		t.Errorf("totals without a batch size: %q", got)
	}
	// Selecting a row selects the layer on the canvas.
	s.table.Select(widget.TableCellID{Row: 3, Col: 1})
	if sel := p.ed.Selected(); len(sel) != 1 || sel[0] != s.sum.Layers[3].ID {
		t.Fatalf("row 3 selected %v", sel)
	}
}

func TestGoldenResNet18(t *testing.T) {
	g, err := models.Graph("resnet18", []int{3, 224, 224}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	p, proj, w := newTestPane(t, g, 1280, 800)
	proj.setData([]int{3, 224, 224}, 1000)
	p.ProjectChanged()
	test.AssertImageMatches(t, "resnet18.png", w.Canvas().Capture())
}

// --- helpers ---

func nodeOf(op string) graphedit.Node { return graphedit.Node{Op: op} }

func opsOf(p *editorPane, op string) []string {
	var out []string
	for _, n := range p.ed.Graph().Nodes {
		if n.Op == op {
			out = append(out, n.ID)
		}
	}
	return out
}

// Every op of the catalogue has a readable name in the palette and on the
// cards (a new op without one would show its internal name).
func TestEveryOpHasALabel(t *testing.T) {
	for _, o := range nn.Ops() {
		if _, ok := labels[o.Name]; !ok {
			t.Errorf("op %s has no label", o.Name)
		}
	}
}
