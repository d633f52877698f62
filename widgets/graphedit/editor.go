package graphedit

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"
)

// RowSpacing is the vertical distance between a node and one inserted after
// it (the automatic layout's row spacing).
const RowSpacing = 80

// Editor is the layer-graph canvas. Create it with NewEditor; every change
// of the graph goes through an undoable edit and ends with OnChanged.
type Editor struct {
	widget.BaseWidget

	// Style tells how a node looks and how many inputs it takes; nil means
	// one input, one output and the op name as subtitle.
	Style func(n *Node) Style
	// Layout places the nodes of g (their X and Y); nil turns automatic
	// layout off. The editor calls it with collapsed blocks reduced to one
	// node each.
	Layout func(g *Graph)
	// OnChanged is called after every edit, undo and redo.
	OnChanged func()
	// OnSelectionChanged is called when the selection changes.
	OnSelectionChanged func()
	// OnViewChanged is called when the zoom or the visible area changes.
	OnViewChanged func()
	// OnActivated is called when a node's card is double-clicked.
	OnActivated func(id string)
	// ContextMenu adds items to the right-click menu for the selected
	// nodes.
	ContextMenu func(selected []string) []*fyne.MenuItem
	// OnMessage reports a refused action in words ("a node cannot read its
	// own output"); the app shows it in its status line.
	OnMessage func(msg string)

	g    Graph
	ann  map[string]Annotation
	hist history
	sel  map[string]bool
	// selEdge is the selected connection (src -> dst node IDs), if any.
	selEdge [2]string
	sc      *scene

	zoom   float32
	offset fyne.Position // canvas units at the widget's top-left
	size   fyne.Size

	gest     gesture
	press    press
	lastDown press
	hover    hover
	keys     map[fyne.KeyName]bool
	focused  bool
	drop     *dropPreview
	clip     []byte // copied nodes when the system clipboard is unavailable
	exporter bool   // an off-screen copy drawn for export: no chrome
	// fitPending fits the view to the graph once the editor has a size;
	// autoFit keeps fitting it on resizes until the person pans or zooms.
	fitPending, autoFit bool
	// minimapCache is the overview image and the scene it was drawn from.
	minimapCache minimap
}

// NewEditor returns an empty editor at 100 % zoom.
func NewEditor() *Editor {
	e := &Editor{zoom: 1, sel: map[string]bool{}, ann: map[string]Annotation{}, keys: map[fyne.KeyName]bool{}}
	e.ExtendBaseWidget(e)
	e.rebuild()
	return e
}

// CreateRenderer implements fyne.Widget.
func (e *Editor) CreateRenderer() fyne.WidgetRenderer { return newRenderer(e) }

// MinSize implements fyne.CanvasObject: the canvas scrolls, so it needs
// little room of its own.
func (e *Editor) MinSize() fyne.Size { return fyne.NewSize(120, 120) }

// SetGraph replaces the graph without recording an edit (a project was
// opened): the history and selection are cleared and the view fits the
// graph once the editor has a size.
func (e *Editor) SetGraph(g Graph) {
	e.g = g.Clone()
	e.hist = history{}
	e.sel = map[string]bool{}
	e.selEdge = [2]string{}
	e.rebuild()
	e.autoFit = true
	e.FitAll()
	e.Refresh()
	e.selectionChanged()
}

// Graph returns a copy of the graph.
func (e *Editor) Graph() Graph { return e.g.Clone() }

// Len is the number of nodes.
func (e *Editor) Len() int { return len(e.g.Nodes) }

// Node returns a copy of the node with the given ID.
func (e *Editor) Node(id string) (Node, bool) {
	n := e.g.Find(id)
	if n == nil {
		return Node{}, false
	}
	return n.clone(), true
}

// SetAnnotations replaces the analysis shown on the cards (keyed by node
// ID).
func (e *Editor) SetAnnotations(a map[string]Annotation) {
	if a == nil {
		a = map[string]Annotation{}
	}
	e.ann = a
	e.minimapCache.sc = nil
	if e.autoFit && e.size.Width > 0 {
		e.FitAll()
	}
	e.Refresh()
}

// Annotation returns what the card of node id shows from the analysis.
func (e *Editor) Annotation(id string) Annotation { return e.ann[id] }

