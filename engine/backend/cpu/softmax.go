package cpu

import (
	"math"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// logSumExp returns the row's maximum and log(sum(exp(x - max))).
func logSumExp(row []float32) (float32, float64) {
	m := row[0]
	for _, v := range row[1:] {
		m = max(m, v)
	}
	var s float64
	for _, v := range row {
		s += math.Exp(float64(v - m))
	}
	return m, math.Log(s)
}

// Softmax implements backend.Backend.
func (*CPU) Softmax(dst, x backend.Buffer, rows, cols int, log bool) {
	ys, xs := d(dst), d(x)
	parallel.For(rows, cols*20, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			in, out := xs[r*cols:(r+1)*cols], ys[r*cols:(r+1)*cols]
			m, lse := logSumExp(in)
			for i, v := range in {
				l := float64(v-m) - lse
				if log {
					out[i] = float32(l)
				} else {
					out[i] = float32(math.Exp(l))
				}
			}
		}
	})
}

// SoftmaxGrad implements backend.Backend.
func (*CPU) SoftmaxGrad(dx, y, dy backend.Buffer, rows, cols int, log bool) {
	gx, ys, gy := d(dx), d(y), d(dy)
	parallel.For(rows, cols*4, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			yr, gyr, gxr := ys[r*cols:(r+1)*cols], gy[r*cols:(r+1)*cols], gx[r*cols:(r+1)*cols]
			var s float64
			if log {
				for _, v := range gyr {
					s += float64(v)
				}
				for i := range gxr {
					gxr[i] = gyr[i] - float32(math.Exp(float64(yr[i])))*float32(s)
				}
				continue
			}
			for i, v := range gyr {
				s += float64(v * yr[i])
			}
			for i := range gxr {
				gxr[i] = yr[i] * (gyr[i] - float32(s))
			}
		}
	})
}

// SoftmaxXent implements backend.Backend.
func (*CPU) SoftmaxXent(loss, grad, logits, target backend.Buffer, rows, cols int, scale float32) {
	ls, gs, xs, ts := d(loss), d(grad), d(logits), d(target)
	parallel.For(rows, cols*20, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			in, t, g := xs[r*cols:(r+1)*cols], ts[r*cols:(r+1)*cols], gs[r*cols:(r+1)*cols]
			m, lse := logSumExp(in)
			var l, tsum float64
			for i, v := range in {
				lp := float64(v-m) - lse
				l -= float64(t[i]) * lp
				tsum += float64(t[i])
			}
			ls[r] = float32(l)
			for i, v := range in {
				p := math.Exp(float64(v-m) - lse)
				g[i] = float32((p*tsum - float64(t[i])) * float64(scale))
			}
		}
	})
}

// ChannelStats implements backend.Backend (float64 accumulation, four
// independent sums per pass so that the additions overlap).
func (*CPU) ChannelStats(mean, variance, x backend.Buffer, outer, c, inner int) {
	ms, vs, xs := d(mean), d(variance), d(x)
	count := float64(outer * inner)
	parallel.For(c, outer*inner*3, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var s0, s1, s2, s3 float64
			for o := 0; o < outer; o++ {
				r := xs[(o*c+ch)*inner : (o*c+ch+1)*inner]
				i := 0
				for ; i+4 <= len(r); i += 4 {
					s0 += float64(r[i])
					s1 += float64(r[i+1])
					s2 += float64(r[i+2])
					s3 += float64(r[i+3])
				}
				for ; i < len(r); i++ {
					s0 += float64(r[i])
				}
			}
			mu := ((s0 + s1) + (s2 + s3)) / count
			var q0, q1, q2, q3 float64
			for o := 0; o < outer; o++ {
				r := xs[(o*c+ch)*inner : (o*c+ch+1)*inner]
				i := 0
				for ; i+4 <= len(r); i += 4 {
					d0, d1, d2, d3 := float64(r[i])-mu, float64(r[i+1])-mu, float64(r[i+2])-mu, float64(r[i+3])-mu
					q0 += d0 * d0
					q1 += d1 * d1
					q2 += d2 * d2
					q3 += d3 * d3
				}
				for ; i < len(r); i++ {
					dv := float64(r[i]) - mu
					q0 += dv * dv
				}
			}
			ms[ch], vs[ch] = float32(mu), float32(((q0+q1)+(q2+q3))/count)
		}
	})
}

// ChannelAffine implements backend.Backend.
func (*CPU) ChannelAffine(dst, x, scale, shift backend.Buffer, outer, c, inner int) {
	ys, xs, sc, sh := d(dst), d(x), d(scale), d(shift)
	parallel.For(outer*c, inner*2, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			ch := p % c
			a, b := sc[ch], sh[ch]
			in, out := xs[p*inner:(p+1)*inner], ys[p*inner:(p+1)*inner]
			for i, v := range in {
				out[i] = v*a + b
			}
		}
	})
}
