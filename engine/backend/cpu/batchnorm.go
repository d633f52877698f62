package cpu

import (
	"math"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// Batch norm's kernels work on whole channels (every image's plane of one
// channel) per goroutine, so that a channel's sums are added in one fixed
// order whatever the number of threads. The sums run in float32 over
// blocks of bnBlock values of a plane (32 running sums, bnvec.go) that
// join a float64 total: no conversion per value, and the rounding of a
// block instead of a channel's.
const bnBlock = 256

// ChannelStats implements backend.Backend: per channel, the mean (of the
// values less the channel's first, so that a large mean beside a small
// spread does not round the spread away) and then the biased variance of
// the deviations from it.
func (*CPU) ChannelStats(mean, variance, x backend.Buffer, outer, c, inner int) {
	ms, vs, xs := d(mean), d(variance), d(x)
	parallel.For(c, outer*inner*2, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			ms[ch], vs[ch] = channelStats(xs, outer, c, inner, ch)
		}
	})
}

// channelStats returns the mean and biased variance of channel ch of xs
// [outer, c, inner].
func channelStats(xs []float32, outer, c, inner, ch int) (mean, variance float32) {
	count := float64(outer * inner)
	if count == 0 {
		return 0, 0
	}
	k := xs[ch*inner]
	var s float64
	if bnVec {
		s = bnChannelSumsVec(xs, outer, c, inner, ch, k, false)
	} else {
		for o := range outer {
			s += shiftedSum(xs[(o*c+ch)*inner:(o*c+ch+1)*inner], k)
		}
	}
	m := float32(float64(k) + s/count)
	var q float64
	if bnVec {
		q = bnChannelSumsVec(xs, outer, c, inner, ch, m, true)
	} else {
		for o := range outer {
			q += squaredDev(xs[(o*c+ch)*inner:(o*c+ch+1)*inner], m)
		}
	}
	return m, float32(q / count)
}

// BatchNormForward implements backend.BatchNormForwarder: a channel's
// statistics, then its output while its planes are still in cache.
func (*CPU) BatchNormForward(dst, mean, variance, invstd, k, x, gamma, beta backend.Buffer, outer, c, inner int, eps float32, relu bool) {
	batchNormForward(dst, mean, variance, invstd, k, x, nil, gamma, beta, outer, c, inner, eps, relu)
}

// BatchNormAddReLUForward implements backend.BatchNormAddReLUer.
func (*CPU) BatchNormAddReLUForward(dst, mean, variance, invstd, k, x, res, gamma, beta backend.Buffer, outer, c, inner int, eps float32) {
	batchNormForward(dst, mean, variance, invstd, k, x, res, gamma, beta, outer, c, inner, eps, true)
}

// batchNormForward is BatchNormForward with, when res is not nil, res
// added before the ReLU (relu must then be set).
func batchNormForward(dst, mean, variance, invstd, k, x, res, gamma, beta backend.Buffer, outer, c, inner int, eps float32, relu bool) {
	ys, xs, ms, vs, is, ks, gs, bs := d(dst), d(x), d(mean), d(variance), d(invstd), d(k), d(gamma), d(beta)
	rs := d(res)
	parallel.For(c, outer*inner*4, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			m, v := channelStats(xs, outer, c, inner, ch)
			inv := float32(1 / math.Sqrt(float64(v)+float64(eps)))
			kc := inv
			if gs != nil {
				kc = gs[ch] * inv
			}
			sh := -m * kc
			if bs != nil {
				sh += bs[ch]
			}
			ms[ch], vs[ch], is[ch], ks[ch] = m, v, inv, kc
			if bnVec {
				mode := 0
				switch {
				case rs != nil:
					mode = 2
				case relu:
					mode = 1
				}
				bnChannelAffineVec(ys, xs, rs, outer, c, inner, ch, kc, sh, mode)
				continue
			}
			for o := range outer {
				p := o*c + ch
				switch {
				case rs != nil:
					affineAddReLU(ys[p*inner:(p+1)*inner], xs[p*inner:(p+1)*inner], rs[p*inner:(p+1)*inner], kc, sh)
				case relu:
					affineReLU(ys[p*inner:(p+1)*inner], xs[p*inner:(p+1)*inner], kc, sh)
				default:
					affine(ys[p*inner:(p+1)*inner], xs[p*inner:(p+1)*inner], kc, sh)
				}
			}
		}
	})
}

