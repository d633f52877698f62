package architecture

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/storage"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/widgets"
	"github.com/workbench-cv/workbench/widgets/graphedit"
)

// asyncNodes is the graph size from which analysis runs off the UI
// goroutine.
const asyncNodes = 300

// editorPane is the Architecture pane.
type editorPane struct {
	proj    project
	ed      *graphedit.Editor
	pal     *palette
	insp    *inspector
	sum     *summaryView
	status  *widget.Label
	zoomLbl *widget.Label
	undoBtn *widget.Button
	redoBtn *widget.Button
	empty   *widgets.EmptyState
	emptyBg *widgets.Background
	root    fyne.CanvasObject

	res     *result
	gen     int
	writing bool
	msg     string // the message shown instead of the status, if any
}

// newPane builds the pane for the state's project and shows its graph.
func newPane(s *ui.State) *editorPane {
	p := &editorPane{proj: project{s}}
	p.ed = graphedit.NewEditor()
	p.ed.Style = style
	p.ed.Layout = layoutGraph
	p.ed.OnChanged = p.changed
	p.ed.OnSelectionChanged = func() {
		p.clearMessage()
		p.insp.update()
	}
	p.ed.OnViewChanged = p.viewChanged
	p.ed.OnMessage = p.message
	p.ed.OnActivated = func(string) {}
	p.ed.ContextMenu = p.contextMenu

	p.pal = newPalette()
	p.pal.onTap = p.paletteTap
	p.pal.onDrag = func(e entry, abs fyne.Position) {
		if e.kind == "op" {
			p.ed.ShowDropPreview(abs, e.label)
		}
	}
	p.pal.onDrop = p.paletteDrop
	p.insp = newInspector(p)
	p.sum = newSummaryView(p)

	p.status = widget.NewLabel("")
	p.status.Truncation = fyne.TextTruncateEllipsis
	p.zoomLbl = widget.NewLabel("100%")

	p.empty = widgets.NewEmptyState(theme.GridIcon(), "Design a network",
		"Assemble the network layer by layer from the palette on the left, or start from a model of the zoo "+
			"(LeNet-5, AlexNet, VGG, GoogLeNet, ResNet, DenseNet, MobileNet…) adapted to the dataset's image size and classes.")
	p.empty.Steps = []string{"Click Input in the palette, then each layer to follow it (each is added after the selected one).",
		"Or open Model zoo in the palette and pick a model."}
	p.empty.ActionLabel = "Start with an input layer"
	p.empty.OnAction = func() { p.addOp("input") }

	p.emptyBg = widgets.NewBackground(theme.ColorNameBackground)
	canvasArea := container.NewStack(p.ed, p.emptyBg, p.empty)
	center := container.NewBorder(nil, p.status, nil, nil, canvasArea)
	// Fixed minimum widths keep the dividers still while the palette is
	// filtered or the inspector shows another layer.
	right := container.NewHSplit(center, container.New(&widgets.MinWidth{W: 250}, p.insp.root))
	right.Offset = 0.72
	top := container.NewHSplit(container.New(&widgets.MinWidth{W: 230}, p.pal.root), right)
	top.Offset = 0.2
	body := container.NewVSplit(top, p.sum.root)
	body.Offset = 0.7
	p.root = container.NewBorder(p.toolbar(), nil, nil, nil, body)
	p.Load()
	return p
}

// Content is the pane's root object.
func (p *editorPane) Content() fyne.CanvasObject { return p.root }

// Editor is the graph canvas (for tests and the app's menus).
func (p *editorPane) Editor() *graphedit.Editor { return p.ed }

// Load shows the project's graph, as when a project is opened: the undo
// history starts afresh.
func (p *editorPane) Load() {
	p.ed.SetGraph(toEditor(p.proj.Graph()))
	p.insp.grad.forget()
	p.analyze()
	p.insp.key = ""
	p.insp.update()
	p.updateButtons()
}

// ProjectChanged follows an edit of the project made elsewhere (another
// pane, or this one): a different graph is loaded, and the analysis is
// redone (the dataset's shape may have changed).
func (p *editorPane) ProjectChanged() {
	if p.writing {
		return
	}
	if !sameGraph(p.proj.Graph(), fromEditor(p.ed.Graph())) {
		p.Load()
		return
	}
	p.analyze()
}

// changed follows every edit, undo and redo of the canvas.
func (p *editorPane) changed() {
	p.clearMessage()
	g := fromEditor(p.ed.Graph())
	p.writing = true
	p.proj.SetGraph(g)
	p.writing = false
	p.insp.grad.forget()
	p.analyze()
	p.updateButtons()
}

