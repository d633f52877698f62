package nn

import (
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
)

// clip limits values to [min, max] (ONNX Clip, torch.clamp); relu6 is the
// common special case.
func init() {
	lim := math.MaxFloat32
	register(&Op{Name: "clip", Group: "activation", Doc: "min(max(x, min), max).",
		Attrs: []Attr{{Name: "min", Default: -lim, Min: -lim, Max: lim}, {Name: "max", Default: lim, Min: -lim, Max: lim}},
		MinIn: 1, MaxIn: 1, MACs: elemMACs,
		Infer: func(n *graph.Node, in [][]int) ([]int, error) {
			if attr(n, "min") > attr(n, "max") {
				return nil, fmt.Errorf("clip min %g is above max %g", attr(n, "min"), attr(n, "max"))
			}
			return same(n, in)
		},
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			return autograd.Clamp(in[0], float32(attr(n, "min")), float32(attr(n, "max")))
		}})
}