// ChannelAffineAddReLU implements backend.BatchNormAddReLUer.
func (*CPU) ChannelAffineAddReLU(dst, x, res, scale, shift backend.Buffer, outer, c, inner int) {
	ys, xs, rs, sc, sh := d(dst), d(x), d(res), d(scale), d(shift)
	parallel.For(outer*c, inner*3, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			ch := p % c
			affineAddReLU(ys[p*inner:(p+1)*inner], xs[p*inner:(p+1)*inner], rs[p*inner:(p+1)*inner], sc[ch], sh[ch])
		}
	})
}

// positiveBits is all ones where the value with bits b is > 0 (b, as an
// int32, positive), else zero: a ReLU's mask without a branch.
func positiveBits(b uint32) uint32 {
	return uint32((-int32(b))>>31) &^ uint32(int32(b)>>31)
}

// BatchNormGrad implements backend.BatchNormGrader: per channel, one pass
// over g (masked by y > 0 inline) and x for both sums and one for dx.
func (*CPU) BatchNormGrad(dx, dgamma, dbeta, g, y, x, mean, invstd, k backend.Buffer, outer, c, inner int, training bool) {
	dxs, dgs, dbs, gs, xs, ys := d(dx), d(dgamma), d(dbeta), d(g), d(x), d(y)
	ms, is, ks := d(mean), d(invstd), d(k)
	count := float64(outer * inner)
	sums := dgs != nil || dbs != nil || (dxs != nil && training)
	parallel.For(c, outer*inner*3, func(lo, hi int) {
		plane := func(s []float32, o, ch int) []float32 {
			if s == nil {
				return nil
			}
			return s[(o*c+ch)*inner : (o*c+ch+1)*inner : (o*c+ch+1)*inner]
		}
		for ch := lo; ch < hi; ch++ {
			mu := ms[ch]
			var sg, sgx float64
			switch {
			case sums && bnVec:
				sg, sgx = bnChannelGradSumsVec(gs, ys, xs, outer, c, inner, ch, mu)
			case sums:
				for o := range outer {
					a, b := gradSumsMasked(plane(gs, o, ch), plane(ys, o, ch), plane(xs, o, ch), mu)
					sg += a
					sgx += b
				}
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
				if bnVec {
					bnChannelGradAffineVec(dxs, gs, ys, nil, outer, c, inner, ch, kc, 0, 0)
					continue
				}
				for o := range outer {
					gradAffineMasked(plane(dxs, o, ch), plane(gs, o, ch), plane(ys, o, ch), nil, kc, 0, 0)
				}
				continue
			}
			// dx = k (g - mean(g) - (x-mu) a), a = mean(g xhat) inv:
			// k g - k a x + k (a mu - mean(g)).
			m1 := sg / count
			a := sgx / count * float64(inv) * float64(inv)
			q := float32(-float64(kc) * a)
			r := float32(float64(kc) * (a*float64(mu) - m1))
			if bnVec {
				bnChannelGradAffineVec(dxs, gs, ys, xs, outer, c, inner, ch, kc, q, r)
				continue
			}
			for o := range outer {
				gradAffineMasked(plane(dxs, o, ch), plane(gs, o, ch), plane(ys, o, ch), plane(xs, o, ch), kc, q, r)
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
			affineReLU(ys[p*inner:(p+1)*inner], xs[p*inner:(p+1)*inner], a, b)
		}
	})
}

// AddReLU implements backend.AddReLUer.
func (*CPU) AddReLU(dst, a, b backend.Buffer) {
	ys, as, bs := d(dst), d(a), d(b)
	parallel.For(len(ys), 1, func(lo, hi int) {
		y, x1, x2 := ys[lo:hi], as[lo:hi], bs[lo:hi]
		x1, x2 = x1[:len(y)], x2[:len(y)]
		for i := addReLUVec(y, x1, x2); i < len(y); i++ {
			y[i] = max(x1[i]+x2[i], 0)
		}
	})
}
