package optim

import (
	"math"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// GradNorm is the global L2 norm of the gradients of params (those that
// have one).
func GradNorm(params []*nn.Param) float64 {
	var total float64
	for _, p := range params {
		if g := grad(p); g != nil {
			total += sumSquares(g)
		}
	}
	return math.Sqrt(total)
}

// sumSquares computes Σ g² on g's backend and reads back one value.
func sumSquares(g *tensor.Tensor) float64 {
	b, n := g.B, g.Len()
	sq := b.Alloc(n)
	defer b.Free(sq)
	b.Binary(backend.Mul, sq, g.Buf, g.Buf, flat(n))
	out := tensor.New(b, 1)
	b.Reduce(backend.Sum, out.Buf, sq, 1, n, 1)
	return float64(out.Item())
}

// ClipGradNorm rescales the gradients of params so that their global L2
// norm is at most max, as torch.nn.utils.clip_grad_norm_ does, and returns
// the norm before clipping. A NaN or infinite norm is returned unchanged
// and the gradients are left alone: the caller should stop the run.
func ClipGradNorm(params []*nn.Param, max float32) float64 {
	norm := GradNorm(params)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm
	}
	coef := float64(max) / (norm + 1e-6)
	if coef >= 1 {
		return norm
	}
	for _, p := range params {
		if g := grad(p); g != nil {
			apply(g, backend.MulScalar, float32(coef), 0)
		}
	}
	return norm
}

// ClipGradValue clamps every gradient value of params to [-v, v].
func ClipGradValue(params []*nn.Param, v float32) {
	for _, p := range params {
		if g := grad(p); g != nil {
			apply(g, backend.Clamp, -v, v)
		}
	}
}

func grad(p *nn.Param) *tensor.Tensor {
	if p == nil || p.V == nil || !p.V.RequiresGrad() {
		return nil
	}
	return p.V.Grad
}

// apply replaces t with op(t) through a scratch buffer (kernels must not
// write their input).
func apply(t *tensor.Tensor, op backend.UnaryOp, alpha, beta float32) {
	b, n := t.B, t.Len()
	tmp := b.Alloc(n)
	b.Unary(op, tmp, t.Buf, alpha, beta)
	b.Copy(t.Buf, 0, tmp, 0, n)
	b.Free(tmp)
}
