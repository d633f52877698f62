package cpu

import "math"

// Batch norm's inner loops. Each is defined by the Go code below; on amd64
// with AVX2 the same operations run in assembly (bnvec_amd64.s, four to
// eight values a cycle instead of one), with the same bits:
//
//   - a block's sum keeps 32 running float32 sums, value j of the block
//     added into sum j mod 32, joined by bnReduce32;
//   - multiplies and adds are separate roundings (the float32(...)
//     conversions forbid the compiler to fuse them), as the assembly does;
//   - max(v, 0) is Go's: NaN stays NaN, -0 becomes +0.

// bnReduce32 joins a block's 32 running sums: lane by lane s_l = (a_l +
// a_(8+l)) + (a_(16+l) + a_(24+l)), then ((s0+s1)+(s2+s3)) +
// ((s4+s5)+(s6+s7)).
func bnReduce32(a *[32]float32) float32 {
	var s [8]float32
	for l := range s {
		s[l] = (a[l] + a[8+l]) + (a[16+l] + a[24+l])
	}
	return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
}

// shiftedSum is Σ (r - k) over r.
func shiftedSum(r []float32, k float32) float64 {
	if len(r) == 0 {
		return 0
	}
	if bnVec {
		return bnSumVec(r, k)
	}
	var tot float64
	for len(r) > 0 {
		blk := r[:min(len(r), bnBlock)]
		r = r[len(blk):]
		var a [32]float32
		j := 0
		for ; j+32 <= len(blk); j += 32 {
			v := blk[j : j+32 : j+32]
			for l := range a {
				a[l] += v[l] - k
			}
		}
		for l, v := range blk[j:] {
			a[l] += v - k
		}
		tot += float64(bnReduce32(&a))
	}
	return tot
}

// squaredDev is Σ (r - m)² over r.
func squaredDev(r []float32, m float32) float64 {
	if len(r) == 0 {
		return 0
	}
	if bnVec {
		return bnSqDevVec(r, m)
	}
	var tot float64
	for len(r) > 0 {
		blk := r[:min(len(r), bnBlock)]
		r = r[len(blk):]
		var a [32]float32
		j := 0
		for ; j+32 <= len(blk); j += 32 {
			v := blk[j : j+32 : j+32]
			for l := range a {
				dv := v[l] - m
				a[l] += float32(dv * dv)
			}
		}
		for l, v := range blk[j:] {
			dv := v - m
			a[l] += float32(dv * dv)
		}
		tot += float64(bnReduce32(&a))
	}
	return tot
}

// gradSumsMasked returns Σ g and Σ g (x - m) over a plane, g counting only
// where y > 0 (its bits as an int32: positiveBits) when y is not nil.
func gradSumsMasked(g, y, x []float32, m float32) (sum, sumx float64) {
	n := len(g)
	if n == 0 {
		return 0, 0
	}
	if bnVec {
		return bnGradSumsVec(g, y, x[:n], m)
	}
	x = x[:n:n]
	if y != nil {
		y = y[:n:n]
	}
	for lo := 0; lo < n; lo += bnBlock {
		hi := min(lo+bnBlock, n)
		var s, q [32]float32
		for j := lo; j < hi; j++ {
			gv := g[j]
			if y != nil {
				gv = math.Float32frombits(math.Float32bits(gv) & positiveBits(math.Float32bits(y[j])))
			}
			l := (j - lo) % 32
			s[l] += gv
			q[l] += float32(gv * (x[j] - m))
		}
		sum += float64(bnReduce32(&s))
		sumx += float64(bnReduce32(&q))
	}
	return sum, sumx
}

// gradAffineMasked writes dx = p g + (q x + r) (or p g when x is nil), g
// counting only where y > 0 when y is not nil.
func gradAffineMasked(dx, g, y, x []float32, p, q, r float32) {
	n := len(dx)
	g = g[:n:n]
	if y != nil {
		y = y[:n:n]
	}
	if x != nil {
		x = x[:n:n]
	}
	i := 0
	if bnVec {
		i = bnGradAffineVec(dx, g, y, x, p, q, r)
	}
	for ; i < n; i++ {
		gv := g[i]
		if y != nil {
			gv = math.Float32frombits(math.Float32bits(gv) & positiveBits(math.Float32bits(y[i])))
		}
		v := float32(p * gv)
		if x != nil {
			v += float32(q*x[i]) + r
		}
		dx[i] = v
	}
}

// affine writes out = in a + b.
func affine(out, in []float32, a, b float32) {
	out = out[:len(in):len(in)]
	i := 0
	if bnVec {
		i = bnAffineVec(out, in, nil, a, b, 0)
	}
	for ; i < len(in); i++ {
		out[i] = float32(in[i]*a) + b
	}
}

// affineReLU writes out = max(in a + b, 0).
func affineReLU(out, in []float32, a, b float32) {
	out = out[:len(in):len(in)]
	i := 0
	if bnVec {
		i = bnAffineVec(out, in, nil, a, b, 1)
	}
	for ; i < len(in); i++ {
		out[i] = max(float32(in[i]*a)+b, 0)
	}
}

// affineAddReLU writes out = max((in a + b) + res, 0): affine's value,
// then AddReLU's (the same operations in the same order, so the same bits
// as the two ops).
func affineAddReLU(out, in, res []float32, a, b float32) {
	n := len(in)
	out, res = out[:n:n], res[:n:n]
	i := 0
	if bnVec {
		i = bnAffineVec(out, in, res, a, b, 2)
	}
	for ; i < n; i++ {
		out[i] = max((float32(in[i]*a)+b)+res[i], 0)
	}
}
