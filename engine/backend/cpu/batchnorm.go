package cpu

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// BatchNormGrad implements backend.BatchNormGrader: one pass over g and x
// per channel for both sums (float64, four accumulators) and one for dx,
// where the generic path of autograd makes eight.
func (*CPU) BatchNormGrad(dx, dgamma, dbeta, g, y, x, mean, invstd, k backend.Buffer, outer, c, inner int, training bool) {
	dxs, dgs, dbs, gs, xs, ys := d(dx), d(dgamma), d(dbeta), d(g), d(x), d(y)
	ms, is, ks := d(mean), d(invstd), d(k)
	count := float64(outer * inner)
	sums := dgs != nil || dbs != nil || (dxs != nil && training)
	parallel.For(c, outer*inner*4, func(lo, hi int) {
		var gm []float32 // g masked by y > 0
		if ys != nil {
			gm = make([]float32, inner)
		}
		// row returns channel ch's gradient in image o.
		row := func(o, ch int) []float32 {
			gr := gs[(o*c+ch)*inner : (o*c+ch+1)*inner]
			if ys == nil {
				return gr
			}
			reluGrad(gm, ys[(o*c+ch)*inner:(o*c+ch+1)*inner], gr)
			return gm
		}
		for ch := lo; ch < hi; ch++ {
			mu := ms[ch]
			var sg, sgx float64
			if sums {
				var a0, a1, a2, a3, b0, b1, b2, b3 float64
				for o := range outer {
					gr := row(o, ch)
					xr := xs[(o*c+ch)*inner : (o*c+ch+1)*inner]
					xr = xr[:len(gr)]
					i := 0
					for ; i+4 <= len(gr); i += 4 {
						g0, g1, g2, g3 := float64(gr[i]), float64(gr[i+1]), float64(gr[i+2]), float64(gr[i+3])
						a0 += g0
						a1 += g1
						a2 += g2
						a3 += g3
						b0 += g0 * float64(xr[i]-mu)
						b1 += g1 * float64(xr[i+1]-mu)
						b2 += g2 * float64(xr[i+2]-mu)
						b3 += g3 * float64(xr[i+3]-mu)
					}
					for ; i < len(gr); i++ {
						a0 += float64(gr[i])
						b0 += float64(gr[i]) * float64(xr[i]-mu)
					}
				}
				sg, sgx = (a0+a1)+(a2+a3), (b0+b1)+(b2+b3)
			}
			inv := is[ch]
			if dbs != nil {
				dbs[ch] = float32(sg)
			}
			if dgs != nil {
				dgs[ch] = float32(sgx * float64(inv))
			}
			if dxs == nil {
				continue
			}
			kc := ks[ch]
			if !training {
				for o := range outer {
					gr := row(o, ch)
					dr := dxs[(o*c+ch)*inner : (o*c+ch+1)*inner]
					dr = dr[:len(gr)]
					for i, v := range gr {
						dr[i] = kc * v
					}
				}
				continue
			}
			// dx = k (g - mean(g) - xhat mean(g xhat)), xhat = (x-mu) inv.
			m1 := float32(sg / count)
			a := float32(sgx/count) * inv * inv
			for o := range outer {
				gr := row(o, ch)
				xr := xs[(o*c+ch)*inner : (o*c+ch+1)*inner]
				dr := dxs[(o*c+ch)*inner : (o*c+ch+1)*inner]
				xr, dr = xr[:len(gr)], dr[:len(gr)]
				for i, v := range gr {
					dr[i] = kc * (v - m1 - (xr[i]-mu)*a)
				}
			}
		}
	})
}

// ChannelAffineReLU implements backend.BatchNormGrader.
func (*CPU) ChannelAffineReLU(dst, x, scale, shift backend.Buffer, outer, c, inner int) {
	ys, xs, sc, sh := d(dst), d(x), d(scale), d(shift)
	parallel.For(outer*c, inner*2, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			ch := p % c
			a, b := sc[ch], sh[ch]
			in, out := xs[p*inner:(p+1)*inner], ys[p*inner:(p+1)*inner]
			out = out[:len(in)]
			for i, v := range in {
				out[i] = max(v*a+b, 0)
			}
		}
	})
}

// AddReLU implements backend.AddReLUer.
func (*CPU) AddReLU(dst, a, b backend.Buffer) {
	ys, as, bs := d(dst), d(a), d(b)
	parallel.For(len(ys), 1, func(lo, hi int) {
		y, x1, x2 := ys[lo:hi], as[lo:hi], bs[lo:hi]
		x1, x2 = x1[:len(y)], x2[:len(y)]
		for i := range y {
			y[i] = max(x1[i]+x2[i], 0)
		}
	})
}
