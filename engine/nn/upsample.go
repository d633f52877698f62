package nn

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// The layers fast style transfer adds to the catalogue: nearest-neighbour
// upsampling (the decoder's "resize, then convolve", free of the
// checkerboards of a transposed convolution) and conditional instance
// normalisation (one gamma and beta per style, Dumoulin et al. 2017).
func init() {
	register(&Op{Name: "upsample", Group: "shape", Doc: "Nearest-neighbour upsampling by an integer factor (each value repeated in a factor×factor block).",
		Attrs: []Attr{{Name: "scale", Default: 2, Min: 1, Max: 64, Int: true, Doc: "the factor along height and width"}},
		MinIn: 1, MaxIn: 1, MACs: noMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "upsample"); err != nil {
				return nil, err
			}
			s := iattr(n, "scale")
			return []int{in[0][0], in[0][1] * s, in[0][2] * s}, nil
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.UpsampleNearest2d(in[0], iattr(n, "scale"))
		}})

	register(&Op{Name: "condinstancenorm", Group: "normalisation",
		Doc: "Conditional instance normalisation: instance norm with one gamma and beta per style, chosen (or blended) by the run's style weights.",
		Attrs: []Attr{{Name: "styles", Default: 1, Min: 1, Max: 4096, Int: true, Doc: "the number of styles"},
			{Name: "eps", Default: 1e-5, Min: 0, Max: 1}},
		MinIn: 1, MaxIn: 1, MACs: elemMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if err := need(in[0], 3, "condinstancenorm"); err != nil {
				return nil, err
			}
			return same(n, in)
		},
		Params: func(n *graph.Node, in [][]int) []ParamSpec {
			s, c := iattr(n, "styles"), in[0][0]
			return []ParamSpec{{Name: "weight", Shape: []int{s, c}, Init: "ones"}, {Name: "bias", Shape: []int{s, c}, Init: "zeros"}}
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return condInstanceNorm(c, n, p, in[0], false)
		}})
}

// condInstanceNorm is the condinstancenorm op's forward pass, followed by
// the ReLU that alone reads it when relu is set (fused, as batch norm's:
// see bnReLUs).
func condInstanceNorm(c *Ctx, n *graph.Node, p map[string]*autograd.Var, x *autograd.Var, relu bool) *autograd.Var {
	blend := StyleBlend(x.B().Name(), c.Style, iattr(n, "styles"), x.Shape()[0])
	bt := autograd.Const(tensor.FromData(x.B(), blend.W, blend.Rows, iattr(n, "styles")))
	gamma := autograd.MatMul(bt, p["weight"])
	beta := autograd.MatMul(bt, p["bias"])
	if relu {
		return autograd.InstanceNormAffineReLU(x, gamma, beta, float32(attr(n, "eps")))
	}
	return autograd.InstanceNormAffine(x, gamma, beta, float32(attr(n, "eps")))
}

// Blend is a matrix of style weights: Rows rows (1 for a whole batch, or
// one per image) of S weights each.
type Blend struct {
	W    []float32
	Rows int
}

// StyleBlend reads a run's style weights for s styles and a batch of n
// images: nil is style 0 alone; s values weigh the styles for every image;
// n·s values give each image its own. Anything else panics with the
// backend name in the message (a caller's bug, not a user's input: the
// style package checks blends before a run).
func StyleBlend(backend string, w []float32, s, n int) Blend {
	switch {
	case len(w) == 0:
		one := make([]float32, s)
		one[0] = 1
		return Blend{W: one, Rows: 1}
	case len(w) == s:
		return Blend{W: w, Rows: 1}
	case len(w) == n*s:
		return Blend{W: w, Rows: n}
	}
	panic(fmt.Sprintf("nn: %d style weights for %d styles and %d images (%s)", len(w), s, n, backend))
}