// analyze runs shape inference and the summary; a large graph is analysed
// on another goroutine and the result shown when it arrives (if no later
// edit superseded it).
func (p *editorPane) analyze() {
	g := fromEditor(p.ed.Graph())
	in := p.proj.InputShape()
	p.gen++
	gen := p.gen
	if len(g.Nodes) > 0 {
		p.empty.Hide()
		p.emptyBg.Hide()
	} else {
		p.empty.Show()
		p.emptyBg.Show()
	}
	if len(g.Nodes) < asyncNodes {
		p.apply(analyze(g, in))
		return
	}
	p.status.SetText("Analysing " + thousands(int64(len(g.Nodes))) + " layers…")
	var r *result
	background(func() { r = analyze(g, in) }, func() {
		if gen == p.gen {
			p.apply(r)
		}
	})
}

// background runs work off the UI goroutine, then then on it.
var background = func(work, then func()) {
	widgets.Go(func() {
		work()
		widgets.Do(then)
	})
}

func (p *editorPane) apply(r *result) {
	p.res = r
	p.ed.SetAnnotations(r.ann)
	p.sum.set(r.sum, p.proj.Batch())
	p.insp.update()
	p.updateStatus()
}

// Problems returns the problems of the graph shown, as "node: message"
// lines (empty when it can be trained).
func (p *editorPane) Problems() []string {
	if p.res == nil {
		return nil
	}
	var out []string
	for _, pr := range p.res.problems {
		s := pr.msg
		if pr.id != "" {
			s = pr.id + ": " + s
		}
		out = append(out, s)
	}
	return out
}

func (p *editorPane) updateStatus() {
	r := p.res
	if r == nil {
		return
	}
	s := r.sum
	switch {
	case len(r.g.Nodes) == 0:
		p.status.SetText("Empty network")
		p.status.Importance = widget.LowImportance
	case r.ok():
		p.status.SetText(fmt.Sprintf("✓ %d layers · %s → %s · %s parameters · %s multiply-adds", len(r.g.Nodes),
			ShapeText(s.Input), ShapeText(s.Output), thousands(s.Params), compact(s.MACs)))
		p.status.Importance = widget.SuccessImportance
	default:
		first := r.problems[0]
		where := ""
		if first.id != "" {
			where = first.id + ": "
		}
		more := ""
		if len(r.problems) > 1 {
			more = fmt.Sprintf(" (+%d more)", len(r.problems)-1)
		}
		p.status.SetText(fmt.Sprintf("⚠ %s%s%s", where, first.msg, more))
		p.status.Importance = widget.DangerImportance
	}
	p.status.Refresh()
}

// message shows a short note (a refused action, a copy) in the status line
// until the next edit or selection.
func (p *editorPane) message(m string) {
	p.msg = m
	p.status.SetText("ℹ " + m)
	p.status.Importance = widget.MediumImportance
	p.status.Refresh()
}

// clearMessage brings the status back after a message.
func (p *editorPane) clearMessage() {
	if p.msg != "" {
		p.msg = ""
		p.updateStatus()
	}
}

func (p *editorPane) viewChanged() {
	p.zoomLbl.SetText(fmt.Sprintf("%d%%", int(p.ed.Zoom()*100+0.5)))
}

func (p *editorPane) updateButtons() {
	if p.ed.CanUndo() {
		p.undoBtn.Enable()
	} else {
		p.undoBtn.Disable()
	}
	if p.ed.CanRedo() {
		p.redoBtn.Enable()
	} else {
		p.redoBtn.Disable()
	}
}

