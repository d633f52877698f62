package autograd

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// BatchNormState is a batch-norm layer's running statistics, updated in
// training mode with PyTorch's rule (momentum on the unbiased variance).
type BatchNormState struct {
	Mean, Var *tensor.Tensor
	Momentum  float32
	Eps       float32
}

// vecOp computes a small per-channel vector on the device: dst = f(a, c).
func vecOp(b backend.Backend, op backend.BinaryOp, dst, a, c backend.Buffer, n int) {
	b.Binary(op, dst, a, c, backend.Strided{Shape: []int{n}, StrideA: []int{1}, StrideB: []int{1}})
}

// BatchNorm normalises x, viewed as [N, C, rest...], per channel. In
// training it uses the batch statistics and updates st; otherwise it uses
// st's running statistics. gamma and beta ([C]) may be nil (no affine).
func BatchNorm(x, gamma, beta *Var, st *BatchNormState, training bool) *Var {
	return batchNorm(x, nil, gamma, beta, st, training, false)
}

// BatchNormReLU is ReLU(BatchNorm(...)) in one op on backends that fuse
// them (backend.BatchNormGrader): one pass less each way, and the batch
// norm's own output is never stored.
func BatchNormReLU(x, gamma, beta *Var, st *BatchNormState, training bool) *Var {
	if _, ok := x.B().(backend.BatchNormGrader); !ok {
		return ReLU(BatchNorm(x, gamma, beta, st, training))
	}
	return batchNorm(x, nil, gamma, beta, st, training, true)
}

