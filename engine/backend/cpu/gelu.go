package cpu

import "math"

// The exact GELU, x·Φ(x), in float32 arithmetic: Φ from Abramowitz and
// Stegun's erf approximation 7.1.26 (absolute error below 1.5e-7) and a
// Cephes-style exp, instead of float64 math.Erf and math.Exp per value
// (which made GELU and its gradient a fifth of an airbench training step).
// The negative half is computed as a product, not 1 - erf, so Φ keeps its
// relative accuracy in the tail. One exp serves Φ and the density φ.
//
// Every product is rounded before it is added (the float32 conversions),
// so that no build fuses a multiply-add: the AVX2 loops (gelu_amd64.s) do
// the same operations in the same order and give the same bits.

const (
	geluLog2e  = 1.44269504088896341
	geluLn2Hi  = 0.693359375
	geluLn2Lo  = -2.12194440e-4
	invSqrt2   = 0.70710678118654752
	invSqrt2Pi = 0.39894228040143268
)

// expNonPos is e^x for x <= 0 (0 below the smallest normal float32).
func expNonPos(x float32) float32 {
	if x < -87.3 {
		return 0
	}
	k := int32(float32(x*geluLog2e) - 0.5) // rounds to nearest for x <= 0
	kf := float32(k)
	r := float32(x-float32(kf*geluLn2Hi)) - float32(kf*geluLn2Lo)
	p := float32(1.9875691500e-4)
	p = float32(p*r) + 1.3981999507e-3
	p = float32(p*r) + 8.3334519073e-3
	p = float32(p*r) + 4.1665795894e-2
	p = float32(p*r) + 1.6666665459e-1
	p = float32(p*r) + 5.0000001201e-1
	e := float32(float32(p*r)*r) + r + 1
	return e * math.Float32frombits(uint32(k+127)<<23)
}

// normCDFPDF returns Φ(x) and φ(x) of the standard normal.
func normCDFPDF(x float32) (cdf, pdf float32) {
	z := x * invSqrt2
	if z < 0 {
		z = -z
	}
	t := 1 / (1 + float32(0.3275911*z))
	e := expNonPos(-z * z) // e^{-x²/2}
	q := float32(t*1.061405429) - 1.453152027
	q = float32(t*q) + 1.421413741
	q = float32(t*q) - 0.284496736
	q = float32(t*q) + 0.254829592
	poly := t * q
	half := 0.5 * poly * e // Φ(-|x|) = (1 - erf(|x|/√2)) / 2
	if x < 0 {
		cdf = half
	} else {
		cdf = 1 - half
	}
	return cdf, e * invSqrt2Pi
}

func geluFast(x float32) float32 {
	c, _ := normCDFPDF(x)
	return x * c
}

func geluGradFast(x float32) float32 {
	c, p := normCDFPDF(x)
	return c + float32(x*p)
}

// geluSlice and geluGradSlice are the loops of Unary and UnaryGrad for
// GELU: eight values at a time in AVX2 where the CPU has it
// (geluBlocks), the rest one by one.
func geluSlice(y, x []float32) {
	x = x[:len(y)]
	done := geluBlocks(y, x)
	for i := done; i < len(y); i++ {
		y[i] = geluFast(x[i])
	}
}

func geluGradSlice(g, x, dy []float32) {
	x, dy = x[:len(g)], dy[:len(g)]
	done := geluGradBlocks(g, x, dy)
	for i := done; i < len(g); i++ {
		g[i] = dy[i] * geluGradFast(x[i])
	}
}
