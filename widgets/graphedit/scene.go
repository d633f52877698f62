package graphedit

import (
	"image/color"
	"math"
	"sort"

	"fyne.io/fyne/v2"
)

// Size of a card in canvas units (the automatic layout spaces rows 80 and
// columns 180 apart, which leaves room for edges between cards).
const (
	NodeWidth  = 160
	NodeHeight = 56
)

// blockAccent colours a collapsed block's card.
var blockAccent = color.NRGBA{0x5c, 0x6b, 0xc0, 0xff}

// framePadX and framePadY pad an expanded block's frame around its cards.
const (
	framePadX = 14
	framePadY = 10
)

// item is one card on the canvas: a node, or a collapsed block standing for
// its members.
type item struct {
	id      string // node ID, or block name for a collapsed block
	block   bool   // a collapsed block
	node    int    // index of the node in the graph; -1 for a block
	members []int  // indices of a block's nodes
	// exit is the member whose output leaves the block (its shape is the
	// block's), or the node itself.
	exit  int
	x, y  float32
	style Style
	// inputs is the number of edges arriving (drawn onto the input port).
	inputs int
}

func (it *item) rect() (x0, y0, x1, y1 float32) {
	return it.x - NodeWidth/2, it.y - NodeHeight/2, it.x + NodeWidth/2, it.y + NodeHeight/2
}

func (it *item) inPort() fyne.Position  { return fyne.NewPos(it.x, it.y-NodeHeight/2) }
func (it *item) outPort() fyne.Position { return fyne.NewPos(it.x, it.y+NodeHeight/2) }

func (it *item) hasIn() bool  { return it.block || it.style.MaxInputs != 0 }
func (it *item) hasOut() bool { return it.block || !it.style.NoOutput }

// edge is a connection between two cards, with its route in canvas units.
type edge struct {
	from, to int    // item indices
	src, dst string // node IDs of the producer and the consumer
	pts      []fyne.Position
	x0, y0   float32 // bounding box of pts
	x1, y1   float32
}

// frame is the outline of an expanded block.
type frame struct {
	name           string
	x0, y0, x1, y1 float32
	members        []int
}

// scene is the graph as drawn: cards, routed edges and block frames, all in
// canvas units. It is rebuilt after every change of the graph (a few
// milliseconds for ResNet-152); panning and zooming only cull and transform
// it.
type scene struct {
	items  []item
	itemOf []int // node index -> item index
	byID   map[string]int
	edges  []edge
	frames []frame
	// byY holds item indices sorted by y, for range queries.
	byY []int
	// bounds of everything drawn.
	x0, y0, x1, y1 float32
}

func buildScene(g *Graph, style func(*Node) Style) *scene {
	s := &scene{itemOf: make([]int, len(g.Nodes)), byID: map[string]int{}}
	collapsed := map[string]int{} // block name -> item index
	nodeIdx := make(map[string]int, len(g.Nodes))
	for i := range g.Nodes {
		nodeIdx[g.Nodes[i].ID] = i
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Block != "" {
			if b := g.block(n.Block); b != nil && b.Collapsed {
				k, ok := collapsed[n.Block]
				if !ok {
					k = len(s.items)
					collapsed[n.Block] = k
					s.items = append(s.items, item{id: n.Block, block: true, node: -1, exit: -1})
				}
				s.items[k].members = append(s.items[k].members, i)
				s.itemOf[i] = k
				continue
			}
		}
		s.itemOf[i] = len(s.items)
		s.items = append(s.items, item{id: n.ID, node: i, exit: i, x: n.X, y: n.Y, style: style(n)})
	}
	// A collapsed block sits at its members' centroid; its exit is the
	// member read from outside (or the last one).
	readOutside := map[int]bool{}
	for j := range g.Nodes {
		for _, in := range g.Nodes[j].Inputs {
			if i, ok := nodeIdx[in]; ok && s.itemOf[i] != s.itemOf[j] {
				readOutside[i] = true
			}
		}
	}
	for k := range s.items {
		it := &s.items[k]
		if !it.block {
			continue
		}
		var sx, sy float32
		for _, m := range it.members {
			sx += g.Nodes[m].X
			sy += g.Nodes[m].Y
			if readOutside[m] || it.exit < 0 {
				it.exit = m
			}
		}
		it.x, it.y = sx/float32(len(it.members)), sy/float32(len(it.members))
		it.style = Style{Subtitle: "block", Accent: blockAccent, MinInputs: 0, MaxInputs: -1}
	}
	for k := range s.items {
		s.byID[s.items[k].id] = k
	}
	// Edges, one per pair of cards.
	seen := map[[2]int]bool{}
	for j := range g.Nodes {
		for _, in := range g.Nodes[j].Inputs {
			i, ok := nodeIdx[in]
			if !ok {
				continue
			}
			a, b := s.itemOf[i], s.itemOf[j]
			if a == b || seen[[2]int{a, b}] {
				continue
			}
			seen[[2]int{a, b}] = true
			s.items[b].inputs++
			s.edges = append(s.edges, edge{from: a, to: b, src: in, dst: g.Nodes[j].ID})
		}
	}
	s.byY = make([]int, len(s.items))
	for k := range s.byY {
		s.byY[k] = k
	}
	sort.Slice(s.byY, func(a, b int) bool { return s.items[s.byY[a]].y < s.items[s.byY[b]].y })
	s.route()
	// Frames of expanded blocks.
	for _, b := range g.Blocks {
		if b.Collapsed {
			continue
		}
		f := frame{name: b.Name, x0: float32(math.Inf(1)), y0: float32(math.Inf(1)), x1: float32(math.Inf(-1)), y1: float32(math.Inf(-1))}
		for i := range g.Nodes {
			if g.Nodes[i].Block != b.Name {
				continue
			}
			f.members = append(f.members, i)
			n := &g.Nodes[i]
			f.x0, f.y0 = min(f.x0, n.X-NodeWidth/2-framePadX), min(f.y0, n.Y-NodeHeight/2-framePadY)
			f.x1, f.y1 = max(f.x1, n.X+NodeWidth/2+framePadX), max(f.y1, n.Y+NodeHeight/2+framePadY)
		}
		if len(f.members) > 0 {
			s.frames = append(s.frames, f)
		}
	}
	s.bounds()
	return s
}

