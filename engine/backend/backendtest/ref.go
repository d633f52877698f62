package backendtest

import (
	"math"

	"github.com/workbench-cv/workbench/engine/backend"
)

// Plain float64 reference implementations, written from the interface's
// documentation. They favour obviousness over speed.

const (
	seluAlpha = 1.6732632423543772848170429916717
	seluScale = 1.0507009873554804934193349852946
)

func refUnary(op backend.UnaryOp, x, alpha, beta float64) float64 {
	switch op {
	case backend.Neg:
		return -x
	case backend.Exp:
		return math.Exp(x)
	case backend.Log:
		return math.Log(x)
	case backend.Sqrt:
		return math.Sqrt(x)
	case backend.Abs:
		return math.Abs(x)
	case backend.Square:
		return x * x
	case backend.Recip:
		return 1 / x
	case backend.ReLU:
		return math.Max(x, 0)
	case backend.LeakyReLU:
		if x > 0 {
			return x
		}
		return alpha * x
	case backend.ELU:
		if x > 0 {
			return x
		}
		return alpha * math.Expm1(x)
	case backend.SELU:
		if x > 0 {
			return seluScale * x
		}
		return seluScale * seluAlpha * math.Expm1(x)
	case backend.GELU:
		return 0.5 * x * (1 + math.Erf(x/math.Sqrt2))
	case backend.Sigmoid:
		return 1 / (1 + math.Exp(-x))
	case backend.Tanh:
		return math.Tanh(x)
	case backend.Sign:
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	case backend.Pow:
		return math.Pow(x, alpha)
	case backend.AddScalar:
		return x + alpha
	case backend.MulScalar:
		return x * alpha
	case backend.Clamp:
		return math.Min(math.Max(x, alpha), beta)
	}
	panic("backendtest: no reference for " + op.String())
}

// refDeriv is f'(x) with PyTorch's conventions at the joints: ReLU'(0) = 0,
// LeakyReLU'(0) = slope, |x|'(0) = 0, ELU'(0) = alpha, Clamp' = 1 on the
// closed interval.
func refDeriv(op backend.UnaryOp, x, alpha, beta float64) float64 {
	switch op {
	case backend.Neg:
		return -1
	case backend.Exp:
		return math.Exp(x)
	case backend.Log:
		return 1 / x
	case backend.Sqrt:
		return 0.5 / math.Sqrt(x)
	case backend.Abs:
		return refUnary(backend.Sign, x, 0, 0)
	case backend.Square:
		return 2 * x
	case backend.Recip:
		return -1 / (x * x)
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
		return alpha * math.Exp(x)
	case backend.SELU:
		if x > 0 {
			return seluScale
		}
		return seluScale * seluAlpha * math.Exp(x)
	case backend.GELU:
		return 0.5*(1+math.Erf(x/math.Sqrt2)) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
	case backend.Sigmoid:
		s := 1 / (1 + math.Exp(-x))
		return s * (1 - s)
	case backend.Tanh:
		t := math.Tanh(x)
		return 1 - t*t
	case backend.Sign:
		return 0
	case backend.Pow:
		return alpha * math.Pow(x, alpha-1)
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
	panic("backendtest: no reference derivative for " + op.String())
}

func refBinary(op backend.BinaryOp, a, b float64) float64 {
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
		return math.Max(a, b)
	case backend.Min:
		return math.Min(a, b)
	case backend.GreaterMask:
		if a > b {
			return 1
		}
		return 0
	}
	panic("backendtest: no reference for " + op.String())
}

// offsets returns, for every element of the contiguous output of shape,
// the offsets into A and B given by the strides.
func offsets(shape, sa, sb []int) (oa, ob []int) {
	n := 1
	for _, d := range shape {
		n *= d
	}
	oa, ob = make([]int, n), make([]int, n)
	idx := make([]int, len(shape))
	for i := 0; i < n; i++ {
		for d := range shape {
			oa[i] += idx[d] * sa[d]
			ob[i] += idx[d] * sb[d]
		}
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return oa, ob
}

func refReduce(op backend.ReduceOp, x []float32, outer, n, inner int) (out, mag []float64) {
	out, mag = make([]float64, outer*inner), make([]float64, outer*inner)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			acc, m := 0.0, 0.0
			if op == backend.MaxReduce {
				acc = math.Inf(-1)
			}
			for j := 0; j < n; j++ {
				v := float64(x[(o*n+j)*inner+i])
				if op == backend.MaxReduce {
					acc = math.Max(acc, v)
				} else {
					acc += v
				}
				m += math.Abs(v)
			}
			if op == backend.Mean {
				acc /= float64(n)
				m /= float64(n)
			}
			if op == backend.MaxReduce {
				m = math.Abs(acc)
			}
			out[o*inner+i], mag[o*inner+i] = acc, m
		}
	}
	return out, mag
}

