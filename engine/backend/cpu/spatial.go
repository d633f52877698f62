package cpu

import (
	"math"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// Fast style transfer's non-convolution kernels: reflection padding,
// nearest upsampling and instance normalisation's backward pass, each
// one pass over the planes (split between the threads by plane, so the
// results do not depend on the thread count).

// reflectIndex maps each position of an axis of n padded by before and
// after to the input position it copies.
func reflectIndex(n, before, after int) []int {
	idx := make([]int, before+n+after)
	for i := range idx {
		j := i - before
		if j < 0 {
			j = -j
		} else if j >= n {
			j = 2*(n-1) - j
		}
		idx[i] = j
	}
	return idx
}

// ReflectPad implements backend.ReflectPadder.
func (*CPU) ReflectPad(dst, x backend.Buffer, planes, h, w, top, bottom, left, right int) {
	ys, xs := d(dst), d(x)
	oh, ow := h+top+bottom, w+left+right
	rows, cols := reflectIndex(h, top, bottom), reflectIndex(w, left, right)
	parallel.For(planes, oh*ow, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			in, out := xs[p*h*w:(p+1)*h*w], ys[p*oh*ow:(p+1)*oh*ow]
			for i, r := range rows {
				row, o := in[r*w:(r+1)*w], out[i*ow:(i+1)*ow]
				for j := range left {
					o[j] = row[cols[j]]
				}
				copy(o[left:left+w], row)
				for j := left + w; j < ow; j++ {
					o[j] = row[cols[j]]
				}
			}
		}
	})
}

// ReflectPadGrad implements backend.ReflectPadder. Each input row adds
// the output rows that copy it in output order, so the sums do not depend
// on the threads.
func (*CPU) ReflectPadGrad(dx, g backend.Buffer, planes, h, w, top, bottom, left, right int) {
	ds, gs := d(dx), d(g)
	oh, ow := h+top+bottom, w+left+right
	rows, cols := reflectIndex(h, top, bottom), reflectIndex(w, left, right)
	parallel.For(planes, oh*ow, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			gp, dp := gs[p*oh*ow:(p+1)*oh*ow], ds[p*h*w:(p+1)*h*w]
			clear(dp)
			for i, r := range rows {
				gr, row := gp[i*ow:(i+1)*ow], dp[r*w:(r+1)*w]
				for j := range left {
					row[cols[j]] += gr[j]
				}
				mid := gr[left : left+w]
				for j, v := range mid {
					row[j] += v
				}
				for j := left + w; j < ow; j++ {
					row[cols[j]] += gr[j]
				}
			}
		}
	})
}

// UpsampleNearest implements backend.NearestUpsampler.
func (*CPU) UpsampleNearest(dst, x backend.Buffer, planes, h, w, s int) {
	ys, xs := d(dst), d(x)
	ow := w * s
	parallel.For(planes*h, ow*s, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			in := xs[p*w : (p+1)*w]
			first := ys[p*s*ow : (p*s+1)*ow]
			if s == 2 {
				for j, v := range in {
					first[2*j], first[2*j+1] = v, v
				}
			} else {
				for j, v := range in {
					for k := range s {
						first[j*s+k] = v
					}
				}
			}
			for r := 1; r < s; r++ {
				copy(ys[(p*s+r)*ow:(p*s+r+1)*ow], first)
			}
		}
	})
}

// UpsampleNearestGrad implements backend.NearestUpsampler.
func (*CPU) UpsampleNearestGrad(dx, g backend.Buffer, planes, h, w, s int) {
	ds, gs := d(dx), d(g)
	ow := w * s
	parallel.For(planes*h, ow*s, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			row := ds[p*w : (p+1)*w]
			clear(row)
			for r := range s {
				gr := gs[(p*s+r)*ow : (p*s+r+1)*ow]
				for j := range row {
					var acc float32
					for k := range s {
						acc += gr[j*s+k]
					}
					row[j] += acc
				}
			}
		}
	})
}