func (e *Editor) style(n *Node) Style {
	if e.Style != nil {
		s := e.Style(n)
		if s.Accent == nil {
			s.Accent = defaultStyle(n).Accent
		}
		return s
	}
	return defaultStyle(n)
}

// rebuild recomputes the scene from the graph.
func (e *Editor) rebuild() {
	e.sc = buildScene(&e.g, e.style)
}

// changed follows every edit: drop selections of vanished nodes, rebuild,
// redraw and tell the app.
func (e *Editor) changed() {
	selChanged := false
	for id := range e.sel {
		if e.g.Find(id) == nil {
			delete(e.sel, id)
			selChanged = true
		}
	}
	if e.selEdge != [2]string{} && !e.hasEdge(e.selEdge[0], e.selEdge[1]) {
		e.selEdge = [2]string{}
		selChanged = true
	}
	e.rebuild()
	e.Refresh()
	if e.OnChanged != nil {
		e.OnChanged()
	}
	if selChanged {
		e.selectionChanged()
	}
}

func (e *Editor) hasEdge(src, dst string) bool {
	n := e.g.Find(dst)
	return n != nil && slices.Contains(n.Inputs, src)
}

func (e *Editor) message(format string, args ...any) {
	if e.OnMessage != nil {
		e.OnMessage(fmt.Sprintf(format, args...))
	}
}

// Edit changes the graph through fn, which receives a copy to modify, and
// records the difference as one undoable step named label. An error from
// fn leaves the graph as it was.
func (e *Editor) Edit(label string, fn func(g *Graph) error) error {
	return e.edit(label, "", fn)
}

// EditMerging is Edit, except that consecutive edits with the same key
// (e.g. "attr:conv1:out" while typing a number) undo as one step.
func (e *Editor) EditMerging(key, label string, fn func(g *Graph) error) error {
	return e.edit(label, key, fn)
}

func (e *Editor) edit(label, key string, fn func(g *Graph) error) error {
	next := e.g.Clone()
	if err := fn(&next); err != nil {
		return err
	}
	d := diff(&e.g, &next)
	if d == nil {
		return nil
	}
	d.label, d.key = label, key
	e.hist.push(d)
	e.g = next
	// Once the person edits, the view stays where they look.
	e.autoFit = false
	e.changed()
	return nil
}

// CanUndo and CanRedo report whether there is a step to undo or redo.
func (e *Editor) CanUndo() bool { return len(e.hist.undo) > 0 }

// CanRedo reports whether there is an undone step to redo.
func (e *Editor) CanRedo() bool { return len(e.hist.redo) > 0 }

// UndoLabel names the step Undo would revert ("" if none).
func (e *Editor) UndoLabel() string {
	if t := e.hist.top(); t != nil {
		return t.label
	}
	return ""
}

// RedoLabel names the step Redo would repeat ("" if none).
func (e *Editor) RedoLabel() string {
	if len(e.hist.redo) == 0 {
		return ""
	}
	return e.hist.redo[len(e.hist.redo)-1].label
}

// Undo reverts the last edit; it reports whether there was one.
func (e *Editor) Undo() bool {
	t := e.hist.top()
	if t == nil {
		return false
	}
	e.hist.undo = e.hist.undo[:len(e.hist.undo)-1]
	e.hist.redo = append(e.hist.redo, t)
	e.hist.sealed = true
	t.apply(&e.g, false)
	e.changed()
	return true
}

// Redo repeats the last undone edit; it reports whether there was one.
func (e *Editor) Redo() bool {
	if len(e.hist.redo) == 0 {
		return false
	}
	t := e.hist.redo[len(e.hist.redo)-1]
	e.hist.redo = e.hist.redo[:len(e.hist.redo)-1]
	e.hist.undo = append(e.hist.undo, t)
	e.hist.sealed = true
	t.apply(&e.g, true)
	e.changed()
	return true
}

// SealHistory stops the next merging edit from joining the previous one
// (e.g. when the inspector shows another node).
func (e *Editor) SealHistory() { e.hist.sealed = true }

// --- selection ---

