package attrib

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// LayerLoss builds a scalar on autograd from the activations of the layers
// it was asked for (DeepDream's energy, a perceptual loss).
type LayerLoss func(acts map[string]*autograd.Var) *autograd.Var

// statsAt is the preprocessing for images of h×w pixels: per-channel
// schemes apply at any size; the others only at the size they were
// computed for.
func (n Net) statsAt(h, w int) (*data.Stats, error) {
	st := n.Stats
	if st == nil || st.Norm == data.NormNone || (st.H == h && st.W == w) {
		return st, nil
	}
	if st.Norm != data.NormChannelMean && st.Norm != data.NormChannelStd {
		return nil, fmt.Errorf("the model's preprocessing (%v) works at %d×%d pixels only, not %d×%d", st.Norm, st.H, st.W, h, w)
	}
	c := *st
	c.H, c.W = h, w
	return &c, nil
}

// CheckLayers reports the first of layers the model does not have.
func (n Net) CheckLayers(layers []string) error {
	if len(layers) == 0 {
		return fmt.Errorf("no layers given")
	}
	for _, l := range layers {
		if info := n.Model.Analysis.Nodes[l]; info == nil || info.Out == nil {
			return fmt.Errorf("the model has no layer %q", l)
		}
	}
	return nil
}

// forwardAt runs one image x of shape C,H,W (any size the layers accept)
// to the deepest of layers and returns their activations, with the graph
// back to the input when grad is set.
func (n Net) forwardAt(x []float32, shape []int, layers []string, grad bool) (map[string]*autograd.Var, *autograd.Var, *autograd.Var, error) {
	if len(shape) != 3 || tensor.Numel(shape) != len(x) {
		return nil, nil, nil, fmt.Errorf("%d values for an image of %v", len(x), shape)
	}
	if err := n.CheckLayers(layers); err != nil {
		return nil, nil, nil, err
	}
	st, err := n.statsAt(shape[1], shape[2])
	if err != nil {
		return nil, nil, nil, err
	}
	want := map[string]bool{}
	for _, l := range layers {
		want[l] = true
	}
	stop := ""
	for _, id := range n.Model.Analysis.Order {
		if want[id] {
			stop = id
		}
	}
	y := append([]float32(nil), x...)
	st.Apply(y, 1)
	xt := tensor.FromData(n.Model.B, y, append([]int{1}, shape...)...)
	xv := autograd.Const(xt)
	if grad {
		xv = autograd.Param(xt, "input")
	}
	acts := map[string]*autograd.Var{}
	ctx := &nn.Ctx{NoGrad: true, Stop: stop, Hook: func(id string, out *autograd.Var) *autograd.Var {
		if want[id] {
			acts[id] = out
		}
		return nil
	}}
	out := n.Model.Forward(ctx, xv)
	return acts, xv, out, nil
}

// Activations returns the activations of layers for one image x of shape
// C,H,W, each with its shape (1,C',H',W').
func (n Net) Activations(x []float32, shape []int, layers []string) (map[string]*tensor.Tensor, error) {
	acts, _, out, err := n.forwardAt(x, shape, layers, false)
	if err != nil {
		return nil, err
	}
	res := map[string]*tensor.Tensor{}
	for k, v := range acts {
		res[k] = tensor.FromData(n.Model.B, v.Value.Data(), v.Shape()...)
	}
	autograd.Release(out)
	return res, nil
}

// LayerObjective is sign·loss(activations of layers) as an Objective on
// images of shape C,H,W: sign +1 maximises the loss (DeepDream), −1
// minimises it (inversion, texture, style) through Ascend.
func (n Net) LayerObjective(shape []int, layers []string, loss LayerLoss, sign float64) Objective {
	return func(x []float32) (float64, []float32, error) {
		acts, xv, out, err := n.forwardAt(x, shape, layers, true)
		if err != nil {
			return 0, nil, err
		}
		l := loss(acts)
		v := float64(l.Item())
		l.BackwardWith(tensor.FromData(n.Model.B, []float32{float32(sign)}, l.Shape()...))
		g := make([]float32, len(x))
		if xv.Grad != nil {
			g = xv.Grad.Data()
		}
		autograd.Release(l)
		autograd.Release(out)
		if st, _ := n.statsAt(shape[1], shape[2]); st != nil {
			pullbackAt(st, g)
		}
		return sign * v, g, nil
	}
}

// pullbackAt maps the gradient g of one image with respect to the model
// input back to pixels under st. A per-channel scale is divided out
// directly: Apply(g) − Apply(0) would lose small gradients to float32
// cancellation against the shifted mean.
func pullbackAt(st *data.Stats, g []float32) {
	switch st.Norm {
	case data.NormNone, data.NormMeanImage, data.NormChannelMean:
	case data.NormChannelStd:
		plane := len(g) / st.C
		for c := range st.C {
			inv := 1 / st.Std[c]
			for j := c * plane; j < (c+1)*plane; j++ {
				g[j] *= inv
			}
		}
	default:
		zero := make([]float32, len(g))
		st.Apply(zero, 1)
		st.Apply(g, 1)
		for j := range g {
			g[j] -= zero[j]
		}
	}
}

// StatsAt is the model's preprocessing for images of h×w pixels (an error
// when it holds only at the size it was computed for), for building the
// model at another input size (class visualisation at fewer pixels).
func (n Net) StatsAt(h, w int) (*data.Stats, error) { return n.statsAt(h, w) }
