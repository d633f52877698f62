package data

import (
	"context"
	"encoding/json"
	"math"
	"testing"
)

func toUnit(s *Set) []float32 {
	x := make([]float32, len(s.Images))
	for i, v := range s.Images {
		x[i] = float32(v) / 255
	}
	return x
}

func TestChannelStdNormalises(t *testing.T) {
	s := synthSet(300, 3, 3, 6, 6)
	st, err := FitStats(s, NormChannelStd, StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x := toUnit(s)
	st.Apply(x, s.Len())
	plane := 36
	for c := range 3 {
		var sum, sq float64
		n := 0
		for i := range s.Len() {
			for _, v := range x[i*108+c*plane : i*108+(c+1)*plane] {
				sum += float64(v)
				sq += float64(v) * float64(v)
				n++
			}
		}
		mean := sum / float64(n)
		std := math.Sqrt(sq/float64(n) - mean*mean)
		if math.Abs(mean) > 1e-4 || math.Abs(std-1) > 1e-3 {
			t.Fatalf("channel %d: mean %v std %v after normalising", c, mean, std)
		}
	}
	back := append([]float32(nil), x...)
	st.Unapply(back, s.Len())
	orig := toUnit(s)
	for i := range back {
		if math.Abs(float64(back[i]-orig[i])) > 1e-5 {
			t.Fatal("Unapply does not invert Apply")
		}
	}
}

func TestMeanImageAndStatsSerialise(t *testing.T) {
	s := synthSet(50, 5, 1, 4, 4)
	st, err := FitStats(s, NormMeanImage, StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x := toUnit(s)
	st.Apply(x, s.Len())
	for j := range 16 {
		var sum float64
		for i := range 50 {
			sum += float64(x[i*16+j])
		}
		if math.Abs(sum/50) > 1e-5 {
			t.Fatalf("pixel %d mean %v after subtracting the mean image", j, sum/50)
		}
	}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	var back Stats
	if err := json.Unmarshal(b, &back); err != nil || back.Validate() != nil || len(back.Mean) != 16 || back.Mean[3] != st.Mean[3] {
		t.Fatalf("stats do not round-trip through JSON: %v", err)
	}
	back.Mean = back.Mean[:3]
	if back.Validate() == nil {
		t.Fatal("Validate accepted a short mean")
	}
}

// Whitened training images have (close to) identity covariance along the
// kept components.
func TestPCAWhiten(t *testing.T) {
	ds, err := Load(context.Background(), SpecSample, Options{LimitTrain: 2000, Size: 14})
	if err != nil {
		t.Fatal(err)
	}
	s := ds.Train
	k := 20
	st, err := FitStats(s, NormPCAWhiten, StatsOptions{Components: k, Epsilon: 1e-6, Samples: 2000})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Validate(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < k; i++ {
		if st.Eigenvalues[i] > st.Eigenvalues[i-1] {
			t.Fatal("eigenvalues not in decreasing order")
		}
	}
	d := s.Size()
	x := toUnit(s)
	st.Apply(x, s.Len())
	// Project the whitened images on the components: unit variance,
	// uncorrelated.
	n := s.Len()
	proj := make([]float64, n*k)
	for i := range n {
		for j := range k {
			var acc float64
			for p := range d {
				acc += float64(x[i*d+p]) * float64(st.Components[j*d+p])
			}
			proj[i*k+j] = acc
		}
	}
	for a := range k {
		for b := range k {
			var cov float64
			for i := range n {
				cov += proj[i*k+a] * proj[i*k+b]
			}
			cov /= float64(n - 1)
			want := 0.0
			if a == b {
				want = 1
			}
			if math.Abs(cov-want) > 0.02 {
				t.Fatalf("whitened covariance [%d,%d] = %v, want %v", a, b, cov, want)
			}
		}
	}
}

// The subspace iteration used for large images finds the same leading
// eigenvalues as the full decomposition.
func TestTopEigenSubspaceMatchesFull(t *testing.T) {
	d := 1100
	r := newRand(1, 99)
	// A covariance with a decaying spectrum: sum of rank-one terms.
	a := make([]float32, d*d)
	for t := range 40 {
		v := make([]float32, d)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		w := float32(math.Pow(0.8, float64(t)))
		for i := range d {
			for j := range d {
				a[i*d+j] += w * v[i] * v[j] / float32(d)
			}
		}
	}
	vals, vecs := topEigen(a, d, 5, 1)
	// Check A v = lambda v for the returned pairs.
	for j := range 5 {
		v := vecs[j*d : (j+1)*d]
		var res, norm float64
		for i := range d {
			var av float64
			for k := range d {
				av += float64(a[i*d+k]) * float64(v[k])
			}
			res += math.Pow(av-float64(vals[j])*float64(v[i]), 2)
			norm += float64(v[i]) * float64(v[i])
		}
		if math.Abs(norm-1) > 1e-3 || math.Sqrt(res) > 1e-3*float64(vals[0]) {
			t.Fatalf("pair %d: |v| %v residual %v (lambda %v)", j, norm, math.Sqrt(res), vals[j])
		}
	}
}
