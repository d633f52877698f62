package graphedit

import (
	"slices"
)

// edit is one step of the undo stack: the nodes it changed, before and
// after (nil: absent), the node order when it changed (nodes added or
// removed), and the blocks when they changed. It is computed by diffing the
// graph before and after a change, so every operation is undoable the same
// way and a step costs memory in proportion to what it touched.
type edit struct {
	label         string
	key           string // edits with the same non-empty key merge
	before, after map[string]*Node
	orderBefore   []string
	orderAfter    []string
	blocksBefore  []Block
	blocksAfter   []Block
	blocksChanged bool
}

// diff returns the edit that turns a into b, or nil when they are equal.
func diff(a, b *Graph) *edit {
	e := &edit{before: map[string]*Node{}, after: map[string]*Node{}}
	ai := make(map[string]int, len(a.Nodes))
	for i := range a.Nodes {
		ai[a.Nodes[i].ID] = i
	}
	bi := make(map[string]int, len(b.Nodes))
	for i := range b.Nodes {
		bi[b.Nodes[i].ID] = i
	}
	for i := range a.Nodes {
		n := &a.Nodes[i]
		j, ok := bi[n.ID]
		if !ok {
			c := n.clone()
			e.before[n.ID], e.after[n.ID] = &c, nil
			continue
		}
		if !n.equal(&b.Nodes[j]) {
			c, d := n.clone(), b.Nodes[j].clone()
			e.before[n.ID], e.after[n.ID] = &c, &d
		}
	}
	for j := range b.Nodes {
		n := &b.Nodes[j]
		if _, ok := ai[n.ID]; !ok {
			d := n.clone()
			e.before[n.ID], e.after[n.ID] = nil, &d
		}
	}
	sameOrder := len(a.Nodes) == len(b.Nodes)
	for i := 0; sameOrder && i < len(a.Nodes); i++ {
		sameOrder = a.Nodes[i].ID == b.Nodes[i].ID
	}
	if !sameOrder {
		e.orderBefore, e.orderAfter = ids(a), ids(b)
	}
	if !slices.Equal(a.Blocks, b.Blocks) {
		e.blocksChanged = true
		e.blocksBefore, e.blocksAfter = slices.Clone(a.Blocks), slices.Clone(b.Blocks)
	}
	if len(e.before) == 0 && sameOrder && !e.blocksChanged {
		return nil
	}
	return e
}

func ids(g *Graph) []string {
	out := make([]string, len(g.Nodes))
	for i := range g.Nodes {
		out[i] = g.Nodes[i].ID
	}
	return out
}

// apply changes g to the edit's after state (redo) or before state (undo).
func (e *edit) apply(g *Graph, redo bool) {
	nodes, order, blocks := e.after, e.orderAfter, e.blocksAfter
	if !redo {
		nodes, order, blocks = e.before, e.orderBefore, e.blocksBefore
	}
	if order == nil {
		for i := range g.Nodes {
			if n, ok := nodes[g.Nodes[i].ID]; ok && n != nil {
				g.Nodes[i] = n.clone()
			}
		}
	} else {
		cur := make(map[string]*Node, len(g.Nodes))
		for i := range g.Nodes {
			cur[g.Nodes[i].ID] = &g.Nodes[i]
		}
		out := make([]Node, 0, len(order))
		for _, id := range order {
			if n, ok := nodes[id]; ok {
				if n != nil {
					out = append(out, n.clone())
				}
				continue
			}
			if n := cur[id]; n != nil {
				out = append(out, *n)
			}
		}
		g.Nodes = out
	}
	if e.blocksChanged {
		g.Blocks = slices.Clone(blocks)
	}
}

// merge folds next (which followed e) into e, so that one undo reverts both.
func (e *edit) merge(next *edit) {
	for id, n := range next.before {
		if _, ok := e.before[id]; !ok {
			e.before[id] = n
		}
	}
	for id, n := range next.after {
		e.after[id] = n
	}
	if e.orderBefore == nil {
		e.orderBefore = next.orderBefore
	}
	if next.orderAfter != nil {
		e.orderAfter = next.orderAfter
	}
	if next.blocksChanged {
		if !e.blocksChanged {
			e.blocksBefore = next.blocksBefore
		}
		e.blocksChanged = true
		e.blocksAfter = next.blocksAfter
	}
	e.label = next.label
}

// history is the undo and redo stacks.
type history struct {
	undo, redo []*edit
	// sealed stops the next edit from merging into the top one.
	sealed bool
}

// maxHistory bounds the undo stack.
const maxHistory = 500

func (h *history) push(e *edit) {
	h.redo = nil
	if top := h.top(); top != nil && e.key != "" && top.key == e.key && !h.sealed {
		top.merge(e)
		return
	}
	h.undo = append(h.undo, e)
	if len(h.undo) > maxHistory {
		h.undo = slices.Delete(h.undo, 0, len(h.undo)-maxHistory)
	}
	h.sealed = false
}

func (h *history) top() *edit {
	if len(h.undo) == 0 {
		return nil
	}
	return h.undo[len(h.undo)-1]
}
