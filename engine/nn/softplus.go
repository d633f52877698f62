package nn

import (
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
)

// softplus is log(1 + eˣ) (ONNX Softplus, PyTorch's softplus with beta 1),
// computed as max(x, 0) + log(1 + e^-|x|) so that large |x| neither
// overflows nor loses the small term.
func init() {
	activation("softplus", "log(1 + eˣ), a smooth ReLU.", func(x *autograd.Var, n *graph.Node) *autograd.Var {
		return autograd.Add(autograd.ReLU(x), autograd.Log(autograd.AddScalar(autograd.Exp(autograd.Neg(autograd.Abs(x))), 1)))
	})
}
