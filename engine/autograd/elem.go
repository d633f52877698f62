package autograd

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// unaryOp applies f elementwise.
func unaryOp(op backend.UnaryOp, x *Var, alpha, beta float32) *Var {
	b := x.B()
	out := empty(b, x.Shape()...)
	b.Unary(op, out.Buf, x.Value.Buf, alpha, beta)
	return newOp(out, func(g *tensor.Tensor) {
		dx := empty(b, x.Shape()...)
		b.UnaryGrad(op, dx.Buf, x.Value.Buf, out.Buf, g.Buf, alpha, beta)
		accumulate(x, dx, true)
	}, x)
}

// ReLU is max(x, 0).
func ReLU(x *Var) *Var { return unaryOp(backend.ReLU, x, 0, 0) }

// LeakyReLU is x for x > 0, slope*x otherwise.
func LeakyReLU(x *Var, slope float32) *Var { return unaryOp(backend.LeakyReLU, x, slope, 0) }

// ELU is x for x > 0, alpha*(exp(x)-1) otherwise.
func ELU(x *Var, alpha float32) *Var { return unaryOp(backend.ELU, x, alpha, 0) }

// SELU is the self-normalising ELU.
func SELU(x *Var) *Var { return unaryOp(backend.SELU, x, 0, 0) }

// GELU is the exact (erf) Gaussian error linear unit.
func GELU(x *Var) *Var { return unaryOp(backend.GELU, x, 0, 0) }

// Sigmoid is 1/(1+exp(-x)).
func Sigmoid(x *Var) *Var { return unaryOp(backend.Sigmoid, x, 0, 0) }

// Tanh is the hyperbolic tangent.
func Tanh(x *Var) *Var { return unaryOp(backend.Tanh, x, 0, 0) }

// Exp is e^x.
func Exp(x *Var) *Var { return unaryOp(backend.Exp, x, 0, 0) }

// Log is the natural logarithm.
func Log(x *Var) *Var { return unaryOp(backend.Log, x, 0, 0) }

// Sqrt is the square root.
func Sqrt(x *Var) *Var { return unaryOp(backend.Sqrt, x, 0, 0) }

// Abs is |x|.
func Abs(x *Var) *Var { return unaryOp(backend.Abs, x, 0, 0) }

// Square is x².
func Square(x *Var) *Var { return unaryOp(backend.Square, x, 0, 0) }

// Neg is -x.
func Neg(x *Var) *Var { return unaryOp(backend.Neg, x, 0, 0) }

// Pow is x^p.
func Pow(x *Var, p float32) *Var { return unaryOp(backend.Pow, x, p, 0) }

// AddScalar is x + c.
func AddScalar(x *Var, c float32) *Var { return unaryOp(backend.AddScalar, x, c, 0) }

// Scale is c·x.
func Scale(x *Var, c float32) *Var { return unaryOp(backend.MulScalar, x, c, 0) }

// Clamp limits x to [lo, hi].
func Clamp(x *Var, lo, hi float32) *Var { return unaryOp(backend.Clamp, x, lo, hi) }

