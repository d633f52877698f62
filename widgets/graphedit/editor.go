package graphedit

import (
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
