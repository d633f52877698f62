package nn

import (
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
)

// hardsigmoid is MobileNet v3's gate (torch.nn.Hardsigmoid; ONNX
// HardSigmoid with its alpha 1/6 and beta 1/2).
func init() {
	activation("hardsigmoid", "relu6(x+3)/6: a piecewise-linear sigmoid (MobileNet v3's squeeze-and-excitation gate).", func(x *autograd.Var, n *graph.Node) *autograd.Var {
		return autograd.HardSigmoid(x)
	})
}