// refGemm computes C = alpha*op(A)*op(B) + beta*C on the whole buffer c
// (elements outside the m×n block keep their values), and the magnitudes
// |alpha|·Σ|a||b| + |beta·c|.
func refGemm(tA, tB bool, m, n, k int, alpha float64, a []float32, offA, lda int, b []float32, offB, ldb int,
	beta float64, c []float32, offC, ldc int) (out, mag []float64) {
	out, mag = make([]float64, len(c)), make([]float64, len(c))
	for i, v := range c {
		out[i] = float64(v)
		mag[i] = math.Abs(float64(v))
	}
	at := func(i, p int) float64 {
		if tA {
			return float64(a[offA+p*lda+i])
		}
		return float64(a[offA+i*lda+p])
	}
	bt := func(p, j int) float64 {
		if tB {
			return float64(b[offB+j*ldb+p])
		}
		return float64(b[offB+p*ldb+j])
	}
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, sm float64
			for p := 0; p < k; p++ {
				s += at(i, p) * bt(p, j)
				sm += math.Abs(at(i, p) * bt(p, j))
			}
			ci := offC + i*ldc + j
			old := float64(c[ci])
			if beta == 0 {
				old = 0 // C's old contents are ignored
			}
			out[ci] = alpha*s + beta*old
			mag[ci] = math.Abs(alpha)*sm + math.Abs(beta*old)
		}
	}
	return out, mag
}

func refIm2Col(x []float32, g backend.ConvGeom) []float64 {
	rows, cols := g.ColRows(), g.ColCols()
	col := make([]float64, rows*cols)
	for c := 0; c < g.C; c++ {
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				r := (c*g.KH+kh)*g.KW + kw
				for n := 0; n < g.N; n++ {
					for oh := 0; oh < g.OH; oh++ {
						for ow := 0; ow < g.OW; ow++ {
							ih, iw := oh*g.SH-g.PH+kh*g.DH, ow*g.SW-g.PW+kw*g.DW
							if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
								col[r*cols+(n*g.OH+oh)*g.OW+ow] = float64(x[((n*g.C+c)*g.H+ih)*g.W+iw])
							}
						}
					}
				}
			}
		}
	}
	return col
}

// refCol2Im is the adjoint of Im2Col: every column entry is added back to
// the input pixel it was read from.
func refCol2Im(col []float32, g backend.ConvGeom) (dx, mag []float64) {
	n := g.N * g.C * g.H * g.W
	dx, mag = make([]float64, n), make([]float64, n)
	cols := g.ColCols()
	for c := 0; c < g.C; c++ {
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				r := (c*g.KH+kh)*g.KW + kw
				for b := 0; b < g.N; b++ {
					for oh := 0; oh < g.OH; oh++ {
						for ow := 0; ow < g.OW; ow++ {
							ih, iw := oh*g.SH-g.PH+kh*g.DH, ow*g.SW-g.PW+kw*g.DW
							if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
								v := float64(col[r*cols+(b*g.OH+oh)*g.OW+ow])
								i := ((b*g.C+c)*g.H+ih)*g.W + iw
								dx[i] += v
								mag[i] += math.Abs(v)
							}
						}
					}
				}
			}
		}
	}
	return dx, mag
}

// refMaxPool returns the maxima and the flat in-plane index of the first
// maximum of each window in row-major order.
func refMaxPool(x []float32, g backend.PoolGeom) (out, idx []float64) {
	n := g.N * g.C * g.OH * g.OW
	out, idx = make([]float64, n), make([]float64, n)
	for p := 0; p < g.N*g.C; p++ {
		for oh := 0; oh < g.OH; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				best, bi := math.Inf(-1), -1
				for kh := 0; kh < g.KH; kh++ {
					for kw := 0; kw < g.KW; kw++ {
						ih, iw := oh*g.SH-g.PH+kh, ow*g.SW-g.PW+kw
						if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
							continue
						}
						if v := float64(x[(p*g.H+ih)*g.W+iw]); bi < 0 || v > best {
							best, bi = v, ih*g.W+iw
						}
					}
				}
				o := (p*g.OH+oh)*g.OW + ow
				out[o], idx[o] = best, float64(bi)
			}
		}
	}
	return out, idx
}

func refMaxPoolGrad(dy, idx []float32, g backend.PoolGeom) (dx, mag []float64) {
	dx, mag = make([]float64, g.N*g.C*g.H*g.W), make([]float64, g.N*g.C*g.H*g.W)
	for p := 0; p < g.N*g.C; p++ {
		for o := 0; o < g.OH*g.OW; o++ {
			v := float64(dy[p*g.OH*g.OW+o])
			i := p*g.H*g.W + int(idx[p*g.OH*g.OW+o])
			dx[i] += v
			mag[i] += math.Abs(v)
		}
	}
	return dx, mag
}

