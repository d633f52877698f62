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

// ReflectPad implements backend.ReflectPadder.
func (*CPU) ReflectPad(dst, x backend.Buffer, planes, h, w, top, bottom, left, right int) {
	ys, xs := d(dst), d(x)
	oh, ow := h+top+bottom, w+left+right
	rows, cols := backend.ReflectIndex(h, top, bottom), backend.ReflectIndex(w, left, right)
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
	rows, cols := backend.ReflectIndex(h, top, bottom), backend.ReflectIndex(w, left, right)
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
// mean and the variance (planeStats) and then the output, the plane still
// in cache.
func (*CPU) InstanceNorm(dst, mean, rstd, x, gamma, beta backend.Buffer, planes, hw int, eps float32, relu bool) {
	ys, ms, rs, xs, gs, bs := d(dst), d(mean), d(rstd), d(x), d(gamma), d(beta)
	parallel.For(planes, hw*4, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			r := xs[p*hw : (p+1)*hw]
			m32, v32 := planeStats(r)
			rstd := float32(1 / math.Sqrt(float64(v32)+float64(eps)))
			ms[p], rs[p] = m32, rstd
			a := gs[p] * rstd
			b := bs[p] - m32*a
			out := ys[p*hw : (p+1)*hw]
			if relu {
				affineReLU(out, r, a, b)
			} else {
				affine(out, r, a, b)
			}
		}
	})
}

// InstanceNormGrad implements backend.InstanceNormGrader: per plane, one
// pass for Σg and Σg·(x − mean) (gradSums) and one
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
				reluMask(masked, gp, ys[p*hw:(p+1)*hw])
				gp = masked
			}
			m := mu[p]
			sum, sumx := gradSums(gp, xp, m)
			sumx *= float64(rs[p])
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

// planeStats returns the mean and the biased variance of r, two passes
// (the variance of the deviations from the mean, not E[x²] − mean²): batch
// norm's channelStats over one plane, the same sums (bnvec.go).
func planeStats(r []float32) (mean, variance float32) {
	return channelStats(r, 1, 1, len(r), 0)
}

// gradSums returns Σg and Σg·(x − m) over a plane: batch norm's sums.
func gradSums(g, x []float32, m float32) (sum, sumx float64) {
	return gradSumsMasked(g, nil, x, m)
}

// reluMask writes dst = g where y > 0, else 0, without a branch (a ReLU's
// signs are as good as random to a branch predictor): y > 0 when its bits
// as an int32 are positive.
func reluMask(dst, g, y []float32) {
	g, y = g[:len(dst)], y[:len(dst)]
	for i := reluMaskVec(dst, g, y); i < len(dst); i++ {
		dst[i] = math.Float32frombits(math.Float32bits(g[i]) & positiveBits(math.Float32bits(y[i])))
	}
}