// InstanceNorm implements backend.InstanceNormGrader: per plane, the
// mean and the variance (float64, four independent sums each, as
// ChannelStats) and then the output, the plane still in cache.
func (*CPU) InstanceNorm(dst, mean, rstd, x, gamma, beta backend.Buffer, planes, hw int, eps float32, relu bool) {
	ys, ms, rs, xs, gs, bs := d(dst), d(mean), d(rstd), d(x), d(gamma), d(beta)
	parallel.For(planes, hw*4, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			r := xs[p*hw : (p+1)*hw]
			var s0, s1, s2, s3 float64
			i := 0
			for ; i+4 <= hw; i += 4 {
				s0 += float64(r[i])
				s1 += float64(r[i+1])
				s2 += float64(r[i+2])
				s3 += float64(r[i+3])
			}
			for ; i < hw; i++ {
				s0 += float64(r[i])
			}
			mu := ((s0 + s1) + (s2 + s3)) / float64(hw)
			var q0, q1, q2, q3 float64
			i = 0
			for ; i+4 <= hw; i += 4 {
				d0, d1, d2, d3 := float64(r[i])-mu, float64(r[i+1])-mu, float64(r[i+2])-mu, float64(r[i+3])-mu
				q0 += d0 * d0
				q1 += d1 * d1
				q2 += d2 * d2
				q3 += d3 * d3
			}
			for ; i < hw; i++ {
				dv := float64(r[i]) - mu
				q0 += dv * dv
			}
			m32, v32 := float32(mu), float32(((q0+q1)+(q2+q3))/float64(hw))
			rstd := float32(1 / math.Sqrt(float64(v32)+float64(eps)))
			ms[p], rs[p] = m32, rstd
			a := gs[p] * rstd
			b := bs[p] - m32*a
			out := ys[p*hw : (p+1)*hw]
			if relu {
				for i, v := range r {
					out[i] = max(v*a+b, 0)
				}
			} else {
				for i, v := range r {
					out[i] = v*a + b
				}
			}
		}
	})
}

// InstanceNormGrad implements backend.InstanceNormGrader: per plane, one
// pass for Σg and Σg·(x − mean) (float64, four independent sums) and one
// for dx = a·g + k·(x − mean) + c with k and c folded from the sums. With
// y, g is read as zero where y <= 0 (the fused ReLU).
func (*CPU) InstanceNormGrad(dx, sumG, sumGX, g, y, x, mean, rstd, a backend.Buffer, planes, hw int) {
	dxs, sg, sgx, gs, ys, xs, mu, rs, as := d(dx), d(sumG), d(sumGX), d(g), d(y), d(x), d(mean), d(rstd), d(a)
	parallel.For(planes, hw*5, func(lo, hi int) {
		var masked []float32
		for p := lo; p < hi; p++ {
			gp, xp := gs[p*hw:(p+1)*hw], xs[p*hw:(p+1)*hw]
			if ys != nil {
				// The ReLU's gradient, in the output buffer when there is
				// one (it is overwritten below), else in scratch.
				if dxs != nil {
					masked = dxs[p*hw : (p+1)*hw]
				} else if masked == nil {
					masked = make([]float32, hw)
				}
				for i, v := range ys[p*hw : (p+1)*hw] {
					if v > 0 {
						masked[i] = gp[i]
					} else {
						masked[i] = 0
					}
				}
				gp = masked
			}
			m := mu[p]
			var s0, s1, s2, s3, q0, q1, q2, q3 float64
			i := 0
			for ; i+4 <= hw; i += 4 {
				g0, g1, g2, g3 := float64(gp[i]), float64(gp[i+1]), float64(gp[i+2]), float64(gp[i+3])
				s0 += g0
				s1 += g1
				s2 += g2
				s3 += g3
				q0 += g0 * float64(xp[i]-m)
				q1 += g1 * float64(xp[i+1]-m)
				q2 += g2 * float64(xp[i+2]-m)
				q3 += g3 * float64(xp[i+3]-m)
			}
			for ; i < hw; i++ {
				s0 += float64(gp[i])
				q0 += float64(gp[i]) * float64(xp[i]-m)
			}
			sum, sumx := (s0+s1)+(s2+s3), ((q0+q1)+(q2+q3))*float64(rs[p])
			sg[p], sgx[p] = float32(sum), float32(sumx)
			if dxs == nil {
				continue
			}
			// dx = a·(g − Σg/hw − x̂·Σg·x̂/hw) with x̂ = (x − m)·rstd.
			av := float64(as[p])
			k := -av * sumx / float64(hw) * float64(rs[p])
			c := -av * sum / float64(hw)
			a32, k32, c32 := float32(av), float32(k), float32(c)
			out := dxs[p*hw : (p+1)*hw]
			for i, gv := range gp {
				out[i] = a32*gv + k32*(xp[i]-m) + c32
			}
		}
	})
}
