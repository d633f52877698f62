package graphedit

import (
	"errors"
	"fmt"
	"slices"
)

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