// refAvgPool averages each window, padding counted in the divisor.
func refAvgPool(x []float32, g backend.PoolGeom) (out, mag []float64) {
	n := g.N * g.C * g.OH * g.OW
	out, mag = make([]float64, n), make([]float64, n)
	div := float64(g.KH * g.KW)
	for p := 0; p < g.N*g.C; p++ {
		for oh := 0; oh < g.OH; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				var s, m float64
				for kh := 0; kh < g.KH; kh++ {
					for kw := 0; kw < g.KW; kw++ {
						ih, iw := oh*g.SH-g.PH+kh, ow*g.SW-g.PW+kw
						if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
							v := float64(x[(p*g.H+ih)*g.W+iw])
							s += v
							m += math.Abs(v)
						}
					}
				}
				o := (p*g.OH+oh)*g.OW + ow
				out[o], mag[o] = s/div, m/div
			}
		}
	}
	return out, mag
}

func refAvgPoolGrad(dy []float32, g backend.PoolGeom) (dx, mag []float64) {
	dx, mag = make([]float64, g.N*g.C*g.H*g.W), make([]float64, g.N*g.C*g.H*g.W)
	div := float64(g.KH * g.KW)
	for p := 0; p < g.N*g.C; p++ {
		for oh := 0; oh < g.OH; oh++ {
			for ow := 0; ow < g.OW; ow++ {
				v := float64(dy[(p*g.OH+oh)*g.OW+ow]) / div
				for kh := 0; kh < g.KH; kh++ {
					for kw := 0; kw < g.KW; kw++ {
						ih, iw := oh*g.SH-g.PH+kh, ow*g.SW-g.PW+kw
						if ih >= 0 && ih < g.H && iw >= 0 && iw < g.W {
							dx[(p*g.H+ih)*g.W+iw] += v
							mag[(p*g.H+ih)*g.W+iw] += math.Abs(v)
						}
					}
				}
			}
		}
	}
	return dx, mag
}

func refSoftmax(x []float32, rows, cols int, log bool) []float64 {
	out := make([]float64, rows*cols)
	for r := 0; r < rows; r++ {
		row := x[r*cols : (r+1)*cols]
		m := math.Inf(-1)
		for _, v := range row {
			m = math.Max(m, float64(v))
		}
		var s float64
		for _, v := range row {
			s += math.Exp(float64(v) - m)
		}
		for i, v := range row {
			l := float64(v) - m - math.Log(s)
			if log {
				out[r*cols+i] = l
			} else {
				out[r*cols+i] = math.Exp(l)
			}
		}
	}
	return out
}

// refSoftmaxGrad is the vector-Jacobian product of (log-)softmax given its
// output y.
func refSoftmaxGrad(y, dy []float32, rows, cols int, log bool) (dx, mag []float64) {
	dx, mag = make([]float64, rows*cols), make([]float64, rows*cols)
	for r := 0; r < rows; r++ {
		var s, sm float64
		for i := r * cols; i < (r+1)*cols; i++ {
			if log {
				s += float64(dy[i])
				sm += math.Abs(float64(dy[i]))
			} else {
				s += float64(dy[i]) * float64(y[i])
				sm += math.Abs(float64(dy[i]) * float64(y[i]))
			}
		}
		for i := r * cols; i < (r+1)*cols; i++ {
			if log {
				p := math.Exp(float64(y[i]))
				dx[i] = float64(dy[i]) - p*s
				mag[i] = math.Abs(float64(dy[i])) + p*sm
			} else {
				dx[i] = float64(y[i]) * (float64(dy[i]) - s)
				mag[i] = math.Abs(float64(y[i])) * (math.Abs(float64(dy[i])) + sm)
			}
		}
	}
	return dx, mag
}

func refXent(logits, target []float32, rows, cols int, scale float64) (loss, lossMag, grad, gradMag []float64) {
	loss, lossMag = make([]float64, rows), make([]float64, rows)
	grad, gradMag = make([]float64, rows*cols), make([]float64, rows*cols)
	lp := refSoftmax(logits, rows, cols, true)
	for r := 0; r < rows; r++ {
		var tsum float64
		for i := r * cols; i < (r+1)*cols; i++ {
			loss[r] -= float64(target[i]) * lp[i]
			lossMag[r] += math.Abs(float64(target[i]) * lp[i])
			tsum += float64(target[i])
		}
		for i := r * cols; i < (r+1)*cols; i++ {
			p := math.Exp(lp[i])
			grad[i] = (p*tsum - float64(target[i])) * scale
			gradMag[i] = (p*math.Abs(tsum) + math.Abs(float64(target[i]))) * math.Abs(scale)
		}
	}
	return
}

