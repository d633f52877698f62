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

// ChannelAffine implements backend.Backend.
func (*CPU) ChannelAffine(dst, x, scale, shift backend.Buffer, outer, c, inner int) {
	ys, xs, sc, sh := d(dst), d(x), d(scale), d(shift)
	parallel.For(outer*c, inner*2, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			ch := p % c
			a, b := sc[ch], sh[ch]
			affine(ys[p*inner:(p+1)*inner], xs[p*inner:(p+1)*inner], a, b)
		}
	})
}