func (p *editorPane) toolbar() fyne.CanvasObject {
	// Buttons that act on the graph give the keyboard back to the canvas;
	// those that open a dialog or a menu keep it there.
	plain := func(label string, icon fyne.Resource, fn func()) *widget.Button {
		b := widget.NewButtonWithIcon(label, icon, fn)
		b.Importance = widget.LowImportance
		return b
	}
	btn := func(label string, icon fyne.Resource, fn func()) *widget.Button {
		return plain(label, icon, func() {
			fn()
			p.focusCanvas()
		})
	}
	p.undoBtn = btn("Undo", theme.ContentUndoIcon(), func() { p.ed.Undo() })
	p.redoBtn = btn("Redo", theme.ContentRedoIcon(), func() { p.ed.Redo() })
	var export *widget.Button
	export = plain("Export", theme.DownloadIcon(), func() {
		c := fyne.CurrentApp().Driver().CanvasForObject(export)
		if c == nil {
			return
		}
		m := fyne.NewMenu("", fyne.NewMenuItem("PNG image…", func() { p.exportDialog("png") }),
			fyne.NewMenuItem("SVG drawing…", func() { p.exportDialog("svg") }))
		pos := fyne.CurrentApp().Driver().AbsolutePositionForObject(export).Add(fyne.NewPos(0, export.Size().Height))
		widget.ShowPopUpMenuAtPosition(m, c, pos)
	})
	sep := func() fyne.CanvasObject { return widget.NewSeparator() }
	left := container.NewHBox(p.undoBtn, p.redoBtn, sep(),
		btn("", theme.DeleteIcon(), p.ed.DeleteSelection),
		btn("", theme.ContentCopyIcon(), p.ed.Copy),
		btn("", theme.ContentPasteIcon(), p.ed.Paste), sep(),
		btn("Layout", theme.ViewRefreshIcon(), p.ed.AutoLayout),
		plain("Group", theme.ContentAddIcon(), p.groupDialog),
		btn("Collapse all", theme.ViewRestoreIcon(), func() { p.ed.SetAllCollapsed(true) }),
		btn("Expand all", theme.ViewFullScreenIcon(), func() { p.ed.SetAllCollapsed(false) }),
	)
	right := container.NewHBox(
		btn("", theme.ZoomOutIcon(), p.ed.ZoomOut), p.zoomLbl, btn("", theme.ZoomInIcon(), p.ed.ZoomIn),
		btn("Fit", theme.ZoomFitIcon(), p.ed.FitAll), sep(), export)
	// The editing buttons scroll sideways in a narrow window (1024 px)
	// rather than widen it.
	return container.NewVBox(container.New(layout.NewCustomPaddedLayout(0, 0, 4, 4), container.NewBorder(nil, nil, nil, right, container.NewHScroll(left))), widget.NewSeparator())
}

// --- palette actions ---

// anchor is the node new layers follow: the selected one, or the graph's
// output.
func (p *editorPane) anchor() string {
	if sel := p.ed.Selected(); len(sel) == 1 {
		return sel[0]
	} else if b := p.ed.SelectedBlock(); b != "" {
		return p.ed.BlockExit(b)
	} else if len(sel) > 1 {
		return ""
	}
	if p.res != nil && p.res.an.Output != "" {
		return p.res.an.Output
	}
	g := p.ed.Graph()
	if len(g.Nodes) > 0 {
		return g.Nodes[len(g.Nodes)-1].ID
	}
	return ""
}

// focusCanvas gives the keyboard to the canvas, so that Delete, Ctrl+Z and
// the arrows act on the graph after a click elsewhere in the pane.
func (p *editorPane) focusCanvas() {
	if c := fyne.CurrentApp().Driver().CanvasForObject(p.ed); c != nil {
		c.Focus(p.ed)
	}
}

func (p *editorPane) paletteTap(e entry) {
	defer p.focusCanvas()
	switch e.kind {
	case "op":
		p.addOp(e.name)
	case "zoo":
		p.confirmZoo(e.name)
	case "block":
		k, _ := blockKindByID(e.name)
		if err := insertBlock(p.ed, k, p.anchor()); err != nil {
			p.message(err.Error())
		}
	}
}

// newNode is a fresh node of op with its default attributes (an input
// takes the dataset's shape).
func (p *editorPane) newNode(op string) graphedit.Node {
	n := graphedit.Node{Op: op, ID: p.nextID(op)}
	if op == "input" {
		c, h, w := 3.0, 32.0, 32.0
		if d := p.proj.InputShape(); len(d) == 3 {
			c, h, w = float64(d[0]), float64(d[1]), float64(d[2])
		}
		n.Attrs = map[string]float64{"channels": c, "height": h, "width": w}
	}
	if op == "linear" {
		if k := p.proj.Classes(); k > 0 {
			n.Attrs = map[string]float64{"out": float64(k)}
		}
	}
	return n
}

// idPrefixes name new layers as the zoo does ("conv3", "fc2", "bn1").
var idPrefixes = map[string]string{
	"conv2d": "conv", "linear": "fc", "maxpool2d": "pool", "avgpool2d": "avgpool", "globalavgpool": "gap",
	"adaptiveavgpool2d": "avgpool", "batchnorm2d": "bn", "batchnorm1d": "bn", "layernorm": "ln", "groupnorm": "gn",
	"instancenorm": "in", "leakyrelu": "lrelu", "logsoftmax": "logsoftmax",
}