// batchNorm is BatchNorm, with relu ReLU(·), and with res (which needs
// relu, a backend.BatchNormAddReLUer and a BatchNormGrader)
// ReLU(· + res).
func batchNorm(x, res, gamma, beta *Var, st *BatchNormState, training, relu bool) *Var {
	s := x.Shape()
	if len(s) < 2 {
		panic(fmt.Sprintf("autograd: BatchNorm needs [N,C,...], got %v", s))
	}
	n, c, inner := s[0], s[1], tensor.Numel(s[2:])
	b := x.B()
	mean, varT := tensor.New(b, c), tensor.New(b, c)
	count := n * inner
	if training && count < 2 {
		panic(fmt.Sprintf("autograd: BatchNorm in training needs more than one value per channel, got input %v", s))
	}
	eps := float32(1e-5)
	if st != nil && st.Eps != 0 {
		eps = st.Eps
	}
	var invstd, k *tensor.Tensor
	out := empty(b, s...)
	var y backend.Buffer // the output, read by the fused ReLU's gradient
	if relu && res == nil {
		y = out.Buf
	}
	if f, ok := b.(backend.BatchNormForwarder); ok && training {
		// Statistics and output in one kernel.
		invstd, k = tensor.New(b, c), tensor.New(b, c)
		var gb, bb backend.Buffer
		if gamma != nil {
			gb = gamma.Value.Buf
		}
		if beta != nil {
			bb = beta.Value.Buf
		}
		if res != nil {
			b.(backend.BatchNormAddReLUer).BatchNormAddReLUForward(out.Buf, mean.Buf, varT.Buf, invstd.Buf, k.Buf, x.Value.Buf, res.Value.Buf, gb, bb, n, c, inner, eps)
		} else {
			f.BatchNormForward(out.Buf, mean.Buf, varT.Buf, invstd.Buf, k.Buf, x.Value.Buf, gb, bb, n, c, inner, eps, relu)
		}
		updateRunning(b, st, mean, varT, count)
	} else {
		invstd, k = batchNormAffine(b, out, x, res, gamma, beta, st, mean, varT, n, c, inner, eps, training, relu)
	}
	inputs := []*Var{x, gamma, beta}
	if res != nil {
		inputs = []*Var{x, res, gamma, beta}
	}
	v := newOp(out, func(g *tensor.Tensor) {
		if res != nil {
			// As AddReLU: the gradient where out > 0, shared by the
			// batch norm and the shortcut.
			gm := empty(b, s...)
			b.UnaryGrad(backend.ReLU, gm.Buf, out.Buf, out.Buf, g.Buf, 0, 0)
			if x.requiresGrad || (gamma != nil && gamma.requiresGrad) || (beta != nil && beta.requiresGrad) {
				batchNormGrad(b.(backend.BatchNormGrader), gm, nil, x, gamma, beta, mean, invstd, k, n, c, inner, training)
			}
			if res.requiresGrad {
				accumulate(res, gm, true)
			} else {
				b.Free(gm.Buf)
			}
			return
		}
		if bg, ok := b.(backend.BatchNormGrader); ok {
			batchNormGrad(bg, g, y, x, gamma, beta, mean, invstd, k, n, c, inner, training)
			return
		}
		// xhat = (x-mean)*invstd, recomputed rather than stored.
		negMI := tensor.New(b, c)
		vecOp(b, backend.Mul, negMI.Buf, mean.Buf, invstd.Buf, c)
		b.Unary(backend.Neg, negMI.Buf, negMI.Buf, 0, 0)
		xhat := empty(b, s...)
		b.ChannelAffine(xhat.Buf, x.Value.Buf, invstd.Buf, negMI.Buf, n, c, inner)
		// Per-channel means of g and g*xhat.
		m1, m2, scratch := tensor.New(b, c), tensor.New(b, c), tensor.New(b, c)
		b.ChannelStats(m1.Buf, scratch.Buf, g.Buf, n, c, inner)
		gx := empty(b, s...)
		b.Binary(backend.Mul, gx.Buf, g.Buf, xhat.Buf, same(s))
		b.ChannelStats(m2.Buf, scratch.Buf, gx.Buf, n, c, inner)
		b.Free(gx.Buf)
		if gamma != nil && gamma.requiresGrad {
			dg := tensor.New(b, c)
			b.Axpy(dg.Buf, float32(count), m2.Buf)
			accumulate(gamma, dg, true)
		}
		if beta != nil && beta.requiresGrad {
			db := tensor.New(b, c)
			b.Axpy(db.Buf, float32(count), m1.Buf)
			accumulate(beta, db, true)
		}
		if x.requiresGrad {
			dx := empty(b, s...)
			zero := tensor.New(b, c)
			if training {
				// dx = k*(g - m1 - xhat*m2)
				a := tensor.New(b, c)
				vecOp(b, backend.Mul, a.Buf, k.Buf, m2.Buf, c)
				b.Unary(backend.Neg, a.Buf, a.Buf, 0, 0)
				sh := tensor.New(b, c)
				vecOp(b, backend.Mul, sh.Buf, k.Buf, m1.Buf, c)
				b.Unary(backend.Neg, sh.Buf, sh.Buf, 0, 0)
				b.ChannelAffine(dx.Buf, xhat.Buf, a.Buf, sh.Buf, n, c, inner)
				t := empty(b, s...)
				b.ChannelAffine(t.Buf, g.Buf, k.Buf, zero.Buf, n, c, inner)
				b.Axpy(dx.Buf, 1, t.Buf)
				b.Free(t.Buf)
			} else {
				b.ChannelAffine(dx.Buf, g.Buf, k.Buf, zero.Buf, n, c, inner)
			}
			accumulate(x, dx, true)
		}
		b.Free(xhat.Buf)
	}, inputs...)
	// The per-channel vectors go back to the backend with the graph
	// (Release), or now when there is no graph: 4 x C values, pooled from
	// 2,048 channels on.
	v.save(mean, varT, invstd, k)
	return v
}

// updateRunning folds a training batch's statistics into st's running
// ones, as PyTorch (momentum on the unbiased variance).
func updateRunning(b backend.Backend, st *BatchNormState, mean, varT *tensor.Tensor, count int) {
	if st == nil {
		return
	}
	m := st.Momentum
	b.Unary(backend.MulScalar, st.Mean.Buf, st.Mean.Buf, 1-m, 0)
	b.Axpy(st.Mean.Buf, m, mean.Buf)
	b.Unary(backend.MulScalar, st.Var.Buf, st.Var.Buf, 1-m, 0)
	b.Axpy(st.Var.Buf, m*float32(count)/float32(count-1), varT.Buf)
}

