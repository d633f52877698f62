package segment

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// scene is a 64×64 RGB image: a background of two colours in stripes plus
// noise of 0.15, and an object (an ellipse of two other colours) whose mask is
// returned with it.
func scene(seed uint64) (img []float32, truth []bool) {
	const h, w = 64, 64
	rng := rand.New(rand.NewPCG(seed, 3))
	img = make([]float32, 3*h*w)
	truth = make([]bool, h*w)
	bg := [2][3]float64{{0.2, 0.5, 0.25}, {0.35, 0.6, 0.3}}
	obj := [2][3]float64{{0.85, 0.3, 0.2}, {0.75, 0.2, 0.35}}
	for y := range h {
		for x := range w {
			p := y*w + x
			dy, dx := float64(y-30)/18, float64(x-34)/13
			in := dx*dx+dy*dy <= 1
			truth[p] = in
			col := bg[(x/6)%2]
			if in {
				col = obj[(y/5)%2]
			}
			for c := range 3 {
				img[c*h*w+p] = float32(math.Min(math.Max(col[c]+0.15*rng.NormFloat64(), 0), 1))
			}
		}
	}
	return img, truth
}

func iou(a, b []bool) float64 {
	var i, u float64
	for p := range a {
		if a[p] && b[p] {
			i++
		}
		if a[p] || b[p] {
			u++
		}
	}
	return i / u
}

func TestGrabCutFindsTheObjectInARectangle(t *testing.T) {
	img, truth := scene(1)
	tri := RectTrimap(64, 64, 14, 6, 54, 56) // a loose box around the ellipse
	res, err := GrabCut(context.Background(), img, 3, 64, 64, tri, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	// The box alone covers 2000 pixels for an object of about 735.
	boxIoU := iou(truth, func() []bool {
		m := make([]bool, len(tri))
		for i, v := range tri {
			m[i] = v == ProbForeground
		}
		return m
	}())
	got := iou(truth, res.Mask)
	t.Logf("IoU %.3f after %d iterations (the box: %.3f)", got, res.Iterations, boxIoU)
	// Colour alone (Gamma near 0) gives 0.90 here: the boundary term
	// must do its part.
	if got < 0.95 {
		t.Fatalf("IoU %.3f, want >= 0.95", got)
	}
}

// A saliency map that is high on the object but blurred and noisy (as a
// model's gradients are) seeds a cut that recovers the object's outline.
func TestGrabCutFromASaliencyMap(t *testing.T) {
	img, truth := scene(2)
	rng := rand.New(rand.NewPCG(5, 5))
	sal := make([]float32, len(truth))
	for y := range 64 {
		for x := range 64 {
			dy, dx := float64(y-30)/22, float64(x-34)/17 // wider than the object
			sal[y*64+x] = float32(math.Exp(-(dx*dx+dy*dy)*1.5) + 0.15*math.Abs(rng.NormFloat64()))
		}
	}
	tri, err := SaliencyTrimap(sal, 0.08, 0.4)
	if err != nil {
		t.Fatal(err)
	}
	var seedMask []bool
	for _, v := range tri {
		seedMask = append(seedMask, v == Foreground || v == ProbForeground)
	}
	res, err := GrabCut(context.Background(), img, 3, 64, 64, tri, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	got, start := iou(truth, res.Mask), iou(truth, seedMask)
	t.Logf("IoU %.3f after %d iterations (the saliency's top half: %.3f)", got, res.Iterations, start)
	if got < 0.9 {
		t.Fatalf("IoU %.3f, want >= 0.9", got)
	}
}

func TestMaxFlowMatchesAHandSolvedNetwork(t *testing.T) {
	// s=4, t=5; the classic CLRS network has max flow 23.
	g := newGraph(6, 20)
	for _, e := range [][3]float64{{4, 0, 16}, {4, 1, 13}, {0, 2, 12}, {1, 0, 4}, {2, 1, 9}, {1, 3, 14}, {3, 2, 7}, {2, 5, 20}, {3, 5, 4}} {
		g.edge(int(e[0]), int(e[1]), e[2], 0)
	}
	if f := g.maxFlow(4, 5); math.Abs(f-23) > 1e-9 {
		t.Fatalf("max flow %v, want 23", f)
	}
	side := g.sourceSide(4)
	if !side[0] || !side[1] || !side[3] || side[2] || side[5] {
		t.Fatalf("source side %v, want s, v1, v2, v4", side)
	}
}

func TestGrabCutRejectsBadInput(t *testing.T) {
	img, _ := scene(1)
	bad := []struct {
		tri  []uint8
		c, h int
	}{
		{make([]uint8, 64*64), 3, 64},             // all background
		{RectTrimap(64, 64, 0, 0, 64, 64), 3, 64}, // all object
		{make([]uint8, 10), 3, 64},
		{make([]uint8, 64*64), 2, 64},
	}
	for i, b := range bad {
		if _, err := GrabCut(context.Background(), img, b.c, b.h, 64, b.tri, Options{}); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	if _, err := SaliencyTrimap(make([]float32, 9), 0.6, 0.5); err == nil {
		t.Error("fractions over 1 accepted")
	}
}
