package autograd

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/tensor"
)

// StochasticDepth is torchvision.ops.stochastic_depth in training: with
// probability p a whole example (row, the mode EfficientNet uses) or the
// whole batch (row false) is zeroed, and what survives is scaled by
// 1/(1-p). The draws come from the backend's counter-based hash of seed
// (the dropout mask of one value per row), so they agree across backends.
// In evaluation the caller skips it: it is the identity there.
func StochasticDepth(x *Var, p float32, row bool, seed uint64) *Var {
	if p < 0 || p > 1 {
		panic(fmt.Sprintf("autograd: StochasticDepth probability %g outside [0, 1]", p))
	}
	if p == 0 {
		return x
	}
	s := x.Shape()
	shape := make([]int, len(s))
	for i := range shape {
		shape[i] = 1
	}
	if row {
		shape[0] = s[0]
	}
	b := x.B()
	mask := tensor.New(b, shape...)
	b.DropoutMask(mask.Buf, p, seed)
	return Mul(x, Const(mask))
}
