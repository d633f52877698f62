package attrib_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/workbench-cv/workbench/engine/adversarial"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// The marker task: grey 1×S×S images of noise, each with one M×M marker
// at a random place whose pattern sets the class. Nothing else in the
// image says anything about the class, so a map that explains the model
// must point at the marker.
const (
	markS, markM, markK = 24, 4, 4
)

var markerPatterns = [markK][16]float32{
	{1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0}, // horizontal bars
	{1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0}, // vertical bars
	{1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1}, // checker
	{1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1, 1, 1, 1}, // ring
}

type markerSet struct {
	x      []float32
	labels []int
	ys, xs []int // marker's top-left corner
}

func makeMarkers(n int, seed uint64) *markerSet {
	rng := rand.New(rand.NewPCG(seed, 77))
	s := &markerSet{x: make([]float32, n*markS*markS)}
	for i := range n {
		img := s.x[i*markS*markS : (i+1)*markS*markS]
		for j := range img {
			img[j] = 0.25 + 0.3*rng.Float32()
		}
		k := rng.IntN(markK)
		y0, x0 := rng.IntN(markS-markM+1), rng.IntN(markS-markM+1)
		for dy := range markM {
			for dx := range markM {
				img[(y0+dy)*markS+x0+dx] = markerPatterns[k][dy*4/markM*4+dx*4/markM]
			}
		}
		s.labels, s.ys, s.xs = append(s.labels, k), append(s.ys, y0), append(s.xs, x0)
	}
	return s
}

func (s *markerSet) inside(i, y, x int) bool {
	return y >= s.ys[i] && y < s.ys[i]+markM && x >= s.xs[i] && x < s.xs[i]+markM
}

func markerNet() graph.Graph {
	var g graph.Graph
	add := func(id, op string, attrs map[string]float64, in ...string) string {
		g.Nodes = append(g.Nodes, graph.Node{ID: id, Op: op, Attrs: attrs, Inputs: in})
		return id
	}
	conv := func(id, in string, out int) string {
		return add(id, "conv2d", map[string]float64{"out": float64(out), "kernel": 3, "stride": 1, "pad": 1, "dilation": 1, "groups": 1, "bias": 1}, in)
	}
	pool := func(id, in string) string {
		return add(id, "maxpool2d", map[string]float64{"kernel": 2, "stride": 2}, in)
	}
	x := add("input", "input", nil)
	x = pool("pool1", add("relu1", "relu", nil, conv("conv1", x, 16)))
	x = pool("pool2", add("relu2", "relu", nil, conv("conv2", x, 32)))
	x = add("relu3", "relu", nil, conv("conv3", x, 32))
	// One map per class, and a global max pool: a class's score is its
	// strongest response anywhere.
	x = add("classmap", "conv2d", map[string]float64{"out": markK, "kernel": 1, "stride": 1, "pad": 0, "dilation": 1, "groups": 1, "bias": 1}, x)
	x = add("gmp", "maxpool2d", map[string]float64{"kernel": markS / 4, "stride": markS / 4}, x)
	add("flatten", "flatten", nil, x)
	return g
}

var (
	markerOnce  sync.Once
	markerModel attrib.Net
	markerTest  *markerSet
	markerAcc   float64
	markerErr   error
)

// trainMarker trains the marker CNN on n images for the given epochs;
// shuffle permutes the labels first (the label randomisation test).
func trainMarker(n, epochs int, seed uint64, shuffle bool) (attrib.Net, error) {
	b := cpu.New()
	m, err := nn.Build(markerNet(), []int{1, markS, markS}, b, seed, "default")
	if err != nil {
		return attrib.Net{}, err
	}
	opt, _ := optim.New("adam", optim.Config{LR: 3e-3})
	train := makeMarkers(n, 1)
	rng := rand.New(rand.NewPCG(4, 4))
	if shuffle {
		rng.Shuffle(len(train.labels), func(i, j int) { train.labels[i], train.labels[j] = train.labels[j], train.labels[i] })
	}
	const batch = 50
	d := markS * markS
	for range epochs {
		for lo := 0; lo+batch <= len(train.labels); lo += batch {
			// Fresh pixel noise each step: the model learns that single
			// background pixels carry nothing (Smilkov et al.: training
			// with noise sharpens gradient maps).
			noisy := append([]float32(nil), train.x[lo*d:(lo+batch)*d]...)
			for i := range noisy {
				noisy[i] += float32(rng.NormFloat64() * 0.1)
			}
			xb := tensor.FromData(b, noisy, batch, 1, markS, markS)
			labels := make([]int32, batch)
			for i := range labels {
				labels[i] = int32(train.labels[lo+i])
			}
			out := m.Forward(&nn.Ctx{Training: true}, autograd.Const(xb))
			loss := autograd.CrossEntropy(out, autograd.OneHot(b, labels, markK, 0))
			for _, p := range m.Params {
				p.V.ZeroGrad()
			}
			loss.Backward()
			if err := opt.Step(m.Params); err != nil {
				return attrib.Net{}, err
			}
			autograd.Release(loss)
		}
	}
	return attrib.Net{Model: m}, nil
}

