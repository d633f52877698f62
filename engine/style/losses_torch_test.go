package style_test

import (
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/engine/tensor"
)

var be = cpu.New()

const torchLosses = `
def gram(f):
    c = f.shape[1]
    m = f.reshape(c, -1)
    return m @ m.t() / m.numel()
def tv(x):
    return ((x[:, :, 1:, :] - x[:, :, :-1, :])**2).mean() + ((x[:, :, :, 1:] - x[:, :, :, :-1])**2).mean()
`

// TestLossesMatchPyTorch: the Gram matrix, content, style (two layers,
// weighted) and total-variation losses, and their gradients, equal
// PyTorch's written from the papers' formulas.
func TestLossesMatchPyTorch(t *testing.T) {
	f1s, f2s, xs := []int{1, 5, 7, 6}, []int{1, 3, 4, 5}, []int{2, 3, 9, 8}
	f1, f2, x := torchref.Normal(1, 5*7*6, 1), torchref.Normal(2, 3*4*5, 1), torchref.Normal(3, 2*3*9*8, 1)
	tgt := torchref.Normal(4, 5*7*6, 1)
	a1, a2 := torchref.Normal(5, 25, 0.3), torchref.Normal(6, 9, 0.3)
	in := func(name string, shape []int, d []float32, g bool) torchref.Input {
		return torchref.Input{Name: name, Shape: shape, Data: d, Grad: g}
	}
	cases := []torchref.Case{
		{Name: "gram", Inputs: []torchref.Input{in("f1", f1s, f1, true)}, Code: torchLosses + "out = gram(f1)"},
		{Name: "content", Inputs: []torchref.Input{in("f1", f1s, f1, true), in("tgt", f1s, tgt, false)},
			Code: torchLosses + "loss = ((f1 - tgt)**2).mean(); out = loss.reshape(1)"},
		{Name: "style", Inputs: []torchref.Input{in("f1", f1s, f1, true), in("f2", f2s, f2, true), in("a1", []int{5, 5}, a1, false), in("a2", []int{3, 3}, a2, false)},
			Code: torchLosses + "loss = 0.7*((gram(f1) - a1)**2).mean() + 2.5*((gram(f2) - a2)**2).mean(); out = loss.reshape(1)"},
		{Name: "tv", Inputs: []torchref.Input{in("x", xs, x, true)}, Code: torchLosses + "loss = tv(x); out = loss.reshape(1)"},
	}
	res := torchref.Run(t, cases)
	param := func(d []float32, shape []int) *autograd.Var {
		return autograd.Param(tensor.FromData(be, append([]float32(nil), d...), shape...), "")
	}
	check := func(name string, out *autograd.Var, seed []float32, leaves map[string]*autograd.Var) {
		t.Helper()
		r := res[name]
		if r == nil {
			t.Fatalf("%s: no reference", name)
		}
		torchref.Compare(t, name, out.Value.Data(), []int{len(r.Out.Data)}, torchref.Array{Shape: []int{len(r.Out.Data)}, Data: r.Out.Data}, torchref.Forward)
		out.BackwardWith(tensor.FromData(be, seed, out.Shape()...))
		for k, v := range leaves {
			torchref.Compare(t, name+" d/d"+k, v.Grad.Data(), v.Shape(), r.Grad[k], torchref.Gradient)
		}
	}
	v1 := param(f1, f1s)
	check("gram", style.Gram(v1), torchref.Upstream(25), map[string]*autograd.Var{"f1": v1})
	v1 = param(f1, f1s)
	check("content", style.ContentLoss(v1, tensor.FromData(be, tgt, f1s...)), []float32{1}, map[string]*autograd.Var{"f1": v1})
	v1, v2 := param(f1, f1s), param(f2, f2s)
	check("style", style.StyleLoss([]*autograd.Var{v1, v2}, []*tensor.Tensor{tensor.FromData(be, a1, 5, 5), tensor.FromData(be, a2, 3, 3)}, []float32{0.7, 2.5}),
		[]float32{1}, map[string]*autograd.Var{"f1": v1, "f2": v2})
	vx := param(x, xs)
	check("tv", style.TV(vx), []float32{1}, map[string]*autograd.Var{"x": vx})
}