func (s *scene) bounds() {
	if len(s.items) == 0 {
		s.x0, s.y0, s.x1, s.y1 = 0, 0, 0, 0
		return
	}
	inf := float32(math.Inf(1))
	s.x0, s.y0, s.x1, s.y1 = inf, inf, -inf, -inf
	grow := func(x0, y0, x1, y1 float32) {
		s.x0, s.y0, s.x1, s.y1 = min(s.x0, x0), min(s.y0, y0), max(s.x1, x1), max(s.y1, y1)
	}
	for k := range s.items {
		grow(s.items[k].rect())
	}
	for _, e := range s.edges {
		grow(e.x0, e.y0, e.x1, e.y1)
	}
	for _, f := range s.frames {
		grow(f.x0-frameLabelWidth(f.name), f.y0, f.x1, f.y1)
	}
}

// lane is a vertical run of a detour, kept apart from the others.
type lane struct {
	x, y0, y1 float32
	src       string
}

// route gives every edge its path: a smooth S-curve from the output port
// down to the input port, or, when cards stand in the way (a residual
// shortcut past the layers of its block) or the edge runs upwards (a
// cycle), a detour to the right of the cards in a lane of its own.
func (s *scene) route() {
	var lanes []lane
	for k := range s.edges {
		e := &s.edges[k]
		a, b := &s.items[e.from], &s.items[e.to]
		p0, p1 := a.outPort(), b.inPort()
		dy := p1.Y - p0.Y
		switch {
		case dy >= 16 && !s.blocked(e.from, e.to, p0, p1):
			if math.Abs(float64(p1.X-p0.X)) < 0.5 {
				e.pts = []fyne.Position{p0, p1}
			} else {
				e.pts = cubic(nil, p0, fyne.NewPos(p0.X, p0.Y+dy/2), fyne.NewPos(p1.X, p1.Y-dy/2), p1, 14)
			}
		default:
			x := max(p0.X, p1.X) + NodeWidth/2 + 22
			ylo, yhi := min(p0.Y, p1.Y), max(p0.Y, p1.Y)
			for {
				clash := false
				for _, l := range lanes {
					if l.src != e.src && math.Abs(float64(l.x-x)) < 10 && l.y0 < yhi+20 && ylo-20 < l.y1 {
						clash = true
						break
					}
				}
				if !clash {
					break
				}
				x += 12
			}
			lanes = append(lanes, lane{x: x, y0: ylo, y1: yhi, src: e.src})
			e.pts = detour(p0, p1, x)
		}
		e.x0, e.y0, e.x1, e.y1 = e.pts[0].X, e.pts[0].Y, e.pts[0].X, e.pts[0].Y
		for _, p := range e.pts[1:] {
			e.x0, e.y0, e.x1, e.y1 = min(e.x0, p.X), min(e.y0, p.Y), max(e.x1, p.X), max(e.y1, p.Y)
		}
	}
}

// blocked reports whether a card other than a and b overlaps the straight
// band between p0 and p1.
func (s *scene) blocked(a, b int, p0, p1 fyne.Position) bool {
	lo := sort.Search(len(s.byY), func(i int) bool { return s.items[s.byY[i]].y+NodeHeight/2 > p0.Y+2 })
	xl, xr := min(p0.X, p1.X)-6, max(p0.X, p1.X)+6
	for _, k := range s.byY[lo:] {
		it := &s.items[k]
		if it.y-NodeHeight/2 >= p1.Y-2 {
			break
		}
		if k == a || k == b {
			continue
		}
		if it.x+NodeWidth/2 > xl && it.x-NodeWidth/2 < xr {
			return true
		}
	}
	return false
}

