package blas

import "math"

// genericKernel is the portable micro-kernel: 4 x 4 accumulators held in
// local variables. It computes exactly what the FMA assembly kernels
// compute (each product added with one rounding, see fma32), so the
// pure-Go build has the same bits on every machine; that costs it about
// half its speed against separate multiplies and adds.
var genericKernel = &kernel{name: "generic", mr: 4, nr: 4, mc: 128, kc: kcAll, nc: 2048, fn: kern4x4}

func kern4x4(kc int, a, b, c []float32, ldc, _, _ int) {
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	var c20, c21, c22, c23 float32
	var c30, c31, c32, c33 float32
	a = a[:4*kc]
	b = b[:4*kc]
	for len(a) >= 4 && len(b) >= 4 {
		a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		// fma32, written out: the call is too large to inline.
		var s float64
		s = float64(a0)*float64(b0) + float64(c00)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c00 = float32(s)
		} else {
			c00 = fma32Slow(a0, b0, c00)
		}
		s = float64(a0)*float64(b1) + float64(c01)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c01 = float32(s)
		} else {
			c01 = fma32Slow(a0, b1, c01)
		}
		s = float64(a0)*float64(b2) + float64(c02)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c02 = float32(s)
		} else {
			c02 = fma32Slow(a0, b2, c02)
		}
		s = float64(a0)*float64(b3) + float64(c03)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c03 = float32(s)
		} else {
			c03 = fma32Slow(a0, b3, c03)
		}
		s = float64(a1)*float64(b0) + float64(c10)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c10 = float32(s)
		} else {
			c10 = fma32Slow(a1, b0, c10)
		}
		s = float64(a1)*float64(b1) + float64(c11)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c11 = float32(s)
		} else {
			c11 = fma32Slow(a1, b1, c11)
		}
		s = float64(a1)*float64(b2) + float64(c12)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c12 = float32(s)
		} else {
			c12 = fma32Slow(a1, b2, c12)
		}
		s = float64(a1)*float64(b3) + float64(c13)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c13 = float32(s)
		} else {
			c13 = fma32Slow(a1, b3, c13)
		}
		s = float64(a2)*float64(b0) + float64(c20)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c20 = float32(s)
		} else {
			c20 = fma32Slow(a2, b0, c20)
		}
		s = float64(a2)*float64(b1) + float64(c21)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c21 = float32(s)
		} else {
			c21 = fma32Slow(a2, b1, c21)
		}
		s = float64(a2)*float64(b2) + float64(c22)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c22 = float32(s)
		} else {
			c22 = fma32Slow(a2, b2, c22)
		}
		s = float64(a2)*float64(b3) + float64(c23)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c23 = float32(s)
		} else {
			c23 = fma32Slow(a2, b3, c23)
		}
		s = float64(a3)*float64(b0) + float64(c30)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c30 = float32(s)
		} else {
			c30 = fma32Slow(a3, b0, c30)
		}
		s = float64(a3)*float64(b1) + float64(c31)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c31 = float32(s)
		} else {
			c31 = fma32Slow(a3, b1, c31)
		}
		s = float64(a3)*float64(b2) + float64(c32)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c32 = float32(s)
		} else {
			c32 = fma32Slow(a3, b2, c32)
		}
		s = float64(a3)*float64(b3) + float64(c33)
		if math.Float64bits(s)&(1<<28-1) != 0 {
			c33 = float32(s)
		} else {
			c33 = fma32Slow(a3, b3, c33)
		}
		a = a[4:]
		b = b[4:]
	}

	r0 := c[:4]
	r0[0] += c00
	r0[1] += c01
	r0[2] += c02
	r0[3] += c03
	r1 := c[ldc : ldc+4]
	r1[0] += c10
	r1[1] += c11
	r1[2] += c12
	r1[3] += c13
	r2 := c[2*ldc : 2*ldc+4]
	r2[0] += c20
	r2[1] += c21
	r2[2] += c22
	r2[3] += c23
	r3 := c[3*ldc : 3*ldc+4]
	r3[0] += c30
	r3[1] += c31
	r3[2] += c32
	r3[3] += c33
}

// fma32 returns x*y + z rounded once to float32, as the VFMADD
// instructions do. The product of two float32s is exact in float64, so
// s = x*y + z rounds once, to 53 bits (fused or not); rounding s to
// float32 then errs only where s lands exactly halfway between two
// float32s while x*y + z does not. Halfway points, on float32's normal
// and subnormal grid alike, have the low 28 bits of s's fraction clear,
// and so do exact results: those few take fma32Slow.
func fma32(x, y, z float32) float32 {
	s := float64(x)*float64(y) + float64(z)
	if math.Float64bits(s)&(1<<28-1) == 0 {
		return fma32Slow(x, y, z)
	}
	return float32(s)
}

// fma32Slow is fma32 for the values of s that may be halfway: the exact
// remainder of the sum (Knuth's TwoSum) says which side of s the exact
// x*y + z lies on.
func fma32Slow(x, y, z float32) float32 {
	p, zz := float64(x)*float64(y), float64(z)
	s := p + zz
	r := float32(s)
	if math.IsInf(s, 0) || math.IsNaN(s) || float64(r) == s {
		return r
	}
	bb := s - p
	e := (p - (s - bb)) + (zz - bb) // x*y + z = s + e exactly
	if e == 0 {
		return r
	}
	// The other float32 on the far side of s from r.
	var o float32
	if float64(r) < s {
		o = math.Nextafter32(r, float32(math.Inf(1)))
	} else {
		o = math.Nextafter32(r, float32(math.Inf(-1)))
	}
	if (float64(r)+float64(o))/2 != s {
		return r // not a tie: float32(s) was right
	}
	// A tie in s but not in x*y + z: round toward where e points.
	if (e > 0) == (float64(o) > float64(r)) {
		return o
	}
	return r
}
