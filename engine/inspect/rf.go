package inspect

import (
	"fmt"
	"image"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
)

// Receptive fields.
//
// Field is the textbook arithmetic, carried forward through a chain of
// convolutions and poolings: a unit of a layer sees Size input pixels
// along each axis, adjacent units are Jump pixels apart, and unit 0's
// field starts at Offset (negative where padding reaches outside the
// image). For L stacked stride-1 convolutions of kernel K it gives
// 1 + L(K-1).
//
// Box is exact for one unit: it walks the graph backwards from that unit
// with intervals, clipping at every layer to the positions that exist (a
// padded position depends on nothing), and follows channels through
// grouped convolutions, concatenations and channel-local layers, so at the
// borders, behind strides that skip pixels, and in branching graphs it is
// the bounding box of exactly the input pixels the unit depends on.
// Layers whose output depends on whole maps (global pooling, fully
// connected layers, softmax, and the statistics of layer, group and
// instance normalisation) give the whole image.

// Field is the nominal receptive field of a layer's units.
type Field struct {
	Size, Jump, Offset int
	// Global is true when every unit depends on the whole image (after a
	// fully connected layer or global pooling): Size, Jump and Offset
	// then mean nothing.
	Global bool
}

// Window returns unit (y, x)'s nominal field in input pixels, unclipped.
func (f Field) Window(y, x int) image.Rectangle {
	return image.Rect(f.Offset+x*f.Jump, f.Offset+y*f.Jump, f.Offset+x*f.Jump+f.Size, f.Offset+y*f.Jump+f.Size)
}

// ReceptiveFields computes receptive fields over a model's graph.
type ReceptiveFields struct {
	g      graph.Graph
	a      *nn.Analysis
	nodes  map[string]*graph.Node
	fields map[string]Field
	users  map[string][]string // node -> consumers
	order  map[string]int
}

// NewReceptiveFields analyses g for inputs of shape input ([C,H,W]; nil
// for the graph's own).
func NewReceptiveFields(g graph.Graph, input []int) (*ReceptiveFields, error) {
	a := nn.Analyze(g, input)
	if err := a.Err(); err != nil {
		return nil, err
	}
	r := &ReceptiveFields{g: g, a: a, nodes: map[string]*graph.Node{}, fields: map[string]Field{},
		users: map[string][]string{}, order: map[string]int{}}
	for i := range g.Nodes {
		r.nodes[g.Nodes[i].ID] = &g.Nodes[i]
	}
	for i, id := range a.Order {
		r.order[id] = i
		n := r.nodes[id]
		for _, in := range n.Inputs {
			r.users[in] = append(r.users[in], id)
		}
		r.fields[id] = r.forward(n)
	}
	return r, nil
}

func (r *ReceptiveFields) shape(id string) []int {
	if info := r.a.Nodes[id]; info != nil {
		return info.Out
	}
	return nil
}

// forward is the nominal field of node n from its inputs' fields.
func (r *ReceptiveFields) forward(n *graph.Node) Field {
	if n.Op == "input" {
		return Field{Size: 1, Jump: 1, Offset: 0, Global: len(r.shape(n.ID)) != 3}
	}
	var in []Field
	for _, id := range n.Inputs {
		in = append(in, r.fields[id])
	}
	out := in[0]
	if len(r.shape(n.ID)) != 3 {
		out.Global = true
	}
	for _, f := range in[1:] {
		if f.Global || out.Global {
			out.Global = true
			continue
		}
		// A merge: the union of the windows (they share the jump when the
		// shapes agree; otherwise the larger one bounds both).
		lo := min(out.Offset, f.Offset)
		hi := max(out.Offset+out.Size, f.Offset+f.Size)
		out = Field{Size: hi - lo, Jump: max(out.Jump, f.Jump), Offset: lo}
	}
	switch n.Op {
	case "conv2d", "maxpool2d", "avgpool2d":
		// A rectangular window counts by its larger axis (nn.WindowOf):
		// the square field then bounds the true one.
		k, s, p, d, _ := nn.WindowOf(n)
		a := 0
		if (k[1]-1)*d[1] > (k[0]-1)*d[0] {
			a = 1
		}
		out.Size += (k[a] - 1) * d[a] * out.Jump
		out.Offset -= p[a] * out.Jump
		out.Jump *= max(s[0], s[1])
	case "adaptiveavgpool2d", "layernorm", "groupnorm", "instancenorm", "softmax", "logsoftmax", "linear", "globalavgpool", "flatten", "scale":
		out.Global = true
	}
	return out
}