// trainedMarkerNet trains the marker CNN once per test binary (a few
// seconds) and returns it with its test images.
func trainedMarkerNet(t *testing.T) (attrib.Net, *markerSet) {
	t.Helper()
	markerOnce.Do(func() {
		markerModel, markerErr = trainMarker(6000, 5, 3, false)
		if markerErr != nil {
			return
		}
		markerTest = makeMarkers(100, 2)
		markerAcc = adversarial.Accuracy(markerModel, markerTest.x, 100, markerTest.labels, 50)
	})
	if markerErr != nil {
		t.Fatal(markerErr)
	}
	if markerAcc < 0.95 {
		t.Fatalf("the marker CNN reached only %.2f test accuracy; the checks need a model that solved the task", markerAcc)
	}
	return markerModel, markerTest
}

// TestMapsFindTheMarker: on a CNN trained to read a small marker placed at
// random, the maxima of the saliency and occlusion maps fall inside the
// marker on >= 95% of test images, and cascading randomisation drives the
// saliency map's rank correlation below 0.3.
func TestMapsFindTheMarker(t *testing.T) {
	net, ts := trainedMarkerNet(t)
	t.Logf("marker CNN: test accuracy %.2f", markerAcc)
	N := len(ts.labels)
	targets := make([]attrib.Target, N)
	for i, k := range ts.labels {
		targets[i] = attrib.ClassTarget(k)
	}
	sal, _, err := net.Saliency(ts.x, N, targets)
	if err != nil {
		t.Fatal(err)
	}
	occ, err := net.Occlusion(context.Background(), ts.x, N, ts.labels, attrib.OcclusionOptions{Patch: markM, Stride: 1, Fill: []float32{0.4}})
	if err != nil {
		t.Fatal(err)
	}
	hits := func(maps []attrib.Map) float64 {
		n := 0
		for i, m := range maps {
			if y, x := m.Max(); ts.inside(i, y, x) {
				n++
			}
		}
		return float64(n) / float64(N)
	}
	hs, ho := hits(sal), hits(occ)
	t.Logf("maximum inside the marker: saliency %.0f%%, occlusion %.0f%% of %d test images", 100*hs, 100*ho, N)
	if hs < 0.95 || ho < 0.95 {
		t.Errorf("saliency %.2f, occlusion %.2f of maxima inside the marker; want >= 0.95", hs, ho)
	}

	steps, err := attrib.CascadingRandomisation(context.Background(), net, 99, func(n attrib.Net) ([]attrib.Map, error) {
		m, _, err := n.Saliency(ts.x[:20*markS*markS], 20, targets[:20])
		return m, err
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps[1:] {
		t.Logf("sanity: re-initialised down to %-6s rank correlation %.3f", s.Layer, s.Correlation)
	}
	if last := steps[len(steps)-1].Correlation; last >= 0.3 {
		t.Errorf("with every layer re-initialised the saliency map still correlates %.3f with the trained one; want < 0.3", last)
	}
	// Label randomisation: the same network trained on permuted labels,
	// against one trained on the true labels from another start, both on
	// 2000 images for 3 epochs.
	saliency := func(n attrib.Net) ([]attrib.Map, error) {
		m, _, err := n.Saliency(ts.x, N, targets)
		return m, err
	}
	shuffled, err := trainMarker(2000, 3, 3, true)
	if err != nil {
		t.Fatal(err)
	}
	other, err := trainMarker(2000, 3, 11, false)
	if err != nil {
		t.Fatal(err)
	}
	rShuffled, err := attrib.LabelRandomisation(net, shuffled, saliency)
	if err != nil {
		t.Fatal(err)
	}
	rOther, err := attrib.LabelRandomisation(net, other, saliency)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sanity: label randomisation, rank correlation %.3f (a second model on the true labels: %.3f)", rShuffled, rOther)
	if rShuffled >= 0.4 || rOther < rShuffled+0.3 {
		t.Errorf("saliency of a model trained on permuted labels correlates %.3f with the trained one's (another true-label model %.3f); want < 0.4 and at least 0.3 below", rShuffled, rOther)
	}
	// The weights are restored.
	again, _, _ := net.Saliency(ts.x, N, targets)
	if r := attrib.MeanSpearman(sal, again); r < 0.9999 {
		t.Errorf("the model's weights were not restored after the sanity check (correlation %.5f)", r)
	}
}

// TestFoolingReachesEveryTarget: 100 test images, each driven to a random
// other class, are all classified as their target within 100 steps.
func TestFoolingReachesEveryTarget(t *testing.T) {
	net, ts := trainedMarkerNet(t)
	N := len(ts.labels)
	rng := rand.New(rand.NewPCG(5, 6))
	targets := make([]int, N)
	for i, y := range ts.labels {
		targets[i] = (y + 1 + rng.IntN(markK-1)) % markK
	}
	res, err := adversarial.Fool(context.Background(), net, ts.x, N, targets, adversarial.FoolOptions{MaxSteps: 100})
	if err != nil {
		t.Fatal(err)
	}
	ok, maxSteps, mean := 0, 0, 0.0
	for i, s := range res.Success {
		if s {
			ok++
		}
		maxSteps = max(maxSteps, res.Steps[i])
		mean += float64(res.Steps[i]) / float64(N)
	}
	t.Logf("fooled %d of %d to a random other class; steps mean %.1f, max %d; mean L-inf change %.4f (%.1f/255), mean L2 %.3f",
		ok, N, mean, maxSteps, res.LInf, 255*res.LInf, res.L2)
	if ok != N {
		t.Errorf("fooled %d of %d images within 100 steps; want all", ok, N)
	}
	pred := net.Predict(res.Adv, N)
	for i := range N {
		if pred[i] != targets[i] {
			t.Fatalf("image %d: predicted %d after fooling, target %d", i, pred[i], targets[i])
		}
	}
}
