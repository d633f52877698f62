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
func shiftedSum(r []float32, k float32) float64 { return bnBlockSums(r, k, false) }

// squaredDev is Σ (r - m)² over r.
func squaredDev(r []float32, m float32) float64 { return bnBlockSums(r, m, true) }

// bnBlockSums is Σ (r - k), or Σ (r - k)² with square, over r: float32
// sums over blocks of bnBlock values (32 running sums each, bnReduce32)
// added in float64.
func bnBlockSums(r []float32, k float32, square bool) float64 {
	if len(r) == 0 {
		return 0
	}
	if bnVec {
		return bnBlockSumsVec(r, k, square)
	}
	var tot float64
	for len(r) > 0 {
		blk := r[:min(len(r), bnBlock)]
		r = r[len(blk):]
		var a [32]float32
		laneSums(&a, blk, k, square)
		tot += float64(bnReduce32(&a))
	}
	return tot
}

// laneSums writes a[l] = Σ (blk[j] - k) (squared with square) over j ≡ l
// mod 32, in increasing j: the block's 32 running sums, computed four sums
// at a time so that each stays in a register.
func laneSums(a *[32]float32, blk []float32, k float32, square bool) {
	n := len(blk)
	if n < 128 {
		// Few values a sum: value by value is quicker.
		for j, v := range blk {
			d := v - k
			if square {
				d = float32(d * d)
			}
			a[j&31] += d
		}
		return
	}
	for l := 0; l < 32; l += 4 {
		var s0, s1, s2, s3 float32
		j := l
		for ; j+3 < n; j += 32 {
			v := blk[j : j+4 : j+4]
			d0, d1, d2, d3 := v[0]-k, v[1]-k, v[2]-k, v[3]-k
			if square {
				d0, d1, d2, d3 = float32(d0*d0), float32(d1*d1), float32(d2*d2), float32(d3*d3)
			}
			s0 += d0
			s1 += d1
			s2 += d2
			s3 += d3
		}
		// Lanes l..l+3 have at most one value left, at j..j+3.
		s := [4]float32{s0, s1, s2, s3}
		for i := range 4 {
			if j+i < n {
				d := blk[j+i] - k
				if square {
					d = float32(d * d)
				}
				s[i] += d
			}
		}
		copy(a[l:l+4], s[:])
	}
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
		var yb []float32
		if y != nil {
			yb = y[lo:hi]
		}
		gradLaneSums(&s, &q, g[lo:hi], yb, x[lo:hi], m)
		sum += float64(bnReduce32(&s))
		sumx += float64(bnReduce32(&q))
	}
	return sum, sumx
}

// gradLaneSums writes the 32 running sums of gradSumsMasked's block g (x
// and, when not nil, y alongside), four sums at a time.
func gradLaneSums(s, q *[32]float32, g, y, x []float32, m float32) {
	n := len(g)
	x = x[:n]
	if y != nil {
		y = y[:n]
	}
	gp := func(j int) float32 {
		if y == nil {
			return g[j]
		}
		return math.Float32frombits(math.Float32bits(g[j]) & positiveBits(math.Float32bits(y[j])))
	}
	if n < 128 {
		for j := range n {
			gv := gp(j)
			s[j&31] += gv
			q[j&31] += float32(gv * (x[j] - m))
		}
		return
	}
	for l := 0; l < 32; l += 4 {
		var s0, s1, s2, s3, q0, q1, q2, q3 float32
		j := l
		for ; j+3 < n; j += 32 {
			g0, g1, g2, g3 := gp(j), gp(j+1), gp(j+2), gp(j+3)
			s0 += g0
			s1 += g1
			s2 += g2
			s3 += g3
			q0 += float32(g0 * (x[j] - m))
			q1 += float32(g1 * (x[j+1] - m))
			q2 += float32(g2 * (x[j+2] - m))
			q3 += float32(g3 * (x[j+3] - m))
		}
		ss, qq := [4]float32{s0, s1, s2, s3}, [4]float32{q0, q1, q2, q3}
		for i := range 4 {
			if j+i < n {
				gv := gp(j + i)
				ss[i] += gv
				qq[i] += float32(gv * (x[j+i] - m))
			}
		}
		copy(s[l:l+4], ss[:])
		copy(q[l:l+4], qq[:])
	}
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
	for ; i+4 <= len(in); i += 4 {
		v, o := in[i:i+4:i+4], out[i:i+4:i+4]
		o[0] = max(float32(v[0]*a)+b, 0)
		o[1] = max(float32(v[1]*a)+b, 0)
		o[2] = max(float32(v[2]*a)+b, 0)
		o[3] = max(float32(v[3]*a)+b, 0)
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