// Field returns node id's nominal field.
func (r *ReceptiveFields) Field(id string) (Field, error) {
	f, ok := r.fields[id]
	if !ok {
		return Field{}, fmt.Errorf("the model has no layer %q", id)
	}
	return f, nil
}

// Shape returns node id's output shape ([C,H,W] or [F]).
func (r *ReceptiveFields) Shape(id string) []int { return r.shape(id) }

// span is what a node must provide: channels [c0, c1) at rows [y0, y1]
// and columns [x0, x1] (inclusive); for a vector node, entries [c0, c1).
type span struct{ c0, c1, y0, y1, x0, x1 int }

// Box returns the bounding box, in input pixels clipped to the image, of
// the pixels that unit (channel, y, x) of node id depends on (for a
// vector node, entry channel; y and x are ignored). ok is false when the
// unit depends on no pixel at all (a unit that sees only padding).
func (r *ReceptiveFields) Box(id string, channel, y, x int) (box image.Rectangle, ok bool, err error) {
	s := r.shape(id)
	if s == nil {
		return box, false, fmt.Errorf("the model has no layer %q", id)
	}
	want := span{c0: channel, c1: channel + 1, y0: y, y1: y, x0: x, x1: x}
	if len(s) == 3 {
		if channel < 0 || channel >= s[0] || y < 0 || y >= s[1] || x < 0 || x >= s[2] {
			return box, false, fmt.Errorf("unit (%d, %d, %d) is outside layer %s's %dx%dx%d output", channel, y, x, id, s[0], s[1], s[2])
		}
	} else if channel < 0 || channel >= s[0] {
		return box, false, fmt.Errorf("entry %d is outside layer %s's %d outputs", channel, id, s[0])
	}
	need := map[string][]span{id: {want}}
	// Reverse topological order: every consumer is done before its inputs.
	for i := r.order[id]; i >= 0; i-- {
		nid := r.a.Order[i]
		spans := need[nid]
		if len(spans) == 0 {
			continue
		}
		n := r.nodes[nid]
		if n.Op == "input" {
			ins := r.shape(nid)
			if len(ins) != 3 {
				return image.Rect(0, 0, 1, 1), true, nil
			}
			for _, sp := range spans {
				if sp.y0 > sp.y1 || sp.x0 > sp.x1 {
					continue
				}
				b := image.Rect(sp.x0, sp.y0, sp.x1+1, sp.y1+1)
				if !ok {
					box, ok = b, true
				} else {
					box = box.Union(b)
				}
			}
			return box, ok, nil
		}
		for k, in := range n.Inputs {
			for _, sp := range spans {
				if t, some := r.back(n, k, sp); some {
					need[in] = addSpan(need[in], t)
				}
			}
		}
	}
	return box, ok, nil
}

// addSpan merges t into spans: a span with the same channels grows to
// the bounding box of both; the list is kept short by merging everything
// into one bounding span past 64 entries (never smaller than exact).
func addSpan(spans []span, t span) []span {
	for i, s := range spans {
		if s.c0 == t.c0 && s.c1 == t.c1 {
			spans[i] = span{s.c0, s.c1, min(s.y0, t.y0), max(s.y1, t.y1), min(s.x0, t.x0), max(s.x1, t.x1)}
			return spans
		}
	}
	spans = append(spans, t)
	if len(spans) > 64 {
		m := spans[0]
		for _, s := range spans[1:] {
			m = span{min(m.c0, s.c0), max(m.c1, s.c1), min(m.y0, s.y0), max(m.y1, s.y1), min(m.x0, s.x0), max(m.x1, s.x1)}
		}
		spans = []span{m}
	}
	return spans
}

