package graphedit

import (
	"math"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
)

var (
	_ fyne.Draggable         = (*Editor)(nil)
	_ fyne.Scrollable        = (*Editor)(nil)
	_ fyne.Focusable         = (*Editor)(nil)
	_ fyne.Shortcutable      = (*Editor)(nil)
	_ fyne.SecondaryTappable = (*Editor)(nil)
	_ fyne.Tappable          = (*Editor)(nil)
	_ desktop.Mouseable      = (*Editor)(nil)
	_ desktop.Hoverable      = (*Editor)(nil)
	_ desktop.Keyable        = (*Editor)(nil)
	_ desktop.Cursorable     = (*Editor)(nil)
)

// The editor detects double clicks itself (in MouseDown) instead of
// implementing fyne.DoubleTappable, which would delay every single click by
// the double-tap interval.

type gestureKind int

const (
	gNone gestureKind = iota
	gMove
	gWire
	gBox
	gPan
	gMinimap
	gScrollV
	gScrollH
)

// gesture is a drag in progress.
type gesture struct {
	kind       gestureKind
	start, cur fyne.Position // widget coordinates
	// gMove: the nodes and where they started.
	orig map[string]fyne.Position
	// gWire: the card the wire leaves (from its output, or from its input
	// when reverse), the card under the pointer, and the connection pulled
	// off an input port.
	from, target int
	reverse      bool
	detached     [2]string
	// gBox: the selection before, kept when additive.
	base     map[string]bool
	additive bool
	// gPan and scroll bars: the offset at the start.
	offset0 fyne.Position
}

// hover is what the pointer is over.
type hover struct {
	item int // card, or -1
	port int // 0 none, 1 input, 2 output
	bar  int // 0 none, 1 vertical, 2 horizontal scroll bar
	pos  fyne.Position
}

func portOf(out bool) int {
	if out {
		return 2
	}
	return 1
}

// dropPreview is the outline of a palette item being dragged over the
// canvas.
type dropPreview struct {
	pos   fyne.Position
	label string
}

const (
	doubleClickTime = 450 * time.Millisecond
	portRadius      = 9 // hit radius of a port in pixels
)

func (e *Editor) requestFocus() {
	if e.exporter || fyne.CurrentApp() == nil {
		return
	}
	if c := fyne.CurrentApp().Driver().CanvasForObject(e); c != nil && c.Focused() != e {
		c.Focus(e)
	}
}

// hitPort finds a port under the widget position p.
func (e *Editor) hitPort(p fyne.Position) (int, bool) {
	return e.sc.hitPort(e.toCanvas(p), max(portRadius/e.zoom, 5))
}

// Tapped implements fyne.Tappable; the work is done in MouseDown, this
// makes a click on the canvas take the keyboard focus on every driver.
func (e *Editor) Tapped(*fyne.PointEvent) { e.requestFocus() }

// MouseDown implements desktop.Mouseable: it selects what was clicked.
func (e *Editor) MouseDown(ev *desktop.MouseEvent) {
	e.requestFocus()
	now := time.Now()
	pr := press{pos: ev.Position, button: int(ev.Button), mod: ev.Modifier, at: now, item: -1, valid: true}
	defer func() { e.press = pr }()
	if ev.Button != desktop.MouseButtonPrimary {
		return
	}
	if e.inChrome(ev.Position) {
		if mm, ok := e.minimapRect(); ok && mm.contains(ev.Position) {
			e.minimapJump(mm, ev.Position)
		}
		return
	}
	if last := e.lastDown; last.valid && now.Sub(last.at) < doubleClickTime && dist2(last.pos, ev.Position) < 36 {
		e.lastDown = press{}
		e.doubleClick(ev.Position)
		return
	}
	e.lastDown = pr
	if k, _ := e.hitPort(ev.Position); k >= 0 {
		return // a drag will connect
	}
	additive := ev.Modifier&(fyne.KeyModifierShift|fyne.KeyModifierControl|fyne.KeyModifierSuper) != 0
	m := e.toCanvas(ev.Position)
	if k := e.sc.hitItem(m); k >= 0 {
		pr.item = k
		if additive {
			e.selectItem(k, true)
		} else if !e.itemSelected(k) {
			e.selectItem(k, false)
		}
		return
	}
	if f := e.sc.hitFrameLabel(m); f >= 0 {
		e.selectFrame(f, additive)
		return
	}
	if k := e.sc.hitEdge(m, max(6/e.zoom, 3)); k >= 0 {
		ed := e.sc.edges[k]
		e.sel = map[string]bool{}
		e.selEdge = [2]string{ed.src, ed.dst}
		e.Refresh()
		e.selectionChanged()
		return
	}
	if !additive && (len(e.sel) > 0 || e.selEdge != [2]string{}) {
		e.Select()
	}
}

