package style

import (
	"context"
	"math"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// lbfgs minimises −obj over the image with engine/optim's L-BFGS, one
// iteration per step, keeping pixels in [0, 1] between steps.
func lbfgs(ctx context.Context, b backend.Backend, shape []int, obj attrib.Objective, x []float32, o Options) ([]float32, error) {
	v := autograd.Param(tensor.FromData(b, append([]float32(nil), x...), shape...), "image")
	p := &nn.Param{Name: "image", V: v}
	opt, err := optim.NewLBFGS([]*nn.Param{p}, optim.LBFGSConfig{LR: o.LR, MaxIter: 1, LineSearch: "strong_wolfe", TolGrad: 1e-30, TolChange: 1e-30})
	if err != nil {
		return nil, err
	}
	// L-BFGS's first step is the gradient itself: perceptual losses have
	// gradients far below float32's resolution at pixel values, so the loss
	// is scaled (a constant, same minimiser) to a mean |gradient| of 1/d.
	_, g0, err := obj(x)
	if err != nil {
		return nil, err
	}
	var mean float64
	for _, v := range g0 {
		mean += math.Abs(float64(v))
	}
	k := 1.0
	if mean > 0 {
		k = 1 / mean
	}
	closure := func() (float64, error) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		s, g, err := obj(v.Value.Data())
		if err != nil {
			return 0, err
		}
		for i := range g {
			g[i] = float32(-k * float64(g[i]))
		}
		v.Grad = tensor.FromData(b, g, shape...)
		return -k * s, nil
	}
	if o.Iterate != nil {
		o.Iterate(0, append([]float32(nil), x...), shape)
	}
	for step := 1; step <= o.Steps; step++ {
		if _, err := opt.Step(closure); err != nil {
			return nil, err
		}
		d := v.Value.Data()
		for i := range d {
			d[i] = min(max(d[i], 0), 1)
		}
		v.Value.Set(d)
		if o.Progress != nil {
			o.Progress(step, o.Steps)
		}
		if o.Iterate != nil && (step%o.Every == 0 || step == o.Steps) {
			o.Iterate(step, append([]float32(nil), d...), shape)
		}
	}
	return v.Value.Data(), nil
}
