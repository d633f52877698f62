package nn

import (
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// pool2d is pooling with the full geometry of the ONNX MaxPool and
// AveragePool operators (and of PyTorch's pooling layers): rectangular
// kernels and strides, four independent pads, ceil_mode, and, for averages,
// whether padding counts in the divisor. maxpool2d and avgpool2d cover the
// square, symmetric, floor-mode cases; imported models use pool2d for the
// rest. It runs on existing kernels: the input is padded by Pad2d (with
// -MaxFloat32 for max, zeros for average) and pooled without padding; an
// average is then rescaled by kernel area / counted elements per output.

// Pool2dGeom is the geometry of one spatial axis of a pool2d node.
type Pool2dGeom struct{ K, S, PadBegin, PadEnd int }

// Pool2dOut is the output size along one axis of size n, by the ONNX rule:
// floor or ceil of (n + pads - k)/s + 1, and in ceil mode a window that
// would start in the end padding is dropped.
func Pool2dOut(n int, g Pool2dGeom, ceil bool) int {
	span := n + g.PadBegin + g.PadEnd - g.K
	if span < 0 || g.S < 1 {
		return 0
	}
	o := span/g.S + 1
	if ceil && span%g.S != 0 {
		o++
		if (o-1)*g.S >= n+g.PadBegin {
			o--
		}
	}
	return o
}

func pool2dGeoms(n *graph.Node) (h, w Pool2dGeom) {
	h = Pool2dGeom{K: iattr(n, "kh"), S: iattr(n, "sh"), PadBegin: iattr(n, "pt"), PadEnd: iattr(n, "pb")}
	w = Pool2dGeom{K: iattr(n, "kw"), S: iattr(n, "sw"), PadBegin: iattr(n, "pl"), PadEnd: iattr(n, "pr")}
	return h, w
}

func init() {
	i := func(name string, def, lo, hi float64, doc string) Attr {
		return Attr{Name: name, Default: def, Min: lo, Max: hi, Int: true, Doc: doc}
	}
	register(&Op{Name: "pool2d", Group: "pooling",
		Doc: "Max or average pooling with rectangular windows, separate pads per side and ceil mode (ONNX pooling).",
		Attrs: []Attr{i("max", 1, 0, 1, "1: maximum, 0: average"),
			i("kh", 2, 1, 1024, "kernel height"), i("kw", 2, 1, 1024, "kernel width"),
			i("sh", 2, 1, 1024, "stride down"), i("sw", 2, 1, 1024, "stride across"),
			i("pt", 0, 0, 1024, "padding on top"), i("pb", 0, 0, 1024, "padding at the bottom"),
			i("pl", 0, 0, 1024, "padding on the left"), i("pr", 0, 0, 1024, "padding on the right"),
			i("ceil", 0, 0, 1, "1: ceil mode (partial windows at the end)"),
			i("count_pad", 0, 0, 1, "average: 1 counts padding in the divisor")},
		MinIn: 1, MaxIn: 1,
		Window: func(n *graph.Node) (int, int, int) { return iattr(n, "kh"), iattr(n, "sh"), 1 },
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "pool2d"); err != nil {
				return nil, err
			}
			h, w := pool2dGeoms(n)
			ceil := iattr(n, "ceil") == 1
			oh, ow := Pool2dOut(in[0][1], h, ceil), Pool2dOut(in[0][2], w, ceil)
			if oh < 1 || ow < 1 {
				return nil, fmt.Errorf("pool2d kernel %dx%d is larger than its padded %dx%d input: pad more or use a smaller kernel", h.K, w.K, in[0][1], in[0][2])
			}
			return []int{in[0][0], oh, ow}, nil
		},
		MACs: func(n *graph.Node, in [][]int, out []int) int64 {
			return numel(out) * int64(iattr(n, "kh")*iattr(n, "kw"))
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return pool2dForward(n, in[0])
		}})
}

func pool2dForward(n *graph.Node, x *autograd.Var) *autograd.Var {
	h, w := pool2dGeoms(n)
	ceil, isMax := iattr(n, "ceil") == 1, iattr(n, "max") == 1
	s := x.Shape()
	H, W := s[2], s[3]
	oh, ow := Pool2dOut(H, h, ceil), Pool2dOut(W, w, ceil)
	// The padded extent the output windows read: begin pad, input, and at
	// the end whatever the last window reaches (the end pad, more in ceil
	// mode, less when floor mode drops a partial window).
	endH := max(0, (oh-1)*h.S+h.K-H-h.PadBegin)
	endW := max(0, (ow-1)*w.S+w.K-W-w.PadBegin)
	fill := float32(0)
	if isMax {
		fill = -math.MaxFloat32
	}
	xp := Pad2d(x, h.PadBegin, endH, w.PadBegin, endW, fill)
	o := autograd.PoolOpts{Kernel: [2]int{h.K, w.K}, Stride: [2]int{h.S, w.S}}
	if isMax {
		return autograd.MaxPool2d(xp, o)
	}
	y := autograd.AvgPool2d(xp, o)
	countPad := iattr(n, "count_pad") == 1
	fh, fw := poolCounts(H, h, oh, countPad), poolCounts(W, w, ow, countPad)
	scale := make([]float32, oh*ow)
	uniform := true
	for r := range oh {
		for q := range ow {
			v := float32(float64(h.K*w.K) / float64(fh[r]*fw[q]))
			scale[r*ow+q] = v
			uniform = uniform && v == 1
		}
	}
	if uniform {
		return y
	}
	return autograd.Mul(y, autograd.Const(tensor.FromData(x.B(), scale, 1, 1, oh, ow)))
}

// poolCounts returns, per output position along an axis, how many elements
// an average divides by: the window clipped to the padded extent
// (count_pad) or to the input alone.
func poolCounts(n int, g Pool2dGeom, out int, countPad bool) []int {
	c := make([]int, out)
	for o := range c {
		start := o*g.S - g.PadBegin
		end := start + g.K
		if countPad {
			c[o] = min(end, n+g.PadEnd) - start
		} else {
			c[o] = min(end, n) - max(start, 0)
		}
		c[o] = max(c[o], 1)
	}
	return c
}