// MouseUp implements desktop.Mouseable: a click on one card of a
// multiple selection selects that card alone.
func (e *Editor) MouseUp(ev *desktop.MouseEvent) {
	pr := e.press
	e.press = press{}
	if !pr.valid || e.gest.kind != gNone || pr.item < 0 || pr.mod != 0 || pr.item >= len(e.sc.items) {
		return
	}
	if len(e.sel) > len(e.itemNodes(pr.item)) {
		e.selectItem(pr.item, false)
	}
}

func (e *Editor) selectFrame(f int, additive bool) {
	if !additive {
		e.sel = map[string]bool{}
	}
	for _, m := range e.sc.frames[f].members {
		e.sel[e.g.Nodes[m].ID] = true
	}
	e.selEdge = [2]string{}
	e.Refresh()
	e.selectionChanged()
}

// doubleClick expands a collapsed block, collapses a block by its label, or
// activates a node.
func (e *Editor) doubleClick(p fyne.Position) {
	m := e.toCanvas(p)
	if k := e.sc.hitItem(m); k >= 0 {
		it := e.sc.items[k]
		if it.block {
			e.SetCollapsed(it.id, false)
			e.Select(e.blockMembers(it.id)...)
			return
		}
		e.selectItem(k, false)
		if e.OnActivated != nil {
			e.OnActivated(it.id)
		}
		return
	}
	if f := e.sc.hitFrameLabel(m); f >= 0 {
		name := e.sc.frames[f].name
		e.SetCollapsed(name, true)
		e.Select(e.blockMembers(name)...)
		return
	}
	e.FitAll()
}

func (e *Editor) blockMembers(name string) []string {
	var out []string
	for _, n := range e.g.Nodes {
		if n.Block == name {
			out = append(out, n.ID)
		}
	}
	return out
}

// Dragged implements fyne.Draggable.
func (e *Editor) Dragged(ev *fyne.DragEvent) {
	if e.gest.kind == gNone {
		start := ev.Position.Subtract(ev.Dragged)
		pr := e.press
		if !pr.valid || dist2(pr.pos, start) > 100 {
			// No MouseDown came first (touch, tests): a primary drag from
			// where the movement started.
			pr = press{pos: start, button: int(desktop.MouseButtonPrimary), item: -1, valid: true}
			if k := e.sc.hitItem(e.toCanvas(start)); k >= 0 && !e.itemSelected(k) {
				if p, _ := e.hitPort(start); p < 0 {
					e.selectItem(k, false)
				}
			}
		}
		e.beginGesture(pr)
	}
	e.updateGesture(ev.Position)
}

func (e *Editor) beginGesture(pr press) {
	g := gesture{start: pr.pos, cur: pr.pos, from: -1, target: -1, offset0: e.offset}
	switch {
	case pr.button == int(desktop.MouseButtonTertiary) || pr.mod&(fyne.KeyModifierControl|fyne.KeyModifierAlt|fyne.KeyModifierSuper) != 0 || e.keys[fyne.KeySpace]:
		g.kind = gPan
	case e.inVBar(pr.pos):
		g.kind = gScrollV
	case e.inHBar(pr.pos):
		g.kind = gScrollH
	case e.inChrome(pr.pos):
		g.kind = gMinimap
	default:
		m := e.toCanvas(pr.pos)
		if k, out := e.hitPort(pr.pos); k >= 0 {
			g.kind = gWire
			g.from = k
			if !out {
				it := &e.sc.items[k]
				if src, dst, ok := e.lastInput(k); ok {
					// Pull the connection off the input port, to move it
					// or drop it.
					g.detached = [2]string{src, dst}
					g.from = e.sc.itemOf[slices.IndexFunc(e.g.Nodes, func(n Node) bool { return n.ID == src })]
				} else if it.hasIn() {
					g.reverse = true
				}
			}
			break
		}
		if k := e.sc.hitItem(m); k >= 0 {
			g.kind = gMove
			break
		}
		if f := e.sc.hitFrameLabel(m); f >= 0 {
			if e.SelectedBlock() != e.sc.frames[f].name {
				e.selectFrame(f, false)
			}
			g.kind = gMove
			break
		}
		g.kind = gBox
		g.additive = pr.mod&fyne.KeyModifierShift != 0 || e.keys[desktop.KeyShiftLeft] || e.keys[desktop.KeyShiftRight]
		g.base = map[string]bool{}
		if g.additive {
			for id := range e.sel {
				g.base[id] = true
			}
		}
	}
	if g.kind == gMove {
		g.orig = map[string]fyne.Position{}
		for i := range e.g.Nodes {
			n := &e.g.Nodes[i]
			if e.sel[n.ID] {
				g.orig[n.ID] = fyne.NewPos(n.X, n.Y)
			}
		}
	}
	e.gest = g
}

