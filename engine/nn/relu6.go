package nn

import (
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
)

// relu6 is MobileNet v2's activation (added with the model zoo).
func init() {
	activation("relu6", "min(max(x, 0), 6) (MobileNet v2).", func(x *autograd.Var, n *graph.Node) *autograd.Var {
		return autograd.Clamp(x, 0, 6)
	})
}
