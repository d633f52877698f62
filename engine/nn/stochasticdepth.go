package nn

import (
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
)

// stochasticdepth is torchvision.ops.StochasticDepth: in training, a
// residual branch is dropped for a whole example (mode row) or the whole
// batch (batch = 1) with probability p, survivors scaled by 1/(1-p); the
// identity in evaluation. Draws use the engine's counter-based hash, seeded
// per node and step like dropout.
func init() {
	register(&Op{Name: "stochasticdepth", Group: "regularisation",
		Doc: "Drops the whole branch per example with probability p in training (EfficientNet's drop path).",
		Attrs: []Attr{{Name: "p", Default: 0.2, Min: 0, Max: 1},
			{Name: "batch", Default: 0, Min: 0, Max: 1, Int: true, Doc: "1: one draw for the whole batch (mode \"batch\"), 0: one per example (\"row\")"}},
		MinIn: 1, MaxIn: 1, Infer: same, MACs: noMACs,
		Forward: func(c *Ctx, n *graph.Node, p map[string]*autograd.Var, in []*autograd.Var) *autograd.Var {
			if !c.Training {
				return in[0]
			}
			return autograd.StochasticDepth(in[0], float32(attr(n, "p")), iattr(n, "batch") == 0, c.seed(n, 2))
		}})
}