// lastInput returns the connection that a drag from card k's input port
// pulls off: the last input of the node (or the block's entry).
func (e *Editor) lastInput(k int) (src, dst string, ok bool) {
	for _, m := range slices.Backward(e.itemNodes(k)) {
		n := &e.g.Nodes[m]
		for _, in := range slices.Backward(n.Inputs) {
			i := slices.IndexFunc(e.g.Nodes, func(x Node) bool { return x.ID == in })
			if i >= 0 && e.sc.itemOf[i] != k {
				return in, n.ID, true
			}
		}
	}
	return "", "", false
}

func (e *Editor) updateGesture(p fyne.Position) {
	g := &e.gest
	g.cur = p
	switch g.kind {
	case gPan:
		e.autoFit = false
		e.offset = fyne.NewPos(g.offset0.X-(p.X-g.start.X)/e.zoom, g.offset0.Y-(p.Y-g.start.Y)/e.zoom)
		e.viewChanged()
	case gMove:
		dx, dy := (p.X-g.start.X)/e.zoom, (p.Y-g.start.Y)/e.zoom
		for i := range e.g.Nodes {
			n := &e.g.Nodes[i]
			if o, ok := g.orig[n.ID]; ok {
				n.X, n.Y = o.X+dx, o.Y+dy
			}
		}
		e.rebuild()
		e.Refresh()
	case gWire:
		g.target = e.sc.hitItem(e.toCanvas(p))
		if g.target < 0 {
			if k, _ := e.hitPort(p); k >= 0 {
				g.target = k
			}
		}
		if g.target == g.from {
			g.target = -1
		}
		e.Refresh()
	case gBox:
		a, b := e.toCanvas(g.start), e.toCanvas(p)
		x0, y0, x1, y1 := min(a.X, b.X), min(a.Y, b.Y), max(a.X, b.X), max(a.Y, b.Y)
		e.sel = map[string]bool{}
		for id := range g.base {
			e.sel[id] = true
		}
		for k := range e.sc.items {
			ix0, iy0, ix1, iy1 := e.sc.items[k].rect()
			if ix1 >= x0 && ix0 <= x1 && iy1 >= y0 && iy0 <= y1 {
				for _, m := range e.itemNodes(k) {
					e.sel[e.g.Nodes[m].ID] = true
				}
			}
		}
		e.selEdge = [2]string{}
		e.Refresh()
	case gMinimap:
		e.autoFit = false
		if mm, ok := e.minimapRect(); ok {
			e.minimapJump(mm, p)
		}
	case gScrollV, gScrollH:
		e.autoFit = false
		cx0, cy0, cx1, cy1 := e.contentRect()
		if g.kind == gScrollV {
			e.offset.Y = g.offset0.Y + (p.Y-g.start.Y)*(cy1-cy0)/e.size.Height
		} else {
			e.offset.X = g.offset0.X + (p.X-g.start.X)*(cx1-cx0)/e.size.Width
		}
		e.viewChanged()
	}
}

// DragEnd implements fyne.Draggable: it commits the gesture.
func (e *Editor) DragEnd() {
	g := e.gest
	e.gest = gesture{kind: gNone, from: -1, target: -1}
	e.press = press{}
	switch g.kind {
	case gMove:
		final := map[string]fyne.Position{}
		moved := false
		for i := range e.g.Nodes {
			n := &e.g.Nodes[i]
			if o, ok := g.orig[n.ID]; ok {
				final[n.ID] = fyne.NewPos(n.X, n.Y)
				moved = moved || o != final[n.ID]
				n.X, n.Y = o.X, o.Y
			}
		}
		if moved {
			e.Edit("Move "+plural(len(final), "node"), func(gr *Graph) error {
				for i := range gr.Nodes {
					if p, ok := final[gr.Nodes[i].ID]; ok {
						gr.Nodes[i].X, gr.Nodes[i].Y = p.X, p.Y
					}
				}
				return nil
			})
		} else {
			e.rebuild()
			e.Refresh()
		}
	case gWire:
		e.finishWire(g)
	case gBox:
		e.Refresh()
		e.selectionChanged()
	default:
		e.Refresh()
	}
}

