package nn

import (
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// TestCondInstanceNormBlendsMatchPyTorch: a conditional instance norm
// layer with three styles, run with one blend for the batch and with a
// blend per image, equals instance_norm with the blended gamma and beta
// (Dumoulin et al.'s convex combinations), and its gradients with respect
// to the input and the per-style parameters equal PyTorch's.
func TestCondInstanceNormBlendsMatchPyTorch(t *testing.T) {
	const n, c, h, w, s = 2, 4, 5, 3, 3
	g := graph.Graph{Nodes: []graph.Node{node("x", "input", nil, "channels", c, "height", h, "width", w),
		node("l", "condinstancenorm", []string{"x"}, "styles", s)}}
	blends := map[string][]float32{"shared": {0.2, 0.5, 0.3}, "per-image": {1, 0, 0, 0, 0.25, 0.75}}
	x := torchref.Normal(1, n*c*h*w, 2)
	wt, bt := torchref.Normal(2, s*c, 1), torchref.Normal(3, s*c, 1)
	var cases []torchref.Case
	for name, bl := range blends {
		rows := len(bl) / s
		cases = append(cases, torchref.Case{Name: name, Inputs: []torchref.Input{
			{Name: "x", Shape: []int{n, c, h, w}, Data: x, Grad: true},
			{Name: "wt", Shape: []int{s, c}, Data: wt, Grad: true}, {Name: "bt", Shape: []int{s, c}, Data: bt, Grad: true},
			{Name: "bl", Shape: []int{rows, s}, Data: bl}},
			Code: "gam = (bl @ wt).expand(2, -1); bet = (bl @ bt).expand(2, -1)\nout = F.instance_norm(x, eps=1e-5) * gam[:, :, None, None] + bet[:, :, None, None]"})
	}
	res := torchref.Run(t, cases)
	for name, bl := range blends {
		m, err := Build(g, []int{c, h, w}, cpu.New(), 1, "default")
		if err != nil {
			t.Fatal(err)
		}
		m.params["l"]["weight"].Value.Set(wt)
		m.params["l"]["bias"].Value.Set(bt)
		xv := autograd.Param(tensor.FromData(m.B, append([]float32(nil), x...), n, c, h, w), "x")
		out := m.Forward(&Ctx{Training: true, Style: bl}, xv)
		r := res[name]
		torchref.Compare(t, name+" forward", out.Value.Data(), out.Shape(), r.Out, torchref.Forward)
		out.BackwardWith(tensor.FromData(m.B, torchref.Upstream(out.Value.Len()), out.Shape()...))
		torchref.Compare(t, name+" d/dx", xv.Grad.Data(), xv.Shape(), r.Grad["x"], torchref.Gradient)
		torchref.Compare(t, name+" d/dweight", m.params["l"]["weight"].Grad.Data(), []int{s, c}, r.Grad["wt"], torchref.Gradient)
		torchref.Compare(t, name+" d/dbias", m.params["l"]["bias"].Grad.Data(), []int{s, c}, r.Grad["bt"], torchref.Gradient)
	}
}