// binaryOp applies f elementwise with broadcasting.
func binaryOp(op backend.BinaryOp, a, c *Var) *Var {
	s, err := tensor.Broadcast(a.Shape(), c.Shape())
	if err != nil {
		panic(err)
	}
	b := a.B()
	out := empty(b, s.Shape...)
	b.Binary(op, out.Buf, a.Value.Buf, c.Value.Buf, s)
	return newOp(out, func(g *tensor.Tensor) {
		switch op {
		case backend.Add:
			reduceInto(a, g, s.StrideA, s.Shape, false)
			reduceInto(c, g, s.StrideB, s.Shape, false)
		case backend.Sub:
			reduceInto(a, g, s.StrideA, s.Shape, false)
			if c.requiresGrad {
				ng := empty(b, g.Shape...)
				b.Unary(backend.Neg, ng.Buf, g.Buf, 0, 0)
				reduceInto(c, ng, s.StrideB, s.Shape, true)
			}
		case backend.Mul:
			if a.requiresGrad {
				reduceInto(a, mulB(g, c.Value, s, true), s.StrideA, s.Shape, true)
			}
			if c.requiresGrad {
				reduceInto(c, mulB(g, a.Value, s, false), s.StrideB, s.Shape, true)
			}
		case backend.Div:
			if a.requiresGrad { // d/da a/c = 1/c
				inv := tensor.New(b, c.Shape()...)
				b.Unary(backend.Recip, inv.Buf, c.Value.Buf, 0, 0)
				reduceInto(a, mulB(g, inv, s, true), s.StrideA, s.Shape, true)
			}
			if c.requiresGrad { // d/dc a/c = -out/c
				q := empty(b, s.Shape...)
				b.Binary(backend.Div, q.Buf, out.Buf, c.Value.Buf, backend.Strided{Shape: s.Shape, StrideA: tensor.Strides(s.Shape), StrideB: s.StrideB})
				gq := empty(b, s.Shape...)
				b.Binary(backend.Mul, gq.Buf, g.Buf, q.Buf, same(s.Shape))
				b.Unary(backend.Neg, gq.Buf, gq.Buf, 0, 0)
				reduceInto(c, gq, s.StrideB, s.Shape, true)
			}
		case backend.Max, backend.Min:
			// The gradient goes to the input that was selected (a on ties).
			for i, in := range []*Var{a, c} {
				if !in.requiresGrad {
					continue
				}
				st := s.StrideA
				if i == 1 {
					st = s.StrideB
				}
				mask := tensor.New(b, s.Shape...)
				// mask = (out == in) computed as 1 - (|out - in| > 0).
				diff := tensor.New(b, s.Shape...)
				b.Binary(backend.Sub, diff.Buf, out.Buf, in.Value.Buf, backend.Strided{Shape: s.Shape, StrideA: tensor.Strides(s.Shape), StrideB: st})
				b.Unary(backend.Abs, diff.Buf, diff.Buf, 0, 0)
				zero := tensor.New(b, 1)
				b.Binary(backend.GreaterMask, mask.Buf, diff.Buf, zero.Buf, backend.Strided{Shape: s.Shape, StrideA: tensor.Strides(s.Shape), StrideB: make([]int, len(s.Shape))})
				b.Unary(backend.MulScalar, mask.Buf, mask.Buf, -1, 0)
				b.Unary(backend.AddScalar, mask.Buf, mask.Buf, 1, 0)
				if i == 1 {
					// On ties a took the gradient already.
					other := tensor.New(b, s.Shape...)
					b.Binary(backend.Sub, other.Buf, out.Buf, a.Value.Buf, backend.Strided{Shape: s.Shape, StrideA: tensor.Strides(s.Shape), StrideB: s.StrideA})
					b.Unary(backend.Abs, other.Buf, other.Buf, 0, 0)
					b.Binary(backend.GreaterMask, other.Buf, other.Buf, zero.Buf, backend.Strided{Shape: s.Shape, StrideA: tensor.Strides(s.Shape), StrideB: make([]int, len(s.Shape))})
					b.Binary(backend.Mul, mask.Buf, mask.Buf, other.Buf, same(s.Shape))
				}
				gm := tensor.New(b, s.Shape...)
				b.Binary(backend.Mul, gm.Buf, g.Buf, mask.Buf, same(s.Shape))
				reduceInto(in, gm, st, s.Shape, true)
			}
		default:
			panic(fmt.Sprintf("autograd: no gradient for %v", op))
		}
	}, a, c)
}

// same is the Strided of two contiguous operands of one shape.
func same(shape []int) backend.Strided {
	st := tensor.Strides(shape)
	return backend.Strided{Shape: shape, StrideA: st, StrideB: st}
}

// mulB multiplies g (full output shape) by t, read through the broadcast
// strides of operand B when tIsB, else of operand A.
func mulB(g, t *tensor.Tensor, s backend.Strided, tIsB bool) *tensor.Tensor {
	st := s.StrideA
	if tIsB {
		st = s.StrideB
	}
	out := empty(g.B, s.Shape...)
	g.B.Binary(backend.Mul, out.Buf, g.Buf, t.Buf, backend.Strided{Shape: s.Shape, StrideA: tensor.Strides(s.Shape), StrideB: st})
	return out
}

// reduceInto sums g (of the broadcast shape) down to v's shape, whose
// broadcast strides are st, and accumulates it.
func reduceInto(v *Var, g *tensor.Tensor, st, shape []int, owned bool) {
	if v == nil || !v.requiresGrad {
		return
	}
	if g.Len() == v.Value.Len() {
		accumulate(v, g, owned)
		return
	}
	r := empty(g.B, v.Shape()...)
	g.B.SumTo(r.Buf, g.Buf, backend.Strided{Shape: shape, StrideA: st})
	accumulate(v, r, true)
}

