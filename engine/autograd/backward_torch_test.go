package autograd_test

import (
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Backpropagating one graph several times (a saliency map per class, with
// guided-backprop hooks that retain intermediate gradients) must give each
// pass its own gradients, as PyTorch's backward(retain_graph=True) does.
func TestTorchParityRepeatedBackwardWithRetainedGradients(t *testing.T) {
	x0 := torchref.Normal(41, 6, 1)
	w0 := torchref.Normal(42, 12, 1)
	res := torchref.Run(t, []torchref.Case{{Name: "two passes", Inputs: []torchref.Input{
		{Name: "x", Shape: []int{2, 3}, Data: x0}, {Name: "w", Shape: []int{4, 3}, Data: w0}},
		Code: `x = x.clone().requires_grad_(True)
y = torch.tanh(x)
y.retain_grad()
z = F.linear(y, w)
z[:, 1].sum().backward(retain_graph=True)
extra['first'] = x.grad.clone()
x.grad = None
z[:, 3].sum().backward()
out = x.grad`}})
	r := res["two passes"]
	if r == nil {
		t.Fatal("no reference result")
	}
	x := autograd.Param(tensor.FromData(be, x0, 2, 3), "x")
	y := autograd.Tanh(x)
	var seen [][]float32
	y.OnGrad(func(g *tensor.Tensor) *tensor.Tensor { seen = append(seen, g.Data()); return nil })
	z := autograd.Linear(y, autograd.Const(tensor.FromData(be, w0, 4, 3)), nil)
	column := func(j int) *tensor.Tensor {
		g := make([]float32, 8)
		g[j], g[4+j] = 1, 1
		return tensor.FromData(be, g, 2, 4)
	}
	z.BackwardWith(column(1))
	torchref.Compare(t, "first pass", x.Grad.Data(), x.Grad.Shape, r.Extra["first"], torchref.Gradient)
	x.ZeroGrad()
	z.BackwardWith(column(3))
	torchref.Compare(t, "second pass", x.Grad.Data(), x.Grad.Shape, r.Out, torchref.Gradient)
	// The hook saw each pass's own gradient of y: w[1,:] then w[3,:] per row.
	if len(seen) != 2 || seen[1][0] != w0[9] || seen[1][5] != w0[11] {
		t.Errorf("hook saw %v, want the second pass's gradient %v per row", seen, w0[9:12])
	}
}
