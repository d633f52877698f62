package cpu

import (
	"math"
	"testing"
)

// TestGELUFastMatchesErf compares the float32 GELU and its derivative with
// float64 math.Erf/math.Exp over [-12, 12] and the tails.
func TestGELUFastMatchesErf(t *testing.T) {
	worstY, worstG := 0.0, 0.0
	check := func(x float32) {
		xf := float64(x)
		cdf := 0.5 * math.Erfc(-xf/math.Sqrt2)
		wantY := xf * cdf
		wantG := cdf + xf*math.Exp(-0.5*xf*xf)/math.Sqrt(2*math.Pi)
		ey := math.Abs(float64(geluFast(x)) - wantY)
		eg := math.Abs(float64(geluGradFast(x)) - wantG)
		// A tenth of the PyTorch parity tolerances (atol 1e-5, rtol 1e-4):
		// erf's absolute error is 1.5e-7, so the far negative tail, where
		// GELU is below 1e-4, has a larger relative error, as PyTorch's
		// own vectorised erf does.
		if ey > 1e-6+1e-5*math.Abs(wantY) {
			t.Fatalf("gelu(%g) = %g, want %g", x, geluFast(x), wantY)
		}
		if eg > 1e-6+1e-5*math.Abs(wantG) {
			t.Fatalf("gelu'(%g) = %g, want %g", x, geluGradFast(x), wantG)
		}
		worstY, worstG = max(worstY, ey), max(worstG, eg)
	}
	for i := -120000; i <= 120000; i++ {
		check(float32(i) / 10000)
	}
	for _, x := range []float32{-100, -40, -14, -13.2, 13.2, 40, 100, 1e-8, -1e-8, 0} {
		check(x)
	}
	t.Logf("largest absolute errors: gelu %.2g, gradient %.2g", worstY, worstG)
}

func TestExpNonPos(t *testing.T) {
	for i := 0; i <= 90000; i++ {
		x := -float32(i) / 1000
		want := math.Exp(float64(x))
		if x < -87.3 {
			continue // expNonPos flushes to 0 near the smallest normal float32
		}
		if got := float64(expNonPos(x)); math.Abs(got-want) > 3e-7*want {
			t.Fatalf("exp(%g) = %g, want %g", x, got, want)
		}
	}
}
