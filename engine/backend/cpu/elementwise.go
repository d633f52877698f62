package cpu

import (
	"math"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

const (
	seluAlpha = 1.6732632423543772848170429916717
	seluScale = 1.0507009873554804934193349852946
)

func exp32(x float32) float32 { return float32(math.Exp(float64(x))) }

func sigmoid(x float32) float32 {
	if x >= 0 {
		return 1 / (1 + exp32(-x))
	}
	e := exp32(x)
	return e / (1 + e)
}

// gelu is the exact (erf) GELU, PyTorch's default (see gelu.go).
func gelu(x float32) float32 { return geluFast(x) }

func geluGrad(x float32) float32 { return geluGradFast(x) }

func unary(op backend.UnaryOp, x, alpha, beta float32) float32 {
	switch op {
	case backend.Neg:
		return -x
	case backend.Exp:
		return exp32(x)
	case backend.Log:
		return float32(math.Log(float64(x)))
	case backend.Sqrt:
		return float32(math.Sqrt(float64(x)))
	case backend.Abs:
		return float32(math.Abs(float64(x)))
	case backend.Square:
		return x * x
	case backend.Recip:
		return 1 / x
	case backend.ReLU:
		if x > 0 {
			return x
		}
		return 0
	case backend.LeakyReLU:
		if x > 0 {
			return x
		}
		return alpha * x
	case backend.ELU:
		if x > 0 {
			return x
		}
		return alpha * float32(math.Expm1(float64(x)))
	case backend.SELU:
		if x > 0 {
			return seluScale * x
		}
		return seluScale * seluAlpha * float32(math.Expm1(float64(x)))
	case backend.GELU:
		return gelu(x)
	case backend.Sigmoid:
		return sigmoid(x)
	case backend.Tanh:
		return float32(math.Tanh(float64(x)))
	case backend.Sign:
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	case backend.Pow:
		return float32(math.Pow(float64(x), float64(alpha)))
	case backend.AddScalar:
		return x + alpha
	case backend.MulScalar:
		return x * alpha
	case backend.Clamp:
		return min(max(x, alpha), beta)
	}
	panic("cpu: unknown unary op " + op.String())
}

// unaryDeriv is f'(x), given x and y = f(x).
func unaryDeriv(op backend.UnaryOp, x, y, alpha, beta float32) float32 {
	switch op {
	case backend.Neg:
		return -1
	case backend.Exp:
		return y
	case backend.Log:
		return 1 / x
	case backend.Sqrt:
		return 0.5 / y
	case backend.Abs, backend.Sign:
		if op == backend.Sign {
			return 0
		}
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	case backend.Square:
		return 2 * x
	case backend.Recip:
		return -y * y
	case backend.ReLU:
		if x > 0 {
			return 1
		}
		return 0
	case backend.LeakyReLU:
		if x > 0 {
			return 1
		}
		return alpha
	case backend.ELU:
		if x > 0 {
			return 1
		}
		return y + alpha
	case backend.SELU:
		if x > 0 {
			return seluScale
		}
		return y + seluScale*seluAlpha
	case backend.GELU:
		return geluGrad(x)
	case backend.Sigmoid:
		return y * (1 - y)
	case backend.Tanh:
		return 1 - y*y
	case backend.Pow:
		return alpha * float32(math.Pow(float64(x), float64(alpha-1)))
	case backend.AddScalar:
		return 1
	case backend.MulScalar:
		return alpha
	case backend.Clamp:
		if x < alpha || x > beta {
			return 0
		}
		return 1
	}
	panic("cpu: unknown unary op " + op.String())
}

// Unary implements backend.Backend.
func (*CPU) Unary(op backend.UnaryOp, dst, x backend.Buffer, alpha, beta float32) {
	y, xs := d(dst), d(x)
	if op == backend.ReLU { // the hot path of every CNN
		parallel.For(len(y), 1, func(lo, hi int) { relu(y[lo:hi], xs[lo:hi]) })
		return
	}
	if op == backend.GELU {
		parallel.For(len(y), 4, func(lo, hi int) { geluSlice(y[lo:hi], xs[lo:hi]) })
		return
	}
	parallel.For(len(y), 20, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			y[i] = unary(op, xs[i], alpha, beta)
		}
	})
}