// nextID is the first free "<prefix><n>" for an op (just "input" for the
// first input).
func (p *editorPane) nextID(op string) string {
	prefix := idPrefixes[op]
	if prefix == "" {
		prefix = op
	}
	if op == "input" {
		if _, taken := p.ed.Node("input"); !taken {
			return "input"
		}
	}
	for i := 1; ; i++ {
		id := fmt.Sprintf("%s%d", prefix, i)
		if _, taken := p.ed.Node(id); !taken {
			return id
		}
	}
}

// addOp adds a layer after the anchor (or, for an input or an empty graph,
// at the top of the view).
func (p *editorPane) addOp(op string) {
	n := p.newNode(op)
	after := p.anchor()
	if op == "input" || after == "" {
		if op != "input" && p.ed.Len() == 0 {
			// A network starts with its input.
			id, err := p.ed.AddNode(p.newNode("input"), "")
			if err != nil {
				return
			}
			p.message("Added an input layer first")
			after = id
		} else {
			c := p.viewCentre()
			n.X, n.Y = c.X, c.Y
			if _, err := p.ed.AddNode(n, ""); err != nil {
				p.message(err.Error())
			}
			return
		}
	}
	if _, err := p.ed.AddNode(n, after); err == nil {
		id := p.ed.Selected()
		if len(id) == 1 {
			p.ed.Reveal(id[0])
		}
	}
}

// viewCentre is the canvas point in the middle of the view, snapped above
// the graph when it is empty.
func (p *editorPane) viewCentre() fyne.Position {
	if p.ed.Len() == 0 {
		return fyne.NewPos(0, 0)
	}
	g := p.ed.Graph()
	top := g.Nodes[0].Y
	for _, n := range g.Nodes {
		top = min(top, n.Y)
	}
	return fyne.NewPos(g.Nodes[0].X+graphedit.NodeWidth+40, top)
}

func (p *editorPane) paletteDrop(e entry, abs fyne.Position) {
	if e.kind != "op" {
		p.ed.HideDropPreview()
		p.paletteTap(e)
		return
	}
	if _, err := p.ed.DropNode(p.newNode(e.name), abs); err != nil {
		p.message(err.Error())
	}
}

// confirmZoo asks before a zoo model replaces a network.
func (p *editorPane) confirmZoo(name string) {
	w := p.proj.Window()
	if p.ed.Len() <= 1 || w == nil {
		p.InsertModel(name)
		return
	}
	d := dialog.NewConfirm("Replace the network?",
		fmt.Sprintf("%s replaces the %d layers of this network. Undo brings them back.", zooName(name), p.ed.Len()),
		func(ok bool) {
			if ok {
				p.InsertModel(name)
			}
		}, w)
	d.SetConfirmText("Replace")
	d.Show()
}

// InsertModel replaces the graph with a model of the zoo, built for the
// project's input shape and classes, as one undoable step. Large models are
// built off the UI goroutine.
func (p *editorPane) InsertModel(name string) {
	input := p.proj.InputShape()
	classes := p.proj.Classes()
	def, defClasses, ok := models.Defaults(name)
	if !ok {
		p.message("No model called " + name)
		return
	}
	if len(input) != 3 {
		input = def
	}
	if classes <= 0 {
		classes = defClasses
	}
	build := func() (graph.Graph, error) { return models.Graph(name, input, classes) }
	done := func(g graph.Graph, err error) {
		if err != nil {
			p.message(err.Error())
			return
		}
		p.ed.Replace("Insert "+zooName(name), toEditor(g))
		p.message(fmt.Sprintf("%s for %s images and %d classes", zooName(name), ShapeText(input), classes))
	}
	if !bigModels[name] {
		done(build())
		return
	}
	p.status.SetText("Building " + zooName(name) + "…")
	var g graph.Graph
	var err error
	background(func() { g, err = build() }, func() { done(g, err) })
}

// bigModels are the zoo's models with hundreds of layers, built off the
// UI goroutine.
var bigModels = map[string]bool{"resnet50": true, "resnet101": true, "resnet152": true, "wide_resnet50_2": true,
	"resnext50_32x4d": true, "densenet121": true}

// --- blocks, dialogs ---

func (p *editorPane) freeBlockName() string {
	taken := map[string]bool{}
	for _, b := range p.ed.Blocks() {
		taken[b.Name] = true
	}
	for i := 1; ; i++ {
		n := fmt.Sprintf("block%d", i)
		if _, ok := p.ed.Node(n); !taken[n] && !ok {
			return n
		}
	}
}