// detour runs from p0 down and out to the lane at x, along it, and back in
// to p1 from above.
func detour(p0, p1 fyne.Position, x float32) []fyne.Position {
	const r = 26
	var pts []fyne.Position
	if p1.Y-p0.Y >= 4*r {
		pts = cubic(pts, p0, fyne.NewPos(p0.X, p0.Y+r), fyne.NewPos(x, p0.Y+r), fyne.NewPos(x, p0.Y+2*r), 10)
		pts = cubic(pts, fyne.NewPos(x, p1.Y-2*r), fyne.NewPos(x, p1.Y-r), fyne.NewPos(p1.X, p1.Y-r), p1, 10)
		return pts
	}
	// Upwards (or nearly level): leave downwards, climb the lane, enter from
	// above.
	pts = cubic(pts, p0, fyne.NewPos(p0.X, p0.Y+1.6*r), fyne.NewPos(x, p0.Y+1.6*r), fyne.NewPos(x, p0.Y), 10)
	pts = cubic(pts, fyne.NewPos(x, p1.Y), fyne.NewPos(x, p1.Y-1.6*r), fyne.NewPos(p1.X, p1.Y-1.6*r), p1, 10)
	return pts
}

// cubic appends the Bézier curve p0..p3 as n segments.
func cubic(pts []fyne.Position, p0, p1, p2, p3 fyne.Position, n int) []fyne.Position {
	if len(pts) == 0 || pts[len(pts)-1] != p0 {
		pts = append(pts, p0)
	}
	for i := 1; i <= n; i++ {
		t := float32(i) / float32(n)
		u := 1 - t
		a, b, c, d := u*u*u, 3*u*u*t, 3*u*t*t, t*t*t
		pts = append(pts, fyne.NewPos(a*p0.X+b*p1.X+c*p2.X+d*p3.X, a*p0.Y+b*p1.Y+c*p2.Y+d*p3.Y))
	}
	return pts
}

// hitItem returns the card under p (canvas units), or -1; the card drawn
// last (on top) wins.
func (s *scene) hitItem(p fyne.Position) int {
	for k := len(s.items) - 1; k >= 0; k-- {
		x0, y0, x1, y1 := s.items[k].rect()
		if p.X >= x0 && p.X <= x1 && p.Y >= y0 && p.Y <= y1 {
			return k
		}
	}
	return -1
}

// hitPort returns the card whose input (out false) or output (out true)
// port is within r of p, or -1.
func (s *scene) hitPort(p fyne.Position, r float32) (k int, out bool) {
	best, bestD := -1, r*r
	for i := range s.items {
		it := &s.items[i]
		if it.hasOut() {
			if d := dist2(p, it.outPort()); d <= bestD {
				best, bestD, out = i, d, true
			}
		}
		if it.hasIn() {
			if d := dist2(p, it.inPort()); d <= bestD {
				best, bestD, out = i, d, false
			}
		}
	}
	return best, out
}

// hitEdge returns the edge within r of p, or -1.
func (s *scene) hitEdge(p fyne.Position, r float32) int {
	best, bestD := -1, r*r
	for k := range s.edges {
		e := &s.edges[k]
		if p.X < e.x0-r || p.X > e.x1+r || p.Y < e.y0-r || p.Y > e.y1+r {
			continue
		}
		for i := 1; i < len(e.pts); i++ {
			if d := segDist2(p, e.pts[i-1], e.pts[i]); d <= bestD {
				best, bestD = k, d
			}
		}
	}
	return best
}

// frameLabelWidth estimates the width of a block's label in canvas units
// (the label sits left of the frame's top corner).
func frameLabelWidth(name string) float32 { return 6.5*float32(len([]rune(name))) + 12 }

// hitFrameLabel returns the expanded block whose label is under p, or -1.
func (s *scene) hitFrameLabel(p fyne.Position) int {
	for k, f := range s.frames {
		if p.Y >= f.y0 && p.Y <= f.y0+18 && p.X >= f.x0-frameLabelWidth(f.name) && p.X <= f.x0 {
			return k
		}
	}
	return -1
}

func dist2(a, b fyne.Position) float32 {
	dx, dy := a.X-b.X, a.Y-b.Y
	return dx*dx + dy*dy
}

func segDist2(p, a, b fyne.Position) float32 {
	dx, dy := b.X-a.X, b.Y-a.Y
	l := dx*dx + dy*dy
	t := float32(0)
	if l > 0 {
		t = ((p.X-a.X)*dx + (p.Y-a.Y)*dy) / l
		t = max(0, min(1, t))
	}
	return dist2(p, fyne.NewPos(a.X+t*dx, a.Y+t*dy))
}