// Add is a + b with broadcasting.
func Add(a, b *Var) *Var { return binaryOp(backend.Add, a, b) }

// Sub is a - b with broadcasting.
func Sub(a, b *Var) *Var { return binaryOp(backend.Sub, a, b) }

// Mul is a · b elementwise with broadcasting.
func Mul(a, b *Var) *Var { return binaryOp(backend.Mul, a, b) }

// Div is a / b elementwise with broadcasting.
func Div(a, b *Var) *Var { return binaryOp(backend.Div, a, b) }

// Maximum is max(a, b) elementwise with broadcasting.
func Maximum(a, b *Var) *Var { return binaryOp(backend.Max, a, b) }

// Minimum is min(a, b) elementwise with broadcasting.
func Minimum(a, b *Var) *Var { return binaryOp(backend.Min, a, b) }

// Reshape views x with a new shape (one dimension may be -1).
func Reshape(x *Var, shape ...int) *Var {
	out := x.Value.Reshape(shape...)
	return newOp(out, func(g *tensor.Tensor) {
		accumulate(x, g.Reshape(x.Shape()...), false)
	}, x)
}

// Flatten keeps the first dimension and flattens the rest.
func Flatten(x *Var) *Var { return Reshape(x, x.Shape()[0], -1) }

// reduceAxis reduces x along axis (keeping it with size 1).
func reduceAxis(op backend.ReduceOp, x *Var, axis int) *Var {
	sh := x.Shape()
	if axis < 0 {
		axis += len(sh)
	}
	outer, inner := tensor.Numel(sh[:axis]), tensor.Numel(sh[axis+1:])
	n := sh[axis]
	oshape := append([]int(nil), sh...)
	oshape[axis] = 1
	b := x.B()
	out := empty(b, oshape...)
	b.Reduce(op, out.Buf, x.Value.Buf, outer, n, inner)
	return newOp(out, func(g *tensor.Tensor) {
		bs, err := tensor.Broadcast(sh, oshape)
		if err != nil {
			panic(err)
		}
		dx := empty(b, sh...)
		switch op {
		case backend.Sum, backend.Mean:
			scale := tensor.Full(b, 1, 1)
			if op == backend.Mean {
				b.Fill(scale.Buf, 1/float32(n))
			}
			b.Binary(backend.Mul, dx.Buf, g.Buf, scale.Buf, backend.Strided{Shape: sh, StrideA: bs.StrideB, StrideB: make([]int, len(sh))})
		case backend.MaxReduce:
			// dx = g/count where x equals the maximum: tied maxima share
			// the gradient (torch.amax), so it still sums to g.
			mask := tensor.New(b, sh...)
			b.Binary(backend.GreaterMask, mask.Buf, out.Buf, x.Value.Buf, backend.Strided{Shape: sh, StrideA: bs.StrideB, StrideB: bs.StrideA})
			b.Unary(backend.MulScalar, mask.Buf, mask.Buf, -1, 0)
			b.Unary(backend.AddScalar, mask.Buf, mask.Buf, 1, 0)
			count, share := tensor.New(b, oshape...), tensor.New(b, oshape...)
			b.Reduce(backend.Sum, count.Buf, mask.Buf, outer, n, inner)
			b.Binary(backend.Div, share.Buf, g.Buf, count.Buf, same(oshape))
			b.Binary(backend.Mul, dx.Buf, mask.Buf, share.Buf, backend.Strided{Shape: sh, StrideA: bs.StrideA, StrideB: bs.StrideB})
		}
		accumulate(x, dx, true)
	}, x)
}

// SumAxis sums along axis, keeping it with size 1.
func SumAxis(x *Var, axis int) *Var { return reduceAxis(backend.Sum, x, axis) }

// MeanAxis averages along axis, keeping it with size 1.
func MeanAxis(x *Var, axis int) *Var { return reduceAxis(backend.Mean, x, axis) }

// MaxAxis takes the maximum along axis, keeping it with size 1.
func MaxAxis(x *Var, axis int) *Var { return reduceAxis(backend.MaxReduce, x, axis) }

// Sum adds every element into a scalar of shape [1].
func Sum(x *Var) *Var { return SumAxis(Reshape(x, -1), 0) }

// Mean averages every element into a scalar of shape [1].
func Mean(x *Var) *Var { return MeanAxis(Reshape(x, -1), 0) }