// batchNormAffine is BatchNorm's forward pass from backend primitives:
// the statistics (the batch's in training, updating st, or st's
// otherwise), then out = x·k + shift with k = gamma·invstd and shift =
// beta − mean·k, ReLU'd with relu, res added before the ReLU when not nil.
// It returns invstd and k.
func batchNormAffine(b backend.Backend, out *tensor.Tensor, x, res, gamma, beta *Var, st *BatchNormState, mean, varT *tensor.Tensor, n, c, inner int, eps float32, training, relu bool) (invstd, k *tensor.Tensor) {
	if training {
		b.ChannelStats(mean.Buf, varT.Buf, x.Value.Buf, n, c, inner)
		updateRunning(b, st, mean, varT, n*inner)
	} else {
		b.Copy(mean.Buf, 0, st.Mean.Buf, 0, c)
		b.Copy(varT.Buf, 0, st.Var.Buf, 0, c)
	}
	// invstd = 1/sqrt(var+eps); k = gamma*invstd; shift = beta - mean*k.
	invstd = tensor.New(b, c)
	b.Unary(backend.AddScalar, invstd.Buf, varT.Buf, eps, 0)
	b.Unary(backend.Pow, invstd.Buf, invstd.Buf, -0.5, 0)
	k = invstd.Clone()
	if gamma != nil {
		vecOp(b, backend.Mul, k.Buf, invstd.Buf, gamma.Value.Buf, c)
	}
	shift := tensor.New(b, c)
	vecOp(b, backend.Mul, shift.Buf, mean.Buf, k.Buf, c)
	b.Unary(backend.Neg, shift.Buf, shift.Buf, 0, 0)
	if beta != nil {
		b.Axpy(shift.Buf, 1, beta.Value.Buf)
	}
	switch {
	case res != nil:
		b.(backend.BatchNormAddReLUer).ChannelAffineAddReLU(out.Buf, x.Value.Buf, res.Value.Buf, k.Buf, shift.Buf, n, c, inner)
	case relu:
		b.(backend.BatchNormGrader).ChannelAffineReLU(out.Buf, x.Value.Buf, k.Buf, shift.Buf, n, c, inner)
	default:
		b.ChannelAffine(out.Buf, x.Value.Buf, k.Buf, shift.Buf, n, c, inner)
	}
	b.Free(shift.Buf)
	return invstd, k
}

// BatchNormAddReLU is ReLU(BatchNorm(x, ...) + res), the end of a
// residual block, in one op on backends that fuse it
// (backend.BatchNormAddReLUer and BatchNormGrader): the batch norm's
// output is never written or read back, one pass over the block's output
// less forward. The values, the running statistics and every gradient are
// those of the separate ops to the bit. Elsewhere it is those ops.
func BatchNormAddReLU(x, res, gamma, beta *Var, st *BatchNormState, training bool) *Var {
	_, ok := x.B().(backend.BatchNormAddReLUer)
	_, okg := x.B().(backend.BatchNormGrader)
	if !ok || !okg || len(x.Shape()) < 2 || !tensor.SameShape(x.Shape(), res.Shape()) {
		return AddReLU(BatchNorm(x, gamma, beta, st, training), res)
	}
	return batchNorm(x, res, gamma, beta, st, training, true)
}

// batchNormGrad is BatchNorm's backward pass on a backend with a fused
// kernel.
func batchNormGrad(bg backend.BatchNormGrader, g *tensor.Tensor, y backend.Buffer, x, gamma, beta *Var, mean, invstd, k *tensor.Tensor, n, c, inner int, training bool) {
	b := x.B()
	var dx, dg, db *tensor.Tensor
	var dxb, dgb, dbb backend.Buffer
	if x.requiresGrad {
		dx = empty(b, x.Shape()...)
		dxb = dx.Buf
	}
	if gamma != nil && gamma.requiresGrad {
		dg = tensor.New(b, c)
		dgb = dg.Buf
	}
	if beta != nil && beta.requiresGrad {
		db = tensor.New(b, c)
		dbb = db.Buf
	}
	bg.BatchNormGrad(dxb, dgb, dbb, g.Buf, y, x.Value.Buf, mean.Buf, invstd.Buf, k.Buf, n, c, inner, training)
	if dg != nil {
		accumulate(gamma, dg, true)
	}
	if db != nil {
		accumulate(beta, db, true)
	}
	if dx != nil {
		accumulate(x, dx, true)
	}
}