// Selected returns the IDs of the selected nodes in graph order.
func (e *Editor) Selected() []string {
	var out []string
	for i := range e.g.Nodes {
		if e.sel[e.g.Nodes[i].ID] {
			out = append(out, e.g.Nodes[i].ID)
		}
	}
	return out
}

// SelectedEdge returns the selected connection, if any.
func (e *Editor) SelectedEdge() (src, dst string, ok bool) {
	return e.selEdge[0], e.selEdge[1], e.selEdge != [2]string{}
}

// IsSelected reports whether node id is selected.
func (e *Editor) IsSelected(id string) bool { return e.sel[id] }

// Select replaces the selection with the given nodes (unknown IDs are
// ignored).
func (e *Editor) Select(ids ...string) {
	e.sel = map[string]bool{}
	for _, id := range ids {
		if e.g.Find(id) != nil {
			e.sel[id] = true
		}
	}
	e.selEdge = [2]string{}
	e.Refresh()
	e.selectionChanged()
}

// SelectAll selects every node.
func (e *Editor) SelectAll() {
	e.Select(ids(&e.g)...)
}

// SelectedBlock returns the block whose members are exactly the selection,
// or "".
func (e *Editor) SelectedBlock() string {
	sel := e.Selected()
	if len(sel) == 0 {
		return ""
	}
	b := e.g.Find(sel[0]).Block
	if b == "" {
		return ""
	}
	count := 0
	for i := range e.g.Nodes {
		if e.g.Nodes[i].Block == b {
			if !e.sel[e.g.Nodes[i].ID] {
				return ""
			}
			count++
		}
	}
	if count != len(sel) {
		return ""
	}
	return b
}

// BlockOf returns the block of node id ("" for none) and whether it is
// collapsed.
func (e *Editor) BlockOf(id string) (string, bool) {
	n := e.g.Find(id)
	if n == nil || n.Block == "" {
		return "", false
	}
	b := e.g.block(n.Block)
	return n.Block, b != nil && b.Collapsed
}

// BlockExit returns the member of a block whose output leaves it (what a
// layer added after the block reads).
func (e *Editor) BlockExit(name string) string { return blockExit(&e.g, name) }

// Blocks returns a copy of the blocks.
func (e *Editor) Blocks() []Block { return slices.Clone(e.g.Blocks) }

func (e *Editor) selectionChanged() {
	e.hist.sealed = true
	if e.OnSelectionChanged != nil {
		e.OnSelectionChanged()
	}
}

// selectItem selects the nodes of card k (every member of a block);
// additive keeps the rest of the selection, toggling k.
func (e *Editor) selectItem(k int, additive bool) {
	it := &e.sc.items[k]
	members := e.itemNodes(k)
	if additive {
		on := !e.sel[e.g.Nodes[members[0]].ID]
		for _, m := range members {
			e.sel[e.g.Nodes[m].ID] = on
			if !on {
				delete(e.sel, e.g.Nodes[m].ID)
			}
		}
	} else {
		e.sel = map[string]bool{}
		for _, m := range members {
			e.sel[e.g.Nodes[m].ID] = true
		}
	}
	_ = it
	e.selEdge = [2]string{}
	e.Refresh()
	e.selectionChanged()
}

// itemNodes returns the node indices of card k.
func (e *Editor) itemNodes(k int) []int {
	it := &e.sc.items[k]
	if it.block {
		return it.members
	}
	return []int{it.node}
}

func (e *Editor) itemSelected(k int) bool {
	it := &e.sc.items[k]
	if it.block {
		return e.sel[e.g.Nodes[it.members[0]].ID]
	}
	return e.sel[it.id]
}

// --- edits ---

// AddNode adds n (its ID made unique, from its op when empty) and returns
// the ID. With after naming a node, n is inserted after it: n reads
// after's output, everything that read after now reads n, n is placed one
// row below after and the nodes downstream move down a row. Otherwise n
// stays where its X and Y put it, unconnected.
func (e *Editor) AddNode(n Node, after string) (string, error) {
	var id string
	label := "Add " + n.Op
	err := e.Edit(label, func(g *Graph) error {
		var err error
		id, err = insertNode(g, e.style, n, after)
		return err
	})
	if err != nil {
		e.message("%v", err)
		return "", err
	}
	e.Select(id)
	return id, nil
}

