package nn

import (
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
)

// hardswish is MobileNet v3's activation (torch.nn.Hardswish, ONNX HardSwish).
func init() {
	activation("hardswish", "x·relu6(x+3)/6 (MobileNet v3).", func(x *autograd.Var, n *graph.Node) *autograd.Var {
		return autograd.HardSwish(x)
	})
}
