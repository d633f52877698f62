package models

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
)

// builder appends nodes to a graph while inferring their shapes, so that the
// zoo's builders can adapt to the map sizes they meet. The first error stops
// the building; later calls do nothing.
type builder struct {
	g     graph.Graph
	shape map[string][]int
	ids   map[string]bool
	block string
	err   error
}

func newBuilder(input []int) *builder {
	b := &builder{shape: map[string][]int{}, ids: map[string]bool{}}
	attrs := map[string]float64{"channels": float64(input[0])}
	if len(input) == 3 {
		attrs["height"], attrs["width"] = float64(input[1]), float64(input[2])
	} else {
		attrs["height"], attrs["width"] = 0, 0
	}
	b.add("input", "input", attrs)
	return b
}

// builderFor continues an existing graph: shapes come from nn.Analyze.
func builderFor(g *graph.Graph) *builder {
	b := &builder{g: *g, shape: map[string][]int{}, ids: map[string]bool{}}
	b.g.Nodes = append([]graph.Node(nil), g.Nodes...)
	b.g.Blocks = append([]graph.Block(nil), g.Blocks...)
	a := nn.Analyze(*g, nil)
	for _, n := range g.Nodes {
		b.ids[n.ID] = true
		if info := a.Nodes[n.ID]; info != nil && info.Out != nil {
			b.shape[n.ID] = info.Out
		}
	}
	return b
}

// add appends one node and returns its ID.
func (b *builder) add(id, op string, attrs map[string]float64, in ...string) string {
	if b.err != nil {
		return id
	}
	if b.ids[id] {
		b.err = fmt.Errorf("models: node %q added twice", id)
		return id
	}
	o, ok := nn.Lookup(op)
	if !ok {
		b.err = fmt.Errorf("models: the engine has no %q layer", op)
		return id
	}
	shapes := make([][]int, len(in))
	for i, s := range in {
		sh, ok := b.shape[s]
		if !ok {
			b.err = fmt.Errorf("models: %s: input %q has no known shape", id, s)
			return id
		}
		shapes[i] = sh
	}
	n := graph.Node{ID: id, Op: op, Inputs: append([]string(nil), in...), Attrs: attrs, Block: b.block}
	out, err := o.Infer(&n, shapes)
	if err != nil {
		b.err = fmt.Errorf("%s: %v", id, err)
		return id
	}
	b.g.Nodes = append(b.g.Nodes, n)
	b.shape[id] = out
	b.ids[id] = true
	return id
}

// named sets the human label of the node just added.
func (b *builder) named(name string) {
	if b.err == nil && len(b.g.Nodes) > 0 {
		b.g.Nodes[len(b.g.Nodes)-1].Name = name
	}
}

// begin makes the following nodes members of the named block; end stops.
func (b *builder) begin(name string) {
	b.block = name
	for _, bl := range b.g.Blocks {
		if bl.Name == name {
			return
		}
	}
	b.g.Blocks = append(b.g.Blocks, graph.Block{Name: name})
}

func (b *builder) end() { b.block = "" }

// hw returns the spatial size of a node's output (0, 0 for vectors).
func (b *builder) hw(id string) (int, int) {
	s := b.shape[id]
	if len(s) != 3 {
		return 0, 0
	}
	return s[1], s[2]
}

func (b *builder) channels(id string) int {
	if s := b.shape[id]; len(s) > 0 {
		return s[0]
	}
	return 0
}

func bit(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// conv adds a 2-D convolution.
func (b *builder) conv(id, in string, out, k, s, p, groups int, bias bool) string {
	return b.add(id, "conv2d", map[string]float64{"out": float64(out), "kernel": float64(k), "stride": float64(s),
		"pad": float64(p), "dilation": 1, "groups": float64(groups), "bias": bit(bias)}, in)
}

func (b *builder) bn(id, in string, eps float64) string {
	return b.add(id, "batchnorm2d", map[string]float64{"eps": eps, "momentum": 0.1, "affine": 1}, in)
}

func (b *builder) act(id, op, in string) string { return b.add(id, op, nil, in) }

func (b *builder) relu(id, in string) string { return b.add(id, "relu", nil, in) }

// pool adds a max- or average-pool, unless it does not fit the map (a 1-pixel
// map, or a kernel larger than the padded map): then it is left out and in
// is returned.
func (b *builder) pool(id, op, in string, k, s, p int) string {
	if b.err != nil {
		return id
	}
	h, w := b.hw(in)
	if min(h, w) <= 1 || min(h, w)+2*p < k {
		return in
	}
	return b.add(id, op, map[string]float64{"kernel": float64(k), "stride": float64(s), "pad": float64(p)}, in)
}

// adaptive pools to size x size, or to the map's own size when it is smaller.
func (b *builder) adaptive(id, in string, size int) string {
	if h, w := b.hw(in); min(h, w) < size && min(h, w) > 0 {
		size = min(h, w)
	}
	return b.add(id, "adaptiveavgpool2d", map[string]float64{"size": float64(size)}, in)
}

func (b *builder) linear(id, in string, out int) string {
	return b.add(id, "linear", map[string]float64{"out": float64(out), "bias": 1}, in)
}

func (b *builder) dropout(id, in string, p float64) string {
	return b.add(id, "dropout", map[string]float64{"p": p}, in)
}

// stem is the ImageNet stem of ResNet and DenseNet: a 7x7 stride-2 conv
// without bias, batch norm, ReLU and a 3x3 stride-2 max-pool; small inputs
// get a 3x3 stride-1 conv and no pool. The IDs name the four layers.
func (b *builder) stem(conv, bn, relu, pool string) string {
	var x string
	if b.small() {
		x = b.conv(conv, "input", 64, 3, 1, 1, 1, false)
	} else {
		x = b.conv(conv, "input", 64, 7, 2, 3, 1, false)
	}
	x = b.bn(bn, x, 1e-5)
	x = b.relu(relu, x)
	if !b.small() {
		x = b.pool(pool, "maxpool2d", x, 3, 2, 1)
	}
	return x
}