func insertNode(g *Graph, style func(*Node) Style, n Node, after string) (string, error) {
	n = n.clone()
	base := n.ID
	if base == "" {
		base = n.Op
	}
	n.ID = g.UniqueID(base)
	if after == "" {
		n.Inputs = nil
		g.Nodes = append(g.Nodes, n)
		return n.ID, nil
	}
	src := g.Find(after)
	if src == nil {
		return "", fmt.Errorf("no node %q to insert after", after)
	}
	if style(src).NoOutput {
		return "", fmt.Errorf("%s has no output to connect", src.Title())
	}
	if style(&n).MaxInputs == 0 {
		return "", fmt.Errorf("%s takes no input, so it cannot follow %s", n.Op, src.Title())
	}
	n.Inputs = []string{after}
	n.X, n.Y = src.X, src.Y+RowSpacing
	n.Block = src.Block
	if n.Block != "" && !readsOnlyInside(g, after, n.Block) {
		n.Block = ""
	}
	shiftDown(g, after, RowSpacing)
	for i := range g.Nodes {
		for j, in := range g.Nodes[i].Inputs {
			if in == after {
				g.Nodes[i].Inputs[j] = n.ID
			}
		}
	}
	// Insert right after the source in node order, so that tables list it
	// in place.
	at := slices.IndexFunc(g.Nodes, func(m Node) bool { return m.ID == after }) + 1
	g.Nodes = slices.Insert(g.Nodes, at, n)
	return n.ID, nil
}

// readsOnlyInside reports whether every reader of id is in block b (so a
// node inserted after id belongs inside the block).
func readsOnlyInside(g *Graph, id, b string) bool {
	readers := 0
	for i := range g.Nodes {
		if slices.Contains(g.Nodes[i].Inputs, id) {
			readers++
			if g.Nodes[i].Block != b {
				return false
			}
		}
	}
	return readers > 0
}

// shiftDown moves every node downstream of id that lies below it by dy, to
// make room under id.
func shiftDown(g *Graph, id string, dy float32) {
	src := g.Find(id)
	if src == nil {
		return
	}
	down := downstream(g, []string{id})
	for i := range g.Nodes {
		if down[g.Nodes[i].ID] && g.Nodes[i].ID != id && g.Nodes[i].Y > src.Y {
			g.Nodes[i].Y += dy
		}
	}
}

// downstream returns the IDs reachable from roots (roots included).
func downstream(g *Graph, roots []string) map[string]bool {
	readers := map[string][]string{}
	for i := range g.Nodes {
		for _, in := range g.Nodes[i].Inputs {
			readers[in] = append(readers[in], g.Nodes[i].ID)
		}
	}
	seen := map[string]bool{}
	stack := slices.Clone(roots)
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[id] {
			continue
		}
		seen[id] = true
		stack = append(stack, readers[id]...)
	}
	return seen
}

// Connect makes node to read node from's output. A node that takes one
// input (or is full) has its last input replaced; one that takes any
// number gets another.
func (e *Editor) Connect(from, to string) error {
	err := e.Edit("Connect "+from+" → "+to, func(g *Graph) error { return connect(g, e.style, from, to) })
	if err != nil {
		e.message("%v", err)
	}
	return err
}

func connect(g *Graph, style func(*Node) Style, from, to string) error {
	src, dst := g.Find(from), g.Find(to)
	switch {
	case src == nil || dst == nil:
		return fmt.Errorf("cannot connect %q to %q: no such node", from, to)
	case from == to:
		return fmt.Errorf("%s cannot read its own output", dst.Title())
	case style(src).NoOutput:
		return fmt.Errorf("%s has no output", src.Title())
	}
	st := style(dst)
	switch {
	case st.MaxInputs == 0:
		return fmt.Errorf("%s takes no input", dst.Title())
	case slices.Contains(dst.Inputs, from):
		return fmt.Errorf("%s already reads %s", dst.Title(), src.Title())
	case st.MaxInputs > 0 && len(dst.Inputs) >= st.MaxInputs:
		dst.Inputs[len(dst.Inputs)-1] = from
	default:
		dst.Inputs = append(dst.Inputs, from)
	}
	return nil
}

