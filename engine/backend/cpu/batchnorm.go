package cpu

import (
	"math"
	"unsafe"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// Batch norm's kernels work on whole channels (every image's plane of one
// channel) per goroutine, so that a channel's sums are added in one fixed
// order whatever the number of threads. The sums run in float32 over
// blocks of bnBlock values of a plane (eight running sums) that join a
// float64 total: no conversion per value, and the rounding of a block
// instead of a channel's. Slices are cut to their exact length first so
// that the loops carry no bounds checks.
const bnBlock = 256

// shiftedSum is Σ (r - k) over r.
func shiftedSum(r []float32, k float32) float64 {
	var tot float64
	for len(r) > 0 {
		blk := r[:min(len(r), bnBlock)]
		r = r[len(blk):]
		var a0, a1, a2, a3, a4, a5, a6, a7 float32
		j := 0
		for ; j+8 <= len(blk); j += 8 {
			v := blk[j : j+8 : j+8]
			a0 += v[0] - k
			a1 += v[1] - k
			a2 += v[2] - k
			a3 += v[3] - k
			a4 += v[4] - k
			a5 += v[5] - k
			a6 += v[6] - k
			a7 += v[7] - k
		}
		for ; j < len(blk); j++ {
			a0 += blk[j] - k
		}
		tot += float64(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)))
	}
	return tot
}

// squaredDev is Σ (r - m)² over r.
func squaredDev(r []float32, m float32) float64 {
	var tot float64
	for len(r) > 0 {
		blk := r[:min(len(r), bnBlock)]
		r = r[len(blk):]
		var a0, a1, a2, a3, a4, a5, a6, a7 float32
		j := 0
		for ; j+8 <= len(blk); j += 8 {
			v := blk[j : j+8 : j+8]
			d0, d1, d2, d3 := v[0]-m, v[1]-m, v[2]-m, v[3]-m
			d4, d5, d6, d7 := v[4]-m, v[5]-m, v[6]-m, v[7]-m
			a0 += d0 * d0
			a1 += d1 * d1
			a2 += d2 * d2
			a3 += d3 * d3
			a4 += d4 * d4
			a5 += d5 * d5
			a6 += d6 * d6
			a7 += d7 * d7
		}
		for ; j < len(blk); j++ {
			dv := blk[j] - m
			a0 += dv * dv
		}
		tot += float64(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)))
	}
	return tot
}

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
	for o := range outer {
		s += shiftedSum(xs[(o*c+ch)*inner:(o*c+ch+1)*inner], k)
	}
	m := float32(float64(k) + s/count)
	var q float64
	for o := range outer {
		q += squaredDev(xs[(o*c+ch)*inner:(o*c+ch+1)*inner], m)
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

// affineAddReLU writes out = max((in a + b) + res, 0): affine's value,
// then AddReLU's (the same operations in the same order, so the same bits
// as the two ops).
func affineAddReLU(out, in, res []float32, a, b float32) {
	n := len(in)
	out, res = out[:n:n], res[:n:n]
	for i, v := range in {
		y := v*a + b
		out[i] = max(y+res[i], 0)
	}
}

// bitsOf views s's values as their bits.
func bitsOf(s []float32) []uint32 {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*uint32)(unsafe.Pointer(&s[0])), len(s))
}

// positiveBits is all ones where the value with bits b is > 0 (b, as an
// int32, positive), else zero: a ReLU's mask without a branch.
func positiveBits(b uint32) uint32 {
	return uint32((-int32(b))>>31) &^ uint32(int32(b)>>31)
}