// refChannelStats returns mean and biased variance per channel of x viewed
// as [outer, c, inner].
func refChannelStats(x []float32, outer, c, inner int) (mean, variance []float64) {
	mean, variance = make([]float64, c), make([]float64, c)
	count := float64(outer * inner)
	for ch := 0; ch < c; ch++ {
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				mean[ch] += float64(x[(o*c+ch)*inner+i])
			}
		}
		mean[ch] /= count
		for o := 0; o < outer; o++ {
			for i := 0; i < inner; i++ {
				d := float64(x[(o*c+ch)*inner+i]) - mean[ch]
				variance[ch] += d * d
			}
		}
		variance[ch] /= count
	}
	return mean, variance
}

// refSGD runs steps of SGD with momentum, weight decay and Nesterov
// (PyTorch's torch.optim.SGD without dampening) on copies of w and v.
func refSGD(w, v []float64, g []float32, lr, momentum, wd float64, nesterov bool) {
	for i := range w {
		gi := float64(g[i]) + wd*w[i]
		if momentum != 0 {
			v[i] = momentum*v[i] + gi
			if nesterov {
				gi += momentum * v[i]
			} else {
				gi = v[i]
			}
		}
		w[i] -= lr * gi
	}
}

// refAdam is one Adam/AdamW step (PyTorch's torch.optim.Adam/AdamW).
func refAdam(w, m, v []float64, g []float32, p backend.AdamParams) {
	lr, b1, b2, eps, wd := float64(p.LR), float64(p.Beta1), float64(p.Beta2), float64(p.Eps), float64(p.WeightDecay)
	bc1 := 1 - math.Pow(b1, float64(p.Step))
	bc2 := 1 - math.Pow(b2, float64(p.Step))
	for i := range w {
		gi := float64(g[i])
		if p.Decoupled {
			w[i] *= 1 - lr*wd
		} else {
			gi += wd * w[i]
		}
		m[i] = b1*m[i] + (1-b1)*gi
		v[i] = b2*v[i] + (1-b2)*gi*gi
		w[i] -= lr / bc1 * m[i] / (math.Sqrt(v[i])/math.Sqrt(bc2) + eps)
	}
}

// refConv is the direct definition of a grouped convolution: y [N, OC, OH,
// OW] from x and w [OC, C/groups, KH, KW] plus bias (nil: none), and the
// gradients dx, dw, db that dy [N, OC, OH, OW] sends back, each with the
// magnitude of the terms summed.
type refConvOut struct {
	y, ymag, dx, dxmag, dw, dwmag, db, dbmag []float64
}

func refConv(x, w, bias, dy []float32, g backend.ConvGeom, o backend.ConvGroups) refConvOut {
	cg, ocg := g.C/o.Groups, o.OC/o.Groups
	var r refConvOut
	ny := g.N * o.OC * g.OH * g.OW
	r.y, r.ymag = make([]float64, ny), make([]float64, ny)
	r.dx, r.dxmag = make([]float64, len(x)), make([]float64, len(x))
	r.dw, r.dwmag = make([]float64, len(w)), make([]float64, len(w))
	r.db, r.dbmag = make([]float64, o.OC), make([]float64, o.OC)
	for n := 0; n < g.N; n++ {
		for oc := 0; oc < o.OC; oc++ {
			gi := oc / ocg
			for oh := 0; oh < g.OH; oh++ {
				for ow := 0; ow < g.OW; ow++ {
					yi := ((n*o.OC+oc)*g.OH+oh)*g.OW + ow
					var s, m float64
					if bias != nil {
						s, m = float64(bias[oc]), math.Abs(float64(bias[oc]))
					}
					gy := float64(dy[yi])
					r.db[oc] += gy
					r.dbmag[oc] += math.Abs(gy)
					for c := 0; c < cg; c++ {
						for kh := 0; kh < g.KH; kh++ {
							for kw := 0; kw < g.KW; kw++ {
								ih, iw := oh*g.SH-g.PH+kh*g.DH, ow*g.SW-g.PW+kw*g.DW
								if ih < 0 || ih >= g.H || iw < 0 || iw >= g.W {
									continue
								}
								xi := ((n*g.C+gi*cg+c)*g.H+ih)*g.W + iw
								wi := ((oc*cg+c)*g.KH+kh)*g.KW + kw
								xv, wv := float64(x[xi]), float64(w[wi])
								s += xv * wv
								m += math.Abs(xv * wv)
								r.dx[xi] += gy * wv
								r.dxmag[xi] += math.Abs(gy * wv)
								r.dw[wi] += gy * xv
								r.dwmag[wi] += math.Abs(gy * xv)
							}
						}
					}
					r.y[yi], r.ymag[yi] = s, m
				}
			}
		}
	}
	return r
}