// Disconnect removes the connection from -> to; it reports whether there
// was one.
func (e *Editor) Disconnect(from, to string) bool {
	found := false
	e.Edit("Disconnect "+from+" → "+to, func(g *Graph) error {
		if n := g.Find(to); n != nil {
			if i := slices.Index(n.Inputs, from); i >= 0 {
				n.Inputs = slices.Delete(n.Inputs, i, i+1)
				found = true
			}
		}
		return nil
	})
	return found
}

// MoveNodes moves the nodes by (dx, dy) canvas units as one step.
func (e *Editor) MoveNodes(ids []string, dx, dy float32) {
	label := "Move " + plural(len(ids), "node")
	e.Edit(label, func(g *Graph) error {
		set := setOf(ids)
		for i := range g.Nodes {
			if set[g.Nodes[i].ID] {
				g.Nodes[i].X += dx
				g.Nodes[i].Y += dy
			}
		}
		return nil
	})
}

// Delete removes nodes, keeping chains connected: a reader of a removed
// node with exactly one input reads that input instead.
func (e *Editor) Delete(ids ...string) {
	if len(ids) == 0 {
		return
	}
	e.Edit("Delete "+plural(len(ids), "node"), func(g *Graph) error {
		deleteNodes(g, setOf(ids))
		return nil
	})
}

func deleteNodes(g *Graph, gone map[string]bool) {
	resolve := func(id string) string {
		for range len(g.Nodes) + 1 {
			if !gone[id] {
				return id
			}
			n := g.Find(id)
			if n == nil || len(n.Inputs) != 1 {
				return ""
			}
			id = n.Inputs[0]
		}
		return ""
	}
	var kept []Node
	for _, n := range g.Nodes {
		if gone[n.ID] {
			continue
		}
		var ins []string
		for _, in := range n.Inputs {
			if r := resolve(in); r != "" && r != n.ID && !slices.Contains(ins, r) {
				ins = append(ins, r)
			}
		}
		n.Inputs = ins
		kept = append(kept, n)
	}
	g.Nodes = kept
	pruneBlocks(g)
}

// pruneBlocks drops blocks that have no member left.
func pruneBlocks(g *Graph) {
	used := map[string]bool{}
	for _, n := range g.Nodes {
		used[n.Block] = true
	}
	g.Blocks = slices.DeleteFunc(g.Blocks, func(b Block) bool { return !used[b.Name] })
}

// DeleteSelection deletes the selected nodes, or the selected connection.
func (e *Editor) DeleteSelection() {
	if sel := e.Selected(); len(sel) > 0 {
		e.Delete(sel...)
		return
	}
	if src, dst, ok := e.SelectedEdge(); ok {
		e.Disconnect(src, dst)
	}
}

// Group puts the nodes into a new block called name (they leave any block
// they were in).
func (e *Editor) Group(name string, ids []string) error {
	if name == "" {
		return errors.New("give the block a name")
	}
	if len(ids) == 0 {
		return errors.New("select the nodes to group first")
	}
	set := setOf(ids)
	for _, n := range e.g.Nodes {
		if n.Block == name && !set[n.ID] {
			return fmt.Errorf("a block called %q already exists: choose another name", name)
		}
	}
	if e.g.Find(name) != nil {
		return fmt.Errorf("a node is called %q: choose another name for the block", name)
	}
	return e.Edit("Group into "+name, func(g *Graph) error {
		for i := range g.Nodes {
			if set[g.Nodes[i].ID] {
				g.Nodes[i].Block = name
			}
		}
		if g.block(name) == nil {
			g.Blocks = append(g.Blocks, Block{Name: name})
		}
		pruneBlocks(g)
		return nil
	})
}

// Ungroup dissolves a block; its nodes stay.
func (e *Editor) Ungroup(name string) {
	e.Edit("Ungroup "+name, func(g *Graph) error {
		for i := range g.Nodes {
			if g.Nodes[i].Block == name {
				g.Nodes[i].Block = ""
			}
		}
		pruneBlocks(g)
		return nil
	})
}