// gradSumsMasked returns Σ g and Σ g (x - m) over a plane, g counting only
// where y > 0 when y is not nil.
func gradSumsMasked(g, y, x []float32, m float32) (sum, sumx float64) {
	n := len(g)
	x = x[:n:n]
	masked := y != nil
	if masked {
		y = y[:n:n]
	}
	for lo := 0; lo < n; lo += bnBlock {
		hi := min(lo+bnBlock, n)
		gb, xb := g[lo:hi:hi], x[lo:hi:hi]
		var s0, s1, s2, s3, q0, q1, q2, q3 float32
		j := 0
		if masked {
			// g and y read as bits (uint32 views): the mask is integer
			// work, and the values reach the float registers once.
			gu, yu := bitsOf(gb), bitsOf(y[lo:hi:hi])
			yu = yu[:len(gu):len(gu)]
			for ; j+4 <= len(gu); j += 4 {
				gv, xv, yv := gu[j:j+4:j+4], xb[j:j+4:j+4], yu[j:j+4:j+4]
				g0 := math.Float32frombits(gv[0] & positiveBits(yv[0]))
				g1 := math.Float32frombits(gv[1] & positiveBits(yv[1]))
				g2 := math.Float32frombits(gv[2] & positiveBits(yv[2]))
				g3 := math.Float32frombits(gv[3] & positiveBits(yv[3]))
				s0 += g0
				s1 += g1
				s2 += g2
				s3 += g3
				q0 += g0 * (xv[0] - m)
				q1 += g1 * (xv[1] - m)
				q2 += g2 * (xv[2] - m)
				q3 += g3 * (xv[3] - m)
			}
			for ; j < len(gu); j++ {
				gv := math.Float32frombits(gu[j] & positiveBits(yu[j]))
				s0 += gv
				q0 += gv * (xb[j] - m)
			}
		} else {
			for ; j+4 <= len(gb); j += 4 {
				gv, xv := gb[j:j+4:j+4], xb[j:j+4:j+4]
				s0 += gv[0]
				s1 += gv[1]
				s2 += gv[2]
				s3 += gv[3]
				q0 += gv[0] * (xv[0] - m)
				q1 += gv[1] * (xv[1] - m)
				q2 += gv[2] * (xv[2] - m)
				q3 += gv[3] * (xv[3] - m)
			}
			for ; j < len(gb); j++ {
				s0 += gb[j]
				q0 += gb[j] * (xb[j] - m)
			}
		}
		sum += float64((s0 + s1) + (s2 + s3))
		sumx += float64((q0 + q1) + (q2 + q3))
	}
	return sum, sumx
}

// gradAffineMasked writes dx = p g + q x + r, g counting only where y > 0
// when y is not nil.
func gradAffineMasked(dx, g, y, x []float32, p, q, r float32) {
	n := len(dx)
	g = g[:n:n]
	if x == nil {
		if y == nil {
			for i, v := range g {
				dx[i] = p * v
			}
			return
		}
		gu, yu := bitsOf(g), bitsOf(y[:n:n])
		yu = yu[:len(gu):len(gu)]
		for i, v := range gu {
			dx[i] = p * math.Float32frombits(v&positiveBits(yu[i]))
		}
		return
	}
	x = x[:n:n]
	if y == nil {
		for i, v := range g {
			dx[i] = p*v + (q*x[i] + r)
		}
		return
	}
	gu, yu := bitsOf(g), bitsOf(y[:n:n])
	yu = yu[:len(gu):len(gu)]
	x = x[:len(gu):len(gu)]
	dx = dx[:len(gu):len(gu)]
	for i, v := range gu {
		dx[i] = p*math.Float32frombits(v&positiveBits(yu[i])) + (q*x[i] + r)
	}
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
			if sums {
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

// affineReLU writes out = max(in a + b, 0) (a leaf function: inside the
// closure the loop's index lived on the stack).
func affineReLU(out, in []float32, a, b float32) {
	n := len(in)
	out = out[:n:n]
	i := 0
	for ; i+4 <= n; i += 4 {
		v, o := in[i:i+4:i+4], out[i:i+4:i+4]
		o[0] = max(v[0]*a+b, 0)
		o[1] = max(v[1]*a+b, 0)
		o[2] = max(v[2]*a+b, 0)
		o[3] = max(v[3]*a+b, 0)
	}
	for ; i < n; i++ {
		out[i] = max(in[i]*a+b, 0)
	}
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