// UnaryGrad implements backend.Backend.
func (*CPU) UnaryGrad(op backend.UnaryOp, dx, x, y, dy backend.Buffer, alpha, beta float32) {
	g, xs, ys, dys := d(dx), d(x), d(y), d(dy)
	if op == backend.ReLU {
		parallel.For(len(g), 1, func(lo, hi int) { reluGrad(g[lo:hi], xs[lo:hi], dys[lo:hi]) })
		return
	}
	if op == backend.GELU && xs != nil {
		parallel.For(len(g), 4, func(lo, hi int) { geluGradSlice(g[lo:hi], xs[lo:hi], dys[lo:hi]) })
		return
	}
	parallel.For(len(g), 20, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var xi, yi float32
			if xs != nil {
				xi = xs[i]
			}
			if ys != nil {
				yi = ys[i]
			}
			g[i] = dys[i] * unaryDeriv(op, xi, yi, alpha, beta)
		}
	})
}

func binary(op backend.BinaryOp, a, b float32) float32 {
	switch op {
	case backend.Add:
		return a + b
	case backend.Sub:
		return a - b
	case backend.Mul:
		return a * b
	case backend.Div:
		return a / b
	case backend.Max:
		return max(a, b)
	case backend.Min:
		return min(a, b)
	case backend.GreaterMask:
		if a > b {
			return 1
		}
		return 0
	}
	panic("cpu: unknown binary op " + op.String())
}

// Binary implements backend.Backend. The innermost dimension gets a tight
// loop; the outer ones are walked with an index counter.
func (*CPU) Binary(op backend.BinaryOp, dst, a, b backend.Buffer, s backend.Strided) {
	z, as, bs := d(dst), d(a), d(b)
	nd := len(s.Shape)
	if nd == 0 {
		z[0] = binary(op, as[0], bs[0])
		return
	}
	inner := s.Shape[nd-1]
	sa, sb := s.StrideA[nd-1], s.StrideB[nd-1]
	rows := len(z) / max(inner, 1)
	parallel.For(rows, inner*2, func(lo, hi int) {
		var idx [backend.MaxDims]int
		for r := lo; r < hi; r++ {
			// Decompose the row number into outer indices.
			rem := r
			offA, offB := 0, 0
			for dim := nd - 2; dim >= 0; dim-- {
				idx[dim] = rem % s.Shape[dim]
				rem /= s.Shape[dim]
				offA += idx[dim] * s.StrideA[dim]
				offB += idx[dim] * s.StrideB[dim]
			}
			binaryRow(op, z[r*inner:(r+1)*inner], as[offA:], sa, bs[offB:], sb)
		}
	})
}

// binaryRow writes out[i] = op(a[i·sa], b[i·sb]). The usual strides (both
// contiguous, or one side broadcast: a bias, a per-row scale) get a loop
// per op with the op outside it; the generic loop calls binary for every
// value, about 8x slower (folding ResNet-50's batch norms into its
// convolutions, a [OC, C·KH·KW] by [OC, 1] product, took 30-40 ms).
func binaryRow(op backend.BinaryOp, out, a []float32, sa int, b []float32, sb int) {
	n := len(out)
	if n == 0 {
		return
	}
	switch {
	case sa == 1 && sb == 1:
		a, b := a[:n:n], b[:n:n]
		switch op {
		case backend.Add:
			for i := range out {
				out[i] = a[i] + b[i]
			}
			return
		case backend.Sub:
			for i := range out {
				out[i] = a[i] - b[i]
			}
			return
		case backend.Mul:
			for i := range out {
				out[i] = a[i] * b[i]
			}
			return
		case backend.Div:
			for i := range out {
				out[i] = a[i] / b[i]
			}
			return
		}
	case sa == 1 && sb == 0:
		a, bv := a[:n:n], b[0]
		switch op {
		case backend.Add:
			for i := range out {
				out[i] = a[i] + bv
			}
			return
		case backend.Sub:
			for i := range out {
				out[i] = a[i] - bv
			}
			return
		case backend.Mul:
			for i := range out {
				out[i] = a[i] * bv
			}
			return
		case backend.Div:
			for i := range out {
				out[i] = a[i] / bv
			}
			return
		}
	case sa == 0 && sb == 1:
		av, b := a[0], b[:n:n]
		switch op {
		case backend.Add:
			for i := range out {
				out[i] = av + b[i]
			}
			return
		case backend.Sub:
			for i := range out {
				out[i] = av - b[i]
			}
			return
		case backend.Mul:
			for i := range out {
				out[i] = av * b[i]
			}
			return
		case backend.Div:
			for i := range out {
				out[i] = av / b[i]
			}
			return
		}
	}
	for i := range out {
		out[i] = binary(op, a[i*sa], b[i*sb])
	}
}

