package gradcheck

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// ModelOptions tune CheckModel. The embedded Options apply to every
// parameter tensor; Samples defaults to DefaultModelSamples there.
type ModelOptions struct {
	Options
	// Batch is the number of random examples the model is run on
	// (default 1, or 2 when the model normalises over the batch).
	Batch int
	// Nodes, when set, limits the check to the parameters of these nodes
	// (the layer the user clicked); empty checks every parameter tensor.
	Nodes []string
	// Hook is passed to the model's forward pass (nn.Ctx.Hook); tests use
	// it to plant a broken gradient and see that the check catches it.
	Hook func(id string, out *autograd.Var) *autograd.Var
}

// DefaultModelSamples is how many elements of each parameter tensor
// CheckModel compares by default, chosen by seed: every weight of a small
// tensor, a seeded sample of a large one.
const DefaultModelSamples = 24

// DefaultShrink is CheckModel's Options.Shrink: a step of 1e-3 on a
// first-layer weight moves hundreds of pre-activations and often crosses a
// ReLU or max-pool kink; 1e-3/64 rarely does.
const DefaultShrink = 3

// ErrNoParams is returned when the model (or the chosen nodes) has no
// trainable parameters to check.
var ErrNoParams = errors.New("gradcheck: no parameters to check (choose a layer with weights: convolution, linear, batch norm)")

// CheckModel checks the gradients of m's parameters on a seeded batch of
// random inputs of shape in (C,H,W or F per example): the forward pass in
// training mode (dropout masks fixed by the seed) returns the logits, which
// Check reduces with seeded weights in float64. The parameter values are
// left as they were.
func CheckModel(m *nn.Model, in []int, opt ModelOptions) (Report, error) {
	if m == nil {
		return Report{}, errors.New("gradcheck: no model")
	}
	if opt.Batch <= 0 {
		// One example crosses the fewest kinks; batch norm needs two.
		opt.Batch = 1
		for _, n := range m.Graph.Nodes {
			if strings.Contains(n.Op, "norm") {
				opt.Batch = 2
			}
		}
	}
	if opt.Samples == 0 {
		opt.Samples = DefaultModelSamples
	}
	if opt.Shrink == 0 {
		opt.Shrink = DefaultShrink
	}
	var wrt []*autograd.Var
	for _, p := range m.Params {
		if len(opt.Nodes) == 0 || slices.Contains(opt.Nodes, p.Node) {
			if p.V.Name == "" {
				p.V.Name = p.Name
			}
			wrt = append(wrt, p.V)
		}
	}
	if len(wrt) == 0 {
		return Report{}, ErrNoParams
	}
	shape := append([]int{opt.Batch}, in...)
	n := tensor.Numel(shape)
	if n <= 0 {
		return Report{}, fmt.Errorf("gradcheck: bad input shape %v", in)
	}
	rng := rand.New(rand.NewPCG(opt.Seed, 0x1a7))
	xs := make([]float32, n)
	for i := range xs {
		xs[i] = float32(rng.NormFloat64())
	}
	x := autograd.Const(tensor.FromData(m.B, xs, shape...))
	// The ReLUs' and max pools' choices, so that a step that crosses a
	// kink is seen and made smaller (Options.Winners).
	w := newWinners(m)
	hook := func(id string, out *autograd.Var) *autograd.Var {
		if opt.Hook != nil {
			if r := opt.Hook(id, out); r != nil {
				out = r
			}
		}
		w.hook(id, out)
		return out
	}
	f := func() *autograd.Var {
		w.start()
		return m.Forward(&nn.Ctx{Training: true, Seed: opt.Seed, Hook: hook}, x)
	}
	if opt.Winners == nil {
		opt.Winners, opt.Linear = w.digest, w.linear
	}
	// Gradients of parameters we do not check are computed too; clear
	// them afterwards so that they do not leak into a training step.
	defer func() {
		for _, p := range m.Params {
			p.V.ZeroGrad()
		}
	}()
	return Check(f, wrt, opt.Options)
}
