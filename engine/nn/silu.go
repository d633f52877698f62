package nn

import (
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
)

// silu is the sigmoid-weighted linear unit, or swish (EfficientNet).
func init() {
	activation("silu", "x·sigmoid(x), also called swish (EfficientNet).", func(x *autograd.Var, n *graph.Node) *autograd.Var {
		return autograd.SiLU(x)
	})
}