// SetCollapsed collapses a block into one card or expands it, and lays the
// graph out again when the editor has a Layout.
func (e *Editor) SetCollapsed(name string, collapsed bool) {
	verb := "Expand "
	if collapsed {
		verb = "Collapse "
	}
	e.Edit(verb+name, func(g *Graph) error {
		b := g.block(name)
		if b == nil {
			return fmt.Errorf("no block %q", name)
		}
		b.Collapsed = collapsed
		e.layout(g)
		return nil
	})
}

// SetAllCollapsed collapses or expands every block as one step.
func (e *Editor) SetAllCollapsed(collapsed bool) {
	verb := "Expand all blocks"
	if collapsed {
		verb = "Collapse all blocks"
	}
	e.Edit(verb, func(g *Graph) error {
		for i := range g.Blocks {
			g.Blocks[i].Collapsed = collapsed
		}
		e.layout(g)
		return nil
	})
}

// AutoLayout places every node with the Layout function as one step.
func (e *Editor) AutoLayout() {
	if e.Layout == nil {
		return
	}
	e.Edit("Automatic layout", func(g *Graph) error {
		e.layout(g)
		return nil
	})
	if !e.boundsVisible() {
		e.FitAll()
	}
}

// layout runs Layout on g with every collapsed block reduced to one node,
// then moves each block's members with it.
func (e *Editor) layout(g *Graph) {
	if e.Layout == nil {
		return
	}
	sc := buildScene(g, e.style)
	key := func(k int) string {
		if sc.items[k].block {
			return "\x00block\x00" + sc.items[k].id
		}
		return sc.items[k].id
	}
	red := Graph{Nodes: make([]Node, len(sc.items))}
	for k := range sc.items {
		red.Nodes[k] = Node{ID: key(k), X: sc.items[k].x, Y: sc.items[k].y}
	}
	// Inputs in the order of the graph's nodes.
	for j := range g.Nodes {
		b := sc.itemOf[j]
		for _, in := range g.Nodes[j].Inputs {
			i := slices.IndexFunc(g.Nodes, func(n Node) bool { return n.ID == in })
			if i < 0 || sc.itemOf[i] == b {
				continue
			}
			if k := key(sc.itemOf[i]); !slices.Contains(red.Nodes[b].Inputs, k) {
				red.Nodes[b].Inputs = append(red.Nodes[b].Inputs, k)
			}
		}
	}
	e.Layout(&red)
	for k := range sc.items {
		it := &sc.items[k]
		p := red.Nodes[k]
		if !it.block {
			g.Nodes[it.node].X, g.Nodes[it.node].Y = p.X, p.Y
			continue
		}
		dx, dy := p.X-it.x, p.Y-it.y
		for _, m := range it.members {
			g.Nodes[m].X += dx
			g.Nodes[m].Y += dy
		}
	}
}

// Replace swaps the whole graph for g as one undoable step named label
// (inserting a model of the zoo).
func (e *Editor) Replace(label string, g Graph) {
	e.Edit(label, func(cur *Graph) error {
		*cur = g.Clone()
		return nil
	})
	e.sel = map[string]bool{}
	e.autoFit = true
	e.FitAll()
	e.selectionChanged()
}

// --- view ---

// Zoom returns the zoom factor (1 is 100 %).
func (e *Editor) Zoom() float32 { return e.zoom }

// Zoom limits.
const (
	MinZoom = 0.05
	MaxZoom = 3
)

// SetZoom zooms about the centre of the view.
func (e *Editor) SetZoom(z float32) {
	e.zoomAt(z, fyne.NewPos(e.size.Width/2, e.size.Height/2))
}

// ZoomIn and ZoomOut step the zoom by a fifth.
func (e *Editor) ZoomIn() { e.SetZoom(e.zoom * 1.25) }

// ZoomOut steps the zoom down by a fifth.
func (e *Editor) ZoomOut() { e.SetZoom(e.zoom / 1.25) }

// zoomAt changes the zoom keeping the canvas point under p (widget
// coordinates) in place.
func (e *Editor) zoomAt(z float32, p fyne.Position) {
	e.autoFit = false
	z = max(MinZoom, min(MaxZoom, z))
	m := e.toCanvas(p)
	e.zoom = z
	e.offset = fyne.NewPos(m.X-p.X/z, m.Y-p.Y/z)
	e.viewChanged()
}

