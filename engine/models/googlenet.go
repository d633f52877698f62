package models

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/graph"
)

// InceptionSpec describes an Inception module (Szegedy et al. 2014): four
// branches on the same input, concatenated along channels.
type InceptionSpec struct {
	// Conv1x1 is the 1x1 branch's filters.
	Conv1x1 int
	// Reduce3x3 filters of a 1x1 convolution before the 3x3 (0: none, the
	// naive module); Conv3x3 the 3x3's filters.
	Reduce3x3, Conv3x3 int
	// Reduce5x5 and Conv5x5: the same for the 5x5 branch.
	Reduce5x5, Conv5x5 int
	// Kernel5 is the "5x5" branch's kernel: 5 (the paper; 0 means 5) or 3
	// (torchvision's GoogLeNet, which uses 3x3 there, a known slip kept for
	// its weights).
	Kernel5 int
	// PoolProj filters of the 1x1 convolution after the 3x3 max-pool (0: the
	// pool's output joins the concatenation as it is, the naive module).
	PoolProj int
	// BatchNorm gives every convolution a BatchNorm (eps 0.001) and no bias,
	// as torchvision's BasicConv2d; otherwise convolutions have a bias. A
	// ReLU follows each convolution either way.
	BatchNorm bool
}

// The course's example modules on a 28x28x256 input: naive, 672 channels out
// and 854,196,224 multiply-adds in its convolutions; with 64-filter 1x1
// reductions, 480 channels and 271,351,808 multiply-adds.
var (
	CourseNaive   = InceptionSpec{Conv1x1: 128, Conv3x3: 192, Conv5x5: 96}
	CourseReduced = InceptionSpec{Conv1x1: 128, Reduce3x3: 64, Conv3x3: 192, Reduce5x5: 64, Conv5x5: 96, PoolProj: 64}
)

// basicConv is a convolution, with a BatchNorm when bn, then a ReLU; IDs
// follow torchvision's BasicConv2d: "<p>.conv", "<p>.bn", "<p>.relu".
func (b *builder) basicConv(p, in string, out, k, s, pad int, bn bool) string {
	x := b.conv(p+".conv", in, out, k, s, pad, 1, !bn)
	if bn {
		x = b.bn(p+".bn", x, 0.001)
	}
	return b.relu(p+".relu", x)
}

// inception adds a module named p (torchvision's branch IDs) in its own block
// and returns the concatenation's ID.
func (b *builder) inception(p, in string, s InceptionSpec) string {
	outer := b.block
	b.begin(p)
	defer func() { b.block = outer }()
	k5 := s.Kernel5
	if k5 == 0 {
		k5 = 5
	}
	var outs []string
	if s.Conv1x1 > 0 {
		outs = append(outs, b.basicConv(p+".branch1", in, s.Conv1x1, 1, 1, 0, s.BatchNorm))
	}
	branch := func(name string, red, out, k int) {
		if out == 0 {
			return
		}
		x := in
		if red > 0 {
			x = b.basicConv(name+".0", x, red, 1, 1, 0, s.BatchNorm)
			name += ".1"
		}
		outs = append(outs, b.basicConv(name, x, out, k, 1, k/2, s.BatchNorm))
	}
	branch(p+".branch2", s.Reduce3x3, s.Conv3x3, 3)
	branch(p+".branch3", s.Reduce5x5, s.Conv5x5, k5)
	x := b.add(p+".branch4.0", "maxpool2d", map[string]float64{"kernel": 3, "stride": 1, "pad": 1}, in)
	if s.PoolProj > 0 {
		x = b.basicConv(p+".branch4.1", x, s.PoolProj, 1, 1, 0, s.BatchNorm)
	}
	outs = append(outs, x)
	return b.add(p+".concat", "concat", nil, outs...)
}

