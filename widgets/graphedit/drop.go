package graphedit

import (
	"slices"

	"fyne.io/fyne/v2"
)

// localPos converts an absolute position to widget coordinates.
func (e *Editor) localPos(abs fyne.Position) fyne.Position {
	return abs.Subtract(fyne.CurrentApp().Driver().AbsolutePositionForObject(e))
}

// ShowDropPreview outlines where a palette item dragged to the absolute
// position abs would land; it reports whether abs is over the canvas.
func (e *Editor) ShowDropPreview(abs fyne.Position, label string) bool {
	p := e.localPos(abs)
	if p.X < 0 || p.Y < 0 || p.X > e.size.Width || p.Y > e.size.Height {
		e.HideDropPreview()
		return false
	}
	e.drop = &dropPreview{pos: p, label: label}
	e.Refresh()
	return true
}

// HideDropPreview removes the drop outline.
func (e *Editor) HideDropPreview() {
	if e.drop != nil {
		e.drop = nil
		e.Refresh()
	}
}

// DropNode adds n where a palette item was dropped (absolute position
// abs): on a connection it is spliced in, on a card it is inserted after
// that card, elsewhere it lands unconnected. It reports the new ID, or ""
// when abs is not over the canvas.
func (e *Editor) DropNode(n Node, abs fyne.Position) (string, error) {
	e.HideDropPreview()
	return e.DropNodeAt(n, e.localPos(abs))
}

// DropNodeAt is DropNode at widget coordinates p.
func (e *Editor) DropNodeAt(n Node, p fyne.Position) (string, error) {
	if p.X < 0 || p.Y < 0 || p.X > e.size.Width || p.Y > e.size.Height {
		return "", nil
	}
	m := e.toCanvas(p)
	if k := e.sc.hitItem(m); k >= 0 {
		return e.AddNode(n, e.g.Nodes[e.exitNode(k)].ID)
	}
	if k := e.sc.hitEdge(m, max(8/e.zoom, 4)); k >= 0 {
		ed := e.sc.edges[k]
		return e.Splice(n, ed.src, ed.dst)
	}
	n.X, n.Y = m.X, m.Y
	return e.AddNode(n, "")
}

// Splice inserts n on the connection src -> dst: n reads src and dst reads
// n; dst and what follows it move down a row.
func (e *Editor) Splice(n Node, src, dst string) (string, error) {
	var id string
	err := e.Edit("Insert "+n.Op, func(g *Graph) error {
		s, d := g.Find(src), g.Find(dst)
		if s == nil || d == nil || !slices.Contains(d.Inputs, src) {
			return errNoConnection(src, dst)
		}
		n = n.clone()
		base := n.ID
		if base == "" {
			base = n.Op
		}
		n.ID = g.UniqueID(base)
		n.Inputs = []string{src}
		n.X, n.Y = d.X, d.Y
		if s.Block != "" && s.Block == d.Block {
			n.Block = s.Block
		}
		for _, id := range sortedKeys(downstream(g, []string{dst})) {
			if m := g.Find(id); m != nil {
				m.Y += RowSpacing
			}
		}
		d = g.Find(dst)
		for i, in := range d.Inputs {
			if in == src {
				d.Inputs[i] = n.ID
			}
		}
		at := slices.IndexFunc(g.Nodes, func(m Node) bool { return m.ID == dst })
		g.Nodes = slices.Insert(g.Nodes, at, n)
		id = n.ID
		return nil
	})
	if err != nil {
		e.message("%v", err)
		return "", err
	}
	e.Select(id)
	return id, nil
}