// FitAll zooms and pans so the whole graph is in view (at most 100 %).
func (e *Editor) FitAll() {
	if e.size.Width <= 0 || e.size.Height <= 0 {
		e.fitPending = true
		return
	}
	e.fitPending = false
	bx0, by0, bx1, by1 := e.exportBounds()
	w, h := bx1-bx0, by1-by0
	z := float32(1)
	if len(e.sc.items) > 0 {
		z = min(1, e.size.Width/w, e.size.Height/h)
	}
	z = max(MinZoom, z)
	if z < fitMinZoom && len(e.sc.items) > 0 {
		// A long graph shrunk to fit would be unreadable: show its top
		// at a legible size, centred, and let the overview show the rest.
		z = fitMinZoom
		e.zoom = z
		e.offset = fyne.NewPos((bx0+bx1)/2-e.size.Width/2/z, by0)
		e.viewChanged()
		return
	}
	e.zoom = z
	e.offset = fyne.NewPos((bx0+bx1)/2-e.size.Width/2/z, (by0+by1)/2-e.size.Height/2/z)
	e.viewChanged()
}

// fitMinZoom is the smallest zoom FitAll uses: below it a card's text is
// too small to read.
const fitMinZoom = 0.5

// CenterOn pans so node id is in the middle of the view (a collapsed
// block's card when it is hidden inside one).
func (e *Editor) CenterOn(id string) {
	e.autoFit = false
	i := slices.IndexFunc(e.g.Nodes, func(n Node) bool { return n.ID == id })
	if i < 0 {
		return
	}
	it := &e.sc.items[e.sc.itemOf[i]]
	e.offset = fyne.NewPos(it.x-e.size.Width/2/e.zoom, it.y-e.size.Height/2/e.zoom)
	e.viewChanged()
}

// Reveal pans just enough to bring node id into view.
func (e *Editor) Reveal(id string) {
	i := slices.IndexFunc(e.g.Nodes, func(n Node) bool { return n.ID == id })
	if i < 0 || e.size.Width <= 0 {
		return
	}
	x0, y0, x1, y1 := e.sc.items[e.sc.itemOf[i]].rect()
	vx0, vy0, vx1, vy1 := e.viewRect()
	if x0 >= vx0 && x1 <= vx1 && y0 >= vy0 && y1 <= vy1 {
		return
	}
	e.CenterOn(id)
}

// Pan moves the view by (dx, dy) pixels.
func (e *Editor) Pan(dx, dy float32) {
	e.autoFit = false
	e.offset = fyne.NewPos(e.offset.X+dx/e.zoom, e.offset.Y+dy/e.zoom)
	e.viewChanged()
}

func (e *Editor) viewChanged() {
	e.Refresh()
	if e.OnViewChanged != nil {
		e.OnViewChanged()
	}
}

// viewRect is the visible area in canvas units.
func (e *Editor) viewRect() (x0, y0, x1, y1 float32) {
	return e.offset.X, e.offset.Y, e.offset.X + e.size.Width/e.zoom, e.offset.Y + e.size.Height/e.zoom
}

func (e *Editor) boundsVisible() bool {
	x0, y0, x1, y1 := e.viewRect()
	s := e.sc
	return s.x1 > x0 && s.x0 < x1 && s.y1 > y0 && s.y0 < y1
}

// toCanvas converts widget coordinates to canvas units, toScreen back.
func (e *Editor) toCanvas(p fyne.Position) fyne.Position {
	return fyne.NewPos(e.offset.X+p.X/e.zoom, e.offset.Y+p.Y/e.zoom)
}

func (e *Editor) toScreen(p fyne.Position) fyne.Position {
	return fyne.NewPos((p.X-e.offset.X)*e.zoom, (p.Y-e.offset.Y)*e.zoom)
}

// --- helpers ---

func setOf(ids []string) map[string]bool {
	m := make(map[string]bool, len(ids))
	for _, id := range ids {
		m[id] = true
	}
	return m
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// sortedKeys returns the keys of m, sorted.
func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		if v {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// press is where and how a mouse button went down.
type press struct {
	pos    fyne.Position
	button int
	mod    fyne.KeyModifier
	at     time.Time
	item   int
	valid  bool
}