// SumTo implements backend.Backend.
func (*CPU) SumTo(dst, x backend.Buffer, s backend.Strided) {
	z, xs := d(dst), d(x)
	clear(z)
	nd := len(s.Shape)
	var idx [backend.MaxDims]int
	for i, v := range xs {
		off := 0
		for dim := 0; dim < nd; dim++ {
			off += idx[dim] * s.StrideA[dim]
		}
		z[off] += v
		for dim := nd - 1; dim >= 0; dim-- {
			idx[dim]++
			if idx[dim] < s.Shape[dim] {
				break
			}
			idx[dim] = 0
		}
		_ = i
	}
}

// Reduce implements backend.Backend.
func (*CPU) Reduce(op backend.ReduceOp, dst, x backend.Buffer, outer, n, inner int) {
	z, xs := d(dst), d(x)
	if inner == 1 { // reduce contiguous rows (bias gradients, losses)
		parallel.For(outer, n, func(lo, hi int) {
			for o := lo; o < hi; o++ {
				row := xs[o*n : (o+1)*n]
				if op == backend.MaxReduce {
					m := row[0]
					for _, v := range row[1:] {
						m = max(m, v)
					}
					z[o] = m
					continue
				}
				// float64 accumulators: a float32 sum of n values loses
				// about sqrt(n) ulps of the total, which wrecks a mean
				// far from zero (layer norm over a whole feature map);
				// the conversion costs next to nothing here.
				var s0, s1, s2, s3 float64
				i := 0
				for ; i+4 <= n; i += 4 {
					s0 += float64(row[i])
					s1 += float64(row[i+1])
					s2 += float64(row[i+2])
					s3 += float64(row[i+3])
				}
				for ; i < n; i++ {
					s0 += float64(row[i])
				}
				s := (s0 + s1) + (s2 + s3)
				if op == backend.Mean {
					s /= float64(n)
				}
				z[o] = float32(s)
			}
		})
		return
	}
	parallel.For(outer, n*inner, func(lo, hi int) {
		var acc []float64 // float64 sums, as above
		if op != backend.MaxReduce {
			acc = make([]float64, inner)
		}
		for o := lo; o < hi; o++ {
			out := z[o*inner : (o+1)*inner]
			base := xs[o*n*inner : (o+1)*n*inner]
			if op == backend.MaxReduce {
				copy(out, base[:inner])
				for j := 1; j < n; j++ {
					row := base[j*inner : (j+1)*inner]
					for i := range out {
						out[i] = max(out[i], row[i])
					}
				}
				continue
			}
			clear(acc)
			for j := 0; j < n; j++ {
				row := base[j*inner : (j+1)*inner]
				for i, v := range row {
					acc[i] += float64(v)
				}
			}
			scale := 1.0
			if op == backend.Mean {
				scale = 1 / float64(n)
			}
			for i := range out {
				out[i] = float32(acc[i] * scale)
			}
		}
	})
}

// Permute implements backend.Backend.
func (*CPU) Permute(dst, x backend.Buffer, shape, perm []int) {
	z, xs := d(dst), d(x)
	nd := len(shape)
	var inStride [backend.MaxDims]int
	st := 1
	for i := nd - 1; i >= 0; i-- {
		inStride[i] = st
		st *= shape[i]
	}
	var outShape, outStride [backend.MaxDims]int
	for i := 0; i < nd; i++ {
		outShape[i] = shape[perm[i]]
		outStride[i] = inStride[perm[i]]
	}
	inner := outShape[nd-1]
	is := outStride[nd-1]
	rows := len(z) / max(inner, 1)
	parallel.For(rows, inner, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			rem, off := r, 0
			for dim := nd - 2; dim >= 0; dim-- {
				off += (rem % outShape[dim]) * outStride[dim]
				rem /= outShape[dim]
			}
			out := z[r*inner : (r+1)*inner]
			if is == 1 {
				copy(out, xs[off:off+inner])
				continue
			}
			for i := range out {
				out[i] = xs[off+i*is]
			}
		}
	})
}

// reluGrad sets g = dy where x > 0, else 0, without branches: the sign of
// an activation is a coin toss that a branch predictor loses half the
// time. x > 0 (not NaN, not ±0) exactly when its bits minus one, unsigned,
// are below those of +Inf; the mask keeps or clears dy's bits.
func reluGrad(g, x, dy []float32) {
	x, dy = x[:len(g)], dy[:len(g)]
	for i := reluGradVec(g, x, dy); i < len(g); i++ {
		m := uint32((int64(math.Float32bits(x[i])-1) - 0x7f800000) >> 63)
		g[i] = math.Float32frombits(math.Float32bits(dy[i]) & m)
	}
}

// relu writes y = max(x, 0).
func relu(y, x []float32) {
	x = x[:len(y)]
	for i := reluVec(y, x); i < len(y); i++ {
		y[i] = max(x[i], 0)
	}
}
