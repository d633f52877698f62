package cpu

import (
	"math"
	"math/rand/v2"
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

// TestGELUVectorMatchesScalar: the AVX2 loops give the scalar code's bits
// for every value (random, both tails, the exp cut-off near |x| = 13.2,
// zeros, subnormals, infinities; NaN stays NaN) and every length, tails
// included.
func TestGELUVectorMatchesScalar(t *testing.T) {
	if !hasGeluAVX2 {
		t.Skip("no AVX2 on this CPU (or a purego build): only the scalar loop runs")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	var xs []float32
	for range 20000 {
		xs = append(xs, float32(rng.NormFloat64()*3))
	}
	for _, v := range []float64{0, 1e-30, 1e-42, 0.5, 1, 2, 5.5, 8, 13.1, 13.2, 13.21, 13.3, 14, 20, 100, 1e30, math.Inf(1)} {
		xs = append(xs, float32(v), float32(-v))
	}
	xs = append(xs, float32(math.NaN()), float32(math.Copysign(0, -1)))
	for b := -1400; b < 1400; b++ { // a dense sweep over [-14, 14)
		xs = append(xs, float32(b)/100)
	}
	dy := make([]float32, len(xs))
	for i := range dy {
		dy[i] = float32(rng.NormFloat64())
	}
	same := func(a, b float32) bool {
		return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
	}
	for _, n := range []int{len(xs), 1, 7, 8, 9, 15, 16, 17, 31} {
		x, d := xs[len(xs)-n:], dy[len(xs)-n:]
		y, g := make([]float32, n), make([]float32, n)
		geluSlice(y, x)
		geluGradSlice(g, x, d)
		for i, v := range x {
			if want := geluFast(v); !same(y[i], want) {
				t.Fatalf("n=%d: GELU(%g) = %g (%#x), scalar %g (%#x)", n, v, y[i], math.Float32bits(y[i]), want, math.Float32bits(want))
			}
			if want := d[i] * geluGradFast(v); !same(g[i], want) {
				t.Fatalf("n=%d: dy·GELU'(%g) = %g (%#x), scalar %g (%#x)", n, v, g[i], math.Float32bits(g[i]), want, math.Float32bits(want))
			}
		}
	}
}

// BenchmarkGELU times GELU and its gradient over 1M values, in AVX2 and
// in the scalar loop: go test -run '^$' -bench GELU ./engine/backend/cpu
func BenchmarkGELU(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	x, dy, y := make([]float32, 1<<20), make([]float32, 1<<20), make([]float32, 1<<20)
	for i := range x {
		x[i], dy[i] = float32(rng.NormFloat64()*2), float32(rng.NormFloat64())
	}
	for _, path := range []string{"avx2", "scalar"} {
		if path == "avx2" && !hasGeluAVX2 {
			continue
		}
		set := func() func() {
			old := hasGeluAVX2
			hasGeluAVX2 = path == "avx2"
			return func() { hasGeluAVX2 = old }
		}
		b.Run(path+"/fwd", func(b *testing.B) {
			defer set()()
			for b.Loop() {
				geluSlice(y, x)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/value")
		})
		b.Run(path+"/grad", func(b *testing.B) {
			defer set()()
			for b.Loop() {
				geluGradSlice(y, x, dy)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(x)), "ns/value")
		})
	}
}
