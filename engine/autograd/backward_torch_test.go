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
func repeatedBackwardCase() torchCase {
	x0 := torchref.Normal(41, 6, 1)
	w0 := torchref.Normal(42, 12, 1)
	return torchCase{name: "backward/repeated-with-retained-gradients", inputs: []torchref.Input{
		{Name: "x", Shape: []int{2, 3}, Data: x0}, {Name: "w", Shape: []int{4, 3}, Data: w0}},
		torch: `x = x.clone().requires_grad_(True)
y = torch.tanh(x)
y.retain_grad()
z = F.linear(y, w)
z[:, 1].sum().backward(retain_graph=True)
extra['first'] = x.grad.clone()
x.grad = None
z[:, 3].sum().backward()
out = x.grad`,
		check: func(t *testing.T, r *torchref.Result) { checkRepeatedBackward(t, r, x0, w0) }}
}

func checkRepeatedBackward(t *testing.T, r *torchref.Result, x0, w0 []float32) {
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