// Inception inserts an Inception module named prefix (also its block's
// name) after the node after: the module reads after's output, and the nodes
// that read it before now read the module's concatenation, whose ID is
// returned. New nodes are placed below after.
func Inception(g *graph.Graph, after, prefix string, spec InceptionSpec) (string, error) {
	if spec.Conv1x1 < 0 || spec.Reduce3x3 < 0 || spec.Conv3x3 < 0 || spec.Reduce5x5 < 0 || spec.Conv5x5 < 0 || spec.PoolProj < 0 {
		return "", fmt.Errorf("inception %s: filter counts must not be negative", prefix)
	}
	if spec.Kernel5 != 0 && spec.Kernel5 != 3 && spec.Kernel5 != 5 {
		return "", fmt.Errorf("inception %s: the 5x5 branch's kernel must be 5 or 3, got %d", prefix, spec.Kernel5)
	}
	return insert(g, after, prefix, func(b *builder) string { return b.inception(prefix, after, spec) })
}

// insert runs add on a builder continuing g after node after, then moves
// after's old consumers onto the returned output and lays the new nodes out
// below after.
func insert(g *graph.Graph, after, prefix string, add func(b *builder) string) (string, error) {
	src := g.Find(after)
	if src == nil {
		return "", fmt.Errorf("no node %q to insert after", after)
	}
	if prefix == "" {
		return "", fmt.Errorf("give the block a name")
	}
	b := builderFor(g)
	if _, ok := b.shape[after]; !ok {
		return "", fmt.Errorf("node %q has no known output shape: fix its errors first", after)
	}
	old := len(b.g.Nodes)
	out := add(b)
	if b.err != nil {
		return "", fmt.Errorf("cannot insert %s after %s: %v", prefix, after, b.err)
	}
	for i := range b.g.Nodes[:old] {
		for j, in := range b.g.Nodes[i].Inputs {
			if in == after {
				b.g.Nodes[i].Inputs[j] = out
			}
		}
	}
	placeBelow(b.g.Nodes[old:], *src)
	*g = b.g
	return out, nil
}

// buildGoogLeNet is torchvision's GoogLeNet with aux_logits=False,
// including its 3x3 kernels in the branches the paper makes 5x5. Its
// ceil-mode max-pools (3x3 stride 2) are padding-1 pools here: the same map
// sizes at 224 (112 -> 56 -> 28 -> 14 -> 7), borders pooled over one more
// padded row and column. Small inputs: conv1 becomes 3x3 stride 1 and the
// first max-pool is left out.
func buildGoogLeNet(b *builder, classes int) {
	var x string
	if b.small() {
		x = b.basicConv("conv1", "input", 64, 3, 1, 1, true)
	} else {
		x = b.basicConv("conv1", "input", 64, 7, 2, 3, true)
		x = b.pool("maxpool1", "maxpool2d", x, 3, 2, 1)
	}
	x = b.basicConv("conv2", x, 64, 1, 1, 0, true)
	x = b.basicConv("conv3", x, 192, 3, 1, 1, true)
	x = b.pool("maxpool2", "maxpool2d", x, 3, 2, 1)
	mod := func(name string, c1, r3, c3, r5, c5, pp int) {
		x = b.inception(name, x, InceptionSpec{Conv1x1: c1, Reduce3x3: r3, Conv3x3: c3, Reduce5x5: r5, Conv5x5: c5,
			Kernel5: 3, PoolProj: pp, BatchNorm: true})
	}
	mod("inception3a", 64, 96, 128, 16, 32, 32)
	mod("inception3b", 128, 128, 192, 32, 96, 64)
	x = b.pool("maxpool3", "maxpool2d", x, 3, 2, 1)
	mod("inception4a", 192, 96, 208, 16, 48, 64)
	mod("inception4b", 160, 112, 224, 24, 64, 64)
	mod("inception4c", 128, 128, 256, 24, 64, 64)
	mod("inception4d", 112, 144, 288, 32, 64, 64)
	mod("inception4e", 256, 160, 320, 32, 128, 128)
	x = b.pool("maxpool4", "maxpool2d", x, 2, 2, 0)
	mod("inception5a", 256, 160, 320, 32, 128, 128)
	mod("inception5b", 384, 192, 384, 48, 128, 128)
	x = b.add("avgpool", "globalavgpool", nil, x)
	x = b.dropout("dropout", x, 0.2)
	b.linear("fc", x, classes)
}
