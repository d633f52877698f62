package attrib_test

import (
	"context"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/attrib"
)

// TestClassVisualisationRaisesTheScore: gradient ascent with every
// regulariser on turns a grey image into one the marker CNN assigns to the
// chosen class, with the score rising, and hands back the iterates.
func TestClassVisualisationRaisesTheScore(t *testing.T) {
	net, _ := trainedMarkerNet(t)
	for k := range markK {
		var frames []int
		res, err := attrib.Ascend(context.Background(), net.Input(), net.Objective(attrib.ClassTarget(k)), attrib.AscentOptions{
			Steps: 60, LR: 0.02, L2: 0.01, BlurEvery: 10, BlurSigma: 0.5, Jitter: 1, ClipNorm: 5, ClipContrib: 5, Seed: uint64(k),
			Every: 20, Iterate: func(step int, _ []float32) { frames = append(frames, step) }})
		if err != nil {
			t.Fatal(err)
		}
		first, last := res.Scores[0], res.Scores[len(res.Scores)-1]
		pred := net.Predict(res.Image, 1)[0]
		t.Logf("class %d: score %.2f -> %.2f, predicted %d, frames %v", k, first, last, pred, frames)
		if !(last > first+1) || pred != k {
			t.Errorf("class %d: ascent went from %.2f to %.2f and the image is predicted %d", k, first, last, pred)
		}
		if len(frames) != 4 || frames[0] != 0 || frames[3] != 60 {
			t.Errorf("iterates at steps %v, want 0 20 40 60", frames)
		}
	}
}

// TestSpearman checks rank correlation against values worked by hand
// (ties take their mean rank, as scipy.stats.spearmanr).
func TestSpearman(t *testing.T) {
	cases := []struct {
		a, b []float32
		want float64
	}{
		{[]float32{1, 2, 3, 4, 5}, []float32{5, 6, 7, 8, 7}, 0.8207826816681233},
		{[]float32{1, 2, 3}, []float32{3, 2, 1}, -1},
		{[]float32{1, 2, 3, 4}, []float32{10, 20, 30, 40}, 1},
	}
	for _, c := range cases {
		if got := attrib.Spearman(c.a, c.b); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("Spearman(%v, %v) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TestIntegrationRules checks the Riemann rules' points and weights
// against Captum's and that Gauss-Legendre integrates a degree-7
// polynomial exactly with 4 points.
func TestIntegrationRules(t *testing.T) {
	a, w, _ := attrib.Alphas(attrib.RiemannTrapezoid, 5)
	wantA, wantW := []float64{0, 0.25, 0.5, 0.75, 1}, []float64{0.125, 0.25, 0.25, 0.25, 0.125}
	for i := range a {
		if math.Abs(a[i]-wantA[i]) > 1e-15 || math.Abs(w[i]-wantW[i]) > 1e-15 {
			t.Fatalf("trapezoid: %v %v", a, w)
		}
	}
	a, _, _ = attrib.Alphas(attrib.RiemannMiddle, 4)
	if math.Abs(a[0]-0.125) > 1e-15 || math.Abs(a[3]-0.875) > 1e-15 {
		t.Fatalf("middle: %v", a)
	}
	a, w, _ = attrib.Alphas(attrib.GaussLegendre, 4)
	var s float64
	for i := range a {
		s += w[i] * math.Pow(a[i], 7)
	}
	if math.Abs(s-1.0/8) > 1e-13 {
		t.Fatalf("Gauss-Legendre: ∫x^7 = %v, want 0.125", s)
	}
	if _, _, err := attrib.Alphas("simpson", 4); err == nil {
		t.Fatal("an unknown rule was accepted")
	}
}