// GroupNorm normalises x [N, C, rest...] over groups of C/groups channels
// and the spatial positions, per example, then applies per-channel gamma and
// beta (either may be nil). LayerNorm over [C,H,W] is one group without the
// per-channel affine; InstanceNorm is groups = C.
func GroupNorm(x *Var, groups int, gamma, beta *Var, eps float32) *Var {
	s := x.Shape()
	n, c := s[0], s[1]
	if groups < 1 || c%groups != 0 {
		panic(fmt.Sprintf("autograd: GroupNorm with %d groups over %d channels", groups, c))
	}
	xg := Reshape(x, n, groups, -1)
	xhat := Reshape(normalizeLast(xg, eps), s...)
	aff := make([]int, len(s))
	for i := range aff {
		aff[i] = 1
	}
	aff[1] = c
	if gamma != nil {
		xhat = Mul(xhat, Reshape(gamma, aff...))
	}
	if beta != nil {
		xhat = Add(xhat, Reshape(beta, aff...))
	}
	return xhat
}

// normalizeLast standardises along the last axis (biased variance).
func normalizeLast(x *Var, eps float32) *Var {
	xc := Sub(x, MeanAxis(x, -1))
	v := MeanAxis(Square(xc), -1)
	return Mul(xc, Pow(AddScalar(v, eps), -0.5))
}

// LayerNorm normalises each example over its trailing dimensions whose
// product is the size of gamma/beta (PyTorch's normalized_shape), with an
// elementwise affine (gamma, beta may be nil).
func LayerNorm(x *Var, normalized int, gamma, beta *Var, eps float32) *Var {
	s := x.Shape()
	if x.Value.Len()%normalized != 0 {
		panic(fmt.Sprintf("autograd: LayerNorm over %d values of %v", normalized, s))
	}
	y := normalizeLast(Reshape(x, -1, normalized), eps)
	if gamma != nil {
		y = Mul(y, Reshape(gamma, normalized))
	}
	if beta != nil {
		y = Add(y, Reshape(beta, normalized))
	}
	return Reshape(y, s...)
}

// InstanceNorm normalises each channel of each example over its spatial
// positions.
func InstanceNorm(x *Var, gamma, beta *Var, eps float32) *Var {
	return GroupNorm(x, x.Shape()[1], gamma, beta, eps)
}

// LocalResponseNorm is AlexNet's cross-channel normalisation, as PyTorch:
// b = a / (k + alpha/size * sum over `size` neighbouring channels of a²)^beta.
// size must be odd.
func LocalResponseNorm(x *Var, size int, alpha, beta, k float32) *Var {
	if size%2 == 0 {
		panic(fmt.Sprintf("autograd: LocalResponseNorm size %d must be odd", size))
	}
	s := x.Shape()
	n, c := s[0], s[1]
	sq := Reshape(Square(x), n, 1, c, -1)
	avg := AvgPool2d(sq, PoolOpts{Kernel: [2]int{size, 1}, Stride: [2]int{1, 1}, Pad: [2]int{size / 2, 0}})
	div := Pow(AddScalar(Scale(avg, alpha), k), beta)
	return Div(x, Reshape(div, s...))
}

// PReLU is max(0,x) + a·min(0,x) with a learned slope per channel (a has C
// elements) or one shared slope (a has 1).
func PReLU(x, a *Var) *Var {
	s := x.Shape()
	ashape := make([]int, len(s))
	for i := range ashape {
		ashape[i] = 1
	}
	if a.Value.Len() > 1 {
		ashape[1] = a.Value.Len()
	}
	neg := Neg(ReLU(Neg(x))) // min(0, x)
	return Add(ReLU(x), Mul(Reshape(a, ashape...), neg))
}

// Maxout takes the maximum over groups of `pieces` consecutive channels:
// [N, C*pieces, ...] to [N, C, ...].
func Maxout(x *Var, pieces int) *Var {
	s := x.Shape()
	if s[1]%pieces != 0 {
		panic(fmt.Sprintf("autograd: Maxout with %d pieces over %d channels", pieces, s[1]))
	}
	out := append([]int{s[0], s[1] / pieces}, s[2:]...)
	return Reshape(MaxAxis(Reshape(x, s[0], s[1]/pieces, pieces, -1), 2), out...)
}