// window maps output positions [a, b] of a sliding window (kernel k,
// stride s, pad p, dilation d) over an input of size size to the input
// positions [lo, hi] they read, skipping padding; some is false when they
// read only padding. With dilation the first position a unit reads
// inside the input is not monotone in the unit (unit 2 of a dilated
// window may reach further left than unit 1), so every unit is visited.
func window(a, b, k, s, p, d, size int) (lo, hi int, some bool) {
	lo, hi = size, -1
	for u := a; u <= b; u++ {
		first := u*s - p
		if first >= lo && first+(k-1)*d <= hi {
			continue // nothing new
		}
		for t := 0; t < k; t++ {
			if v := first + t*d; v >= 0 && v < size {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	return lo, hi, hi >= 0
}

// back maps a span of node n's output to the span of its k-th input it
// depends on.
func (r *ReceptiveFields) back(n *graph.Node, k int, sp span) (span, bool) {
	in := r.shape(n.Inputs[k])
	all := func() (span, bool) {
		if len(in) == 3 {
			return span{0, in[0], 0, in[1] - 1, 0, in[2] - 1}, true
		}
		return span{0, in[0], 0, 0, 0, 0}, true
	}
	wholeMaps := func(c0, c1 int) (span, bool) {
		return span{c0, c1, 0, in[1] - 1, 0, in[2] - 1}, true
	}
	switch n.Op {
	case "conv2d", "maxpool2d", "avgpool2d":
		kk, s, p, d, _ := nn.WindowOf(n) // per axis: rectangular windows too
		c0, c1 := sp.c0, sp.c1
		if n.Op == "conv2d" {
			groups := max(n.IntAttr("groups", 1), 1)
			ocg, icg := r.shape(n.ID)[0]/groups, in[0]/groups
			c0, c1 = sp.c0/ocg*icg, ((sp.c1-1)/ocg+1)*icg
		}
		y0, y1, okY := window(sp.y0, sp.y1, kk[0], s[0], p[0], d[0], in[1])
		x0, x1, okX := window(sp.x0, sp.x1, kk[1], s[1], p[1], d[1], in[2])
		return span{c0, c1, y0, y1, x0, x1}, okY && okX
	case "adaptiveavgpool2d":
		size := max(n.IntAttr("size", 1), 1)
		bin := func(a, b, full int) (int, int) {
			return a * full / size, ((b+1)*full+size-1)/size - 1
		}
		y0, y1 := bin(sp.y0, sp.y1, in[1])
		x0, x1 := bin(sp.x0, sp.x1, in[2])
		return span{sp.c0, sp.c1, y0, y1, x0, x1}, true
	case "globalavgpool":
		return wholeMaps(sp.c0, sp.c1)
	case "instancenorm":
		if len(in) == 3 {
			return wholeMaps(sp.c0, sp.c1)
		}
		return all()
	case "groupnorm":
		if len(in) != 3 {
			return all()
		}
		g := max(n.IntAttr("groups", 1), 1)
		cg := in[0] / g
		return wholeMaps(sp.c0/cg*cg, ((sp.c1-1)/cg+1)*cg)
	case "lrn":
		h := n.IntAttr("size", 5) / 2
		return span{max(sp.c0-h, 0), min(sp.c1+h, in[0]), sp.y0, sp.y1, sp.x0, sp.x1}, true
	case "maxout":
		pc := max(n.IntAttr("pieces", 2), 1)
		return span{sp.c0 * pc, sp.c1 * pc, sp.y0, sp.y1, sp.x0, sp.x1}, true
	case "concat":
		off := 0
		for i := range k {
			off += r.shape(n.Inputs[i])[0]
		}
		c0, c1 := max(sp.c0-off, 0), min(sp.c1-off, in[0])
		if c0 >= c1 {
			return span{}, false
		}
		return span{c0, c1, sp.y0, sp.y1, sp.x0, sp.x1}, true
	case "scale":
		if k == 1 { // the per-channel scale vector
			return span{sp.c0, sp.c1, 0, 0, 0, 0}, true
		}
		return sp, true
	case "flatten":
		if len(in) != 3 {
			return sp, true
		}
		plane := in[1] * in[2]
		f0, f1 := sp.c0, sp.c1-1
		c0, c1 := f0/plane, f1/plane
		if c0 != c1 {
			return wholeMaps(c0, c1+1)
		}
		y0, y1 := f0%plane/in[2], f1%plane/in[2]
		if y0 != y1 {
			return span{c0, c0 + 1, y0, y1, 0, in[2] - 1}, true
		}
		return span{c0, c0 + 1, y0, y0, f0 % in[2], f1 % in[2]}, true
	case "linear", "layernorm", "softmax", "logsoftmax":
		return all()
	}
	// Element-wise and channel-local layers (activations, batch
	// normalisation in evaluation mode, dropout, identity, add, prelu).
	return sp, true
}
