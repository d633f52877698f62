package inspect

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPCAKnownAnswer: points a·u + b·v with independent a, b of standard
// deviations 3 and 1 along orthonormal u, v in 5-D (plus a constant
// offset) have principal components u and v with variances 9 and 1.
func TestPCAKnownAnswer(t *testing.T) {
	u := []float64{1, 2, 0, 2, 0} // |u| = 3
	v := []float64{2, -1, 0, 0, 2}
	for i := range u {
		u[i] /= 3
		v[i] /= 3
	}
	// Exact moments: a and b take ±s in all four combinations, so their
	// sample variances (n-1 denominator) are s²·n/(n-1) and they are
	// uncorrelated.
	var x []float32
	n := 0
	for _, a := range []float64{-3, 3} {
		for _, b := range []float64{-1, 1} {
			for range 25 {
				for j := range 5 {
					x = append(x, float32(10+a*u[j]+b*v[j]))
				}
				n++
			}
		}
	}
	p, err := FitPCA(x, n, 5, 2)
	if err != nil {
		t.Fatal(err)
	}
	scale := float64(n) / float64(n-1)
	for c, want := range [][]float64{u, v} {
		var dot float64
		for j := range 5 {
			dot += p.Components[c][j] * want[j]
		}
		if math.Abs(math.Abs(dot)-1) > 1e-6 {
			t.Errorf("component %d is %v, want ±%v", c, p.Components[c], want)
		}
	}
	if math.Abs(p.Variance[0]-9*scale) > 1e-4 || math.Abs(p.Variance[1]-scale) > 1e-4 {
		t.Errorf("variances %v, want %v and %v", p.Variance, 9*scale, scale)
	}
	if math.Abs(p.Ratio[0]-0.9) > 1e-5 || math.Abs(p.Ratio[1]-0.1) > 1e-5 || math.Abs(p.Total-10*scale) > 1e-4 {
		t.Errorf("ratios %v of total %v, want 0.9, 0.1 of %v", p.Ratio, p.Total, 10*scale)
	}
	if math.Abs(p.Mean[0]-10) > 1e-6 {
		t.Errorf("mean %v", p.Mean)
	}
	// Largest loading positive.
	for _, comp := range p.Components {
		big := 0
		for j := range comp {
			if math.Abs(comp[j]) > math.Abs(comp[big]) {
				big = j
			}
		}
		if comp[big] < 0 {
			t.Errorf("component %v: largest loading negative", comp)
		}
	}
	y, err := p.Transform(x[:5], 1)
	if err != nil || math.Abs(math.Abs(y[0])-3) > 1e-4 || math.Abs(math.Abs(y[1])-1) > 1e-4 {
		t.Errorf("the first point projects to %v, want ±3, ±1", y)
	}
}

// TestPCAWideDataRandomizedMatchesExact: more rows and columns than the
// exact path takes goes through the randomized range finder; it must
// find the same leading components as the exact decomposition of the
// Gram matrix.
func TestPCAWideDataRandomizedMatchesExact(t *testing.T) {
	defer func(v int) { pcaExactMax = v }(pcaExactMax)
	pcaExactMax = 100
	n, d := 300, 400
	rng := rand.New(rand.NewPCG(3, 3))
	// Low-rank signal with decaying strengths plus noise.
	basis := make([]float64, 6*d)
	for i := range basis {
		basis[i] = rng.NormFloat64()
	}
	x := make([]float32, n*d)
	for i := range n {
		for r := range 6 {
			a := rng.NormFloat64() * float64(12-2*r)
			for j := range d {
				x[i*d+j] += float32(a * basis[r*d+j] / math.Sqrt(float64(d)))
			}
		}
		for j := range d {
			x[i*d+j] += float32(0.1 * rng.NormFloat64())
		}
	}
	p, err := FitPCA(x, n, d, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p.Method != "randomized" {
		t.Fatalf("method %s, want randomized for %dx%d", p.Method, n, d)
	}
	exact := &PCA{D: d, Mean: p.Mean}
	xc := make([]float64, n*d)
	for i := range n {
		for j := range d {
			xc[i*d+j] = float64(x[i*d+j]) - p.Mean[j]
		}
	}
	if err := exact.fitEigen(xc, n, d, 3); err != nil {
		t.Fatal(err)
	}
	for c := range 3 {
		var dot float64
		for j := range d {
			dot += p.Components[c][j] * exact.Components[c][j]
		}
		if math.Abs(math.Abs(dot)-1) > 1e-3 || math.Abs(p.Variance[c]-exact.Variance[c]) > 1e-3*exact.Variance[c] {
			t.Errorf("component %d: |cos| %v, variance %v vs exact %v", c, math.Abs(dot), p.Variance[c], exact.Variance[c])
		}
	}
}

func TestPCARejectsBadInput(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6}
	for _, c := range []struct{ n, d, k int }{{3, 2, 3}, {3, 2, 0}, {1, 6, 1}, {4, 2, 1}} {
		if _, err := FitPCA(x, c.n, c.d, c.k); err == nil {
			t.Errorf("n=%d d=%d k=%d: no error", c.n, c.d, c.k)
		}
	}
}