func (p *editorPane) groupDialog() {
	sel := p.ed.Selected()
	if len(sel) == 0 {
		p.message("Select the layers to group first (drag a box around them)")
		return
	}
	w := p.proj.Window()
	if w == nil {
		return
	}
	name := widget.NewEntry()
	name.SetText(p.freeBlockName())
	dialog.ShowForm("Group into a block", "Group", "Cancel",
		[]*widget.FormItem{widget.NewFormItem("Name", name)}, func(ok bool) {
			if ok {
				if err := p.ed.Group(strings.TrimSpace(name.Text), sel); err != nil {
					p.message(err.Error())
				}
			}
		}, w)
}

func (p *editorPane) contextMenu(sel []string) []*fyne.MenuItem {
	var items []*fyne.MenuItem
	if len(sel) > 1 && p.ed.SelectedBlock() == "" {
		items = append(items, fyne.NewMenuItem("Group into block…", p.groupDialog))
	}
	if len(sel) == 1 {
		for _, k := range blockKinds {
			k := k
			items = append(items, fyne.NewMenuItem("Insert "+k.label+" after", func() {
				if err := insertBlock(p.ed, k, sel[0]); err != nil {
					p.message(err.Error())
				}
			}))
		}
	}
	return items
}

// checkRename says whether node id may be renamed to name.
func (p *editorPane) checkRename(id, name string) error {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return fmt.Errorf("a layer needs a name")
	case strings.ContainsAny(name, " \t/"):
		return fmt.Errorf("a name has no spaces or slashes")
	case name != id:
		if _, taken := p.ed.Node(name); taken {
			return fmt.Errorf("another layer is called %s", name)
		}
		if slices.ContainsFunc(p.ed.Blocks(), func(b graphedit.Block) bool { return b.Name == name }) {
			return fmt.Errorf("a block is called %s", name)
		}
	}
	return nil
}

// rename changes a node's ID and every reference to it.
func (p *editorPane) rename(id, name string) error {
	name = strings.TrimSpace(name)
	if err := p.checkRename(id, name); err != nil || name == id {
		return err
	}
	err := p.ed.Edit("Rename "+id+" to "+name, func(g *graphedit.Graph) error {
		for i := range g.Nodes {
			if g.Nodes[i].ID == id {
				g.Nodes[i].ID = name
			}
			for j, in := range g.Nodes[i].Inputs {
				if in == id {
					g.Nodes[i].Inputs[j] = name
				}
			}
		}
		return nil
	})
	if err == nil {
		p.ed.Select(name)
	}
	return err
}

// setAttr sets one hyper-parameter; typing a number merges into one undo
// step.
func (p *editorPane) setAttr(id, name string, v float64) {
	if n, ok := p.ed.Node(id); !ok || attrOf(n, name) == v {
		return
	}
	p.ed.EditMerging("attr:"+id+":"+name, fmt.Sprintf("Set %s %s to %s", id, name, num(v)), func(g *graphedit.Graph) error {
		m := g.Find(id)
		if m == nil {
			return fmt.Errorf("no layer %s", id)
		}
		if m.Attrs == nil {
			m.Attrs = map[string]float64{}
		}
		m.Attrs[name] = v
		return nil
	})
}

// exportDialog saves the graph as a PNG or SVG file.
func (p *editorPane) exportDialog(kind string) {
	w := p.proj.Window()
	if w == nil {
		return
	}
	d := dialog.NewFileSave(func(wc fyne.URIWriteCloser, err error) {
		if err != nil || wc == nil {
			return
		}
		defer wc.Close()
		if err := p.Export(wc, kind); err != nil {
			dialog.ShowError(err, w)
			return
		}
		p.message("Exported " + filepath.Base(wc.URI().Path()))
	}, w)
	d.SetFileName("network." + kind)
	d.SetFilter(storage.NewExtensionFileFilter([]string{"." + kind}))
	d.Show()
}

// Export writes the whole graph as "png" or "svg".
func (p *editorPane) Export(w io.Writer, kind string) error {
	switch kind {
	case "png":
		return p.ed.ExportPNG(w, 2)
	case "svg":
		return p.ed.ExportSVG(w)
	}
	return fmt.Errorf("cannot export as %q: choose png or svg", kind)
}

// layoutGraph places the nodes with the zoo's layered layout.
func layoutGraph(g *graphedit.Graph) {
	pg := fromEditor(*g)
	models.Layout(&pg)
	for i := range g.Nodes {
		g.Nodes[i].X, g.Nodes[i].Y = pg.Nodes[i].X, pg.Nodes[i].Y
	}
}
