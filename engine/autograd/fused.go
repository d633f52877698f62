package autograd

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// AddReLU is ReLU(a + b) for a and b of the same shape (a residual block's
// sum and activation) in one op: the sum is not stored for the backward
// pass, whose ReLU mask comes from the output, and the gradient reaches a
// and b in one pass, as one buffer that both share where autograd allows
// (shareGrad). Other shapes fall back to ReLU(Add(a, b)).
func AddReLU(a, c *Var) *Var {
	if !tensor.SameShape(a.Shape(), c.Shape()) {
		return ReLU(Add(a, c))
	}
	b := a.B()
	s := a.Shape()
	out := empty(b, s...)
	if f, ok := b.(backend.AddReLUer); ok {
		f.AddReLU(out.Buf, a.Value.Buf, c.Value.Buf)
	} else {
		sum := empty(b, s...)
		b.Binary(backend.Add, sum.Buf, a.Value.Buf, c.Value.Buf, same(s))
		b.Unary(backend.ReLU, out.Buf, sum.Buf, 0, 0)
		b.Free(sum.Buf)
	}
	return newOp(out, func(g *tensor.Tensor) {
		// out > 0 exactly where a + b > 0.
		gm := empty(b, s...)
		b.UnaryGrad(backend.ReLU, gm.Buf, out.Buf, out.Buf, g.Buf, 0, 0)
		switch {
		case a.requiresGrad && c.requiresGrad:
			shareGrad(a, c, gm)
		case a.requiresGrad:
			accumulate(a, gm, true)
		case c.requiresGrad:
			accumulate(c, gm, true)
		default:
			b.Free(gm.Buf)
		}
	}, a, c)
}