func (e *Editor) finishWire(g gesture) {
	if g.target < 0 || g.target == g.from {
		if g.detached != [2]string{} {
			e.Disconnect(g.detached[0], g.detached[1])
			return
		}
		e.Refresh()
		return
	}
	from, to := g.from, g.target
	if g.reverse {
		from, to = to, from
	}
	src := e.g.Nodes[e.exitNode(from)].ID
	dst := e.g.Nodes[e.entryNode(to)].ID
	if g.detached == [2]string{src, dst} {
		e.Refresh()
		return
	}
	err := e.Edit("Connect "+src+" → "+dst, func(gr *Graph) error {
		if d := g.detached; d != [2]string{} {
			if n := gr.Find(d[1]); n != nil {
				n.Inputs = slices.DeleteFunc(n.Inputs, func(s string) bool { return s == d[0] })
			}
		}
		return connect(gr, e.style, src, dst)
	})
	if err != nil {
		e.message("%v", err)
		e.Refresh()
	}
}

// exitNode is the node whose output a card gives; entryNode the node that
// reads what is connected to a card.
func (e *Editor) exitNode(k int) int {
	return e.sc.items[k].exit
}

func (e *Editor) entryNode(k int) int {
	it := &e.sc.items[k]
	if !it.block {
		return it.node
	}
	for _, m := range it.members {
		for _, in := range e.g.Nodes[m].Inputs {
			i := slices.IndexFunc(e.g.Nodes, func(n Node) bool { return n.ID == in })
			if i >= 0 && e.sc.itemOf[i] != k {
				return m
			}
		}
	}
	return it.members[0]
}

// Scrolled implements fyne.Scrollable: the wheel zooms about the pointer;
// sideways scrolling, or the wheel with Shift (sideways) or Ctrl
// (up and down), pans.
func (e *Editor) Scrolled(ev *fyne.ScrollEvent) {
	shift := e.keys[desktop.KeyShiftLeft] || e.keys[desktop.KeyShiftRight]
	ctrl := e.keys[desktop.KeyControlLeft] || e.keys[desktop.KeyControlRight]
	switch {
	case shift:
		e.Pan(-ev.Scrolled.DY-ev.Scrolled.DX, 0)
	case ctrl:
		e.Pan(-ev.Scrolled.DX, -ev.Scrolled.DY)
	default:
		if ev.Scrolled.DX != 0 {
			e.Pan(-ev.Scrolled.DX, 0)
		}
		if ev.Scrolled.DY != 0 {
			e.zoomAt(e.zoom*float32(math.Exp(float64(ev.Scrolled.DY)*0.0056)), ev.Position)
		}
	}
}

// MouseIn, MouseMoved and MouseOut implement desktop.Hoverable: ports and
// scroll bars light up under the pointer.
func (e *Editor) MouseIn(ev *desktop.MouseEvent) { e.MouseMoved(ev) }

// MouseMoved implements desktop.Hoverable.
func (e *Editor) MouseMoved(ev *desktop.MouseEvent) {
	h := hover{item: -1, pos: ev.Position}
	switch {
	case e.inVBar(ev.Position):
		h.bar = 1
	case e.inHBar(ev.Position):
		h.bar = 2
	case e.inChrome(ev.Position):
	default:
		if k, out := e.hitPort(ev.Position); k >= 0 {
			h.item, h.port = k, portOf(out)
		}
	}
	changed := h.item != e.hover.item || h.port != e.hover.port || h.bar != e.hover.bar
	e.hover = h
	if changed {
		e.Refresh()
	}
}

// MouseOut implements desktop.Hoverable.
func (e *Editor) MouseOut() {
	if e.hover.item >= 0 || e.hover.bar != 0 {
		e.hover = hover{item: -1}
		e.Refresh()
	}
	e.hover = hover{item: -1}
}

// Cursor implements desktop.Cursorable: a crosshair over ports.
func (e *Editor) Cursor() desktop.Cursor {
	if e.hover.port != 0 || e.gest.kind == gWire {
		return desktop.CrosshairCursor
	}
	return desktop.DefaultCursor
}
