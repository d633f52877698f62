package classic

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/workbench-cv/workbench/engine/data"
)

func randMatrix(rng *rand.Rand, r, c int) *Matrix {
	m := &Matrix{Rows: r, Cols: c, Data: make([]float32, r*c)}
	for i := range m.Data {
		m.Data[i] = float32(rng.NormFloat64())
	}
	return m
}

func TestL2VectorisedMatchesTwoLoops(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	tr, te := randMatrix(rng, 57, 31), randMatrix(rng, 13, 31)
	fast, err := Distances(tr, te, L2)
	if err != nil {
		t.Fatal(err)
	}
	slow := DistancesTwoLoops(tr, te)
	for i := range fast {
		if math.Abs(float64(fast[i]-slow[i])) > 1e-3*(1+float64(slow[i])) {
			t.Fatalf("distance %d: vectorised %v, two loops %v", i, fast[i], slow[i])
		}
	}
}

func TestL1(t *testing.T) {
	tr := &Matrix{Rows: 2, Cols: 3, Data: []float32{0, 0, 0, 1, 2, 3}}
	te := &Matrix{Rows: 1, Cols: 3, Data: []float32{1, -1, 1}}
	d, _ := Distances(tr, te, L1)
	if d[0] != 3 || d[1] != 5 {
		t.Fatalf("L1 = %v, want [3 5]", d)
	}
}

func TestVoteTieGoesToSmallestClass(t *testing.T) {
	labels := []int32{3, 1, 3, 1}
	if got := Vote([]int{0, 1, 2, 3}, labels, 4, 5); got != 1 {
		t.Fatalf("tie 3/1 voted %d, want 1", got)
	}
	if got := Vote([]int{0, 1, 2, 3}, labels, 3, 5); got != 3 {
		t.Fatalf("majority voted %d, want 3", got)
	}
}

// The analytic gradients of both losses agree with centred differences.
func TestLinearGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	x := randMatrix(rng, 20, 7)
	y := make([]int32, 20)
	for i := range y {
		y[i] = int32(rng.IntN(4))
	}
	for _, loss := range []Loss{SVM, Softmax} {
		m := NewLinear(7, 4, loss, 3)
		for i := range m.W {
			m.W[i] = float32(rng.NormFloat64() * 0.3)
		}
		_, g := m.LossGrad(x, y, 0.1)
		bad := 0
		for i := range m.W {
			old := m.W[i]
			h := float32(1e-4)
			m.W[i] = old + h
			lp, _ := m.LossGrad(x, y, 0.1)
			m.W[i] = old - h
			lm, _ := m.LossGrad(x, y, 0.1)
			m.W[i] = old
			num := (lp - lm) / float64(2*h)
			rel := math.Abs(num-float64(g[i])) / math.Max(1e-3, math.Abs(num)+math.Abs(float64(g[i])))
			if rel > 2e-2 {
				bad++
				t.Logf("%s dW[%d]: analytic %v numeric %v", loss, i, g[i], num)
			}
		}
		// The hinge has kinks: a difference that straddles one is expected
		// to disagree now and then, never the smooth softmax.
		if (loss == Softmax && bad > 0) || bad > len(m.W)/20 {
			t.Fatalf("%s: %d of %d gradient entries disagree", loss, bad, len(m.W))
		}
	}
}

// At small random weights the softmax loss is about log(C) and the SVM loss
// about C-1: the course's first sanity checks.
func TestInitialLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	x := randMatrix(rng, 200, 50)
	y := make([]int32, 200)
	for i := range y {
		y[i] = int32(i % 10)
	}
	ls, _ := NewLinear(50, 10, Softmax, 1).LossGrad(x, y, 0)
	if math.Abs(ls-math.Log(10)) > 0.01 {
		t.Errorf("softmax initial loss %v, want log(10)", ls)
	}
	lv, _ := NewLinear(50, 10, SVM, 1).LossGrad(x, y, 0)
	if math.Abs(lv-9) > 0.05 {
		t.Errorf("SVM initial loss %v, want 9", lv)
	}
}

// Linear classifiers learn a linearly separable problem.
func TestLinearLearns(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	x := randMatrix(rng, 600, 5)
	y := make([]int32, 600)
	for i := range y {
		if x.Row(i)[0]+0.5*x.Row(i)[1] > 0 {
			y[i] = 1
		}
	}
	xb := WithBias(x)
	for _, loss := range []Loss{SVM, Softmax} {
		m := NewLinear(6, 2, loss, 1)
		if _, err := m.Train(context.Background(), xb, y, SGDConfig{LR: 0.1, Reg: 1e-4, Iters: 300, Batch: 50, Seed: 1}, nil); err != nil {
			t.Fatal(err)
		}
		if acc := m.Accuracy(xb, y); acc < 0.95 {
			t.Errorf("%s accuracy %.3f on a separable problem", loss, acc)
		}
	}
}

func TestDivergenceIsReported(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	x := randMatrix(rng, 50, 5)
	for i := range x.Data {
		x.Data[i] *= 1e18
	}
	y := make([]int32, 50)
	m := NewLinear(5, 3, Softmax, 1)
	_, err := m.Train(context.Background(), x, y, SGDConfig{LR: 1e30, Reg: 1e30, Iters: 50, Batch: 10, Seed: 1}, nil)
	if err == nil {
		t.Fatal("no error for a diverging run")
	}
}

func TestHOGOrientation(t *testing.T) {
	// A vertical edge: intensity changes along x, so the gradient points
	// along x (0°) and all energy lands in bin 0.
	h, w := 16, 16
	img := make([]uint8, h*w)
	for y := 0; y < h; y++ {
		for x := 8; x < w; x++ {
			img[y*w+x] = 200
		}
	}
	cfg := HOGConfig{Cell: 8, Bins: 9, Block: 1}
	f := make([]float32, cfg.HOGLen(h, w))
	HOG(f, img, 1, h, w, cfg)
	var total, bin0 float32
	for i, v := range f {
		total += v
		if i%9 == 0 {
			bin0 += v
		}
	}
	if total == 0 || bin0 != total {
		t.Fatalf("vertical edge: %v of %v energy in bin 0", bin0, total)
	}
	// Horizontal edge: 90° -> bin 4 of 9 (80°-100°).
	for i := range img {
		img[i] = 0
		if i/w >= 8 {
			img[i] = 200
		}
	}
	HOG(f, img, 1, h, w, cfg)
	for i, v := range f {
		if v != 0 && i%9 != 4 {
			t.Fatalf("horizontal edge put energy in bin %d", i%9)
		}
	}
	// Block-normalised: 32x32 gives 3x3 blocks of 2x2 cells of 9 bins.
	if n := DefaultHOG.HOGLen(32, 32); n != 324 {
		t.Fatalf("HOG length at 32x32 = %d, want 324", n)
	}
}

func TestHueHistogram(t *testing.T) {
	// Red, green and blue pixels: hues 0, 1/3, 2/3 -> bins 0, 3, 6 of 10.
	img := []uint8{255, 0, 0, 0, 255, 0, 0, 0, 255}
	f := make([]float32, 10)
	HueHistogram(f, img, 3, 1, 3, 10)
	for i, v := range f {
		want := float32(0)
		if i == 0 || i == 3 || i == 6 {
			want = 1.0 / 3
		}
		if math.Abs(float64(v-want)) > 1e-6 {
			t.Fatalf("bin %d = %v, want %v (hist %v)", i, v, want, f)
		}
	}
}

func TestTopKMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	row := make([]float32, 500)
	for i := range row {
		row[i] = float32(rng.IntN(50)) // many ties
	}
	got := topK(row, 37)
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if row[a] > row[b] || (row[a] == row[b] && a > b) {
			t.Fatalf("not sorted by (value, index) at %d: %v", i, got)
		}
	}
	// Every excluded element is at least the k-th value.
	in := map[int]bool{}
	for _, j := range got {
		in[j] = true
	}
	kth := row[got[len(got)-1]]
	for j, v := range row {
		if !in[j] && v < kth {
			t.Fatalf("element %d (%v) below the k-th value %v was left out", j, v, kth)
		}
	}
}

func TestNearestNeighborsBlocksMatchFullMatrix(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	tr, te := randMatrix(rng, 300, 8), randMatrix(rng, 1100, 8)
	d, _ := Distances(tr, te, L2)
	full := Neighbors(d, tr.Rows, 5)
	blocked, err := NearestNeighbors(context.Background(), tr, te, L2, 5, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range full {
		for j := range full[i] {
			if full[i][j] != blocked[i][j] {
				t.Fatalf("row %d: %v vs %v", i, full[i], blocked[i])
			}
		}
	}
}

// The two-layer net solves XOR-like data that no linear classifier can.
func TestTwoLayerLearnsNonlinear(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	x := randMatrix(rng, 800, 2)
	y := make([]int32, 800)
	for i := range y {
		r := x.Row(i)
		if (r[0] > 0) != (r[1] > 0) {
			y[i] = 1
		}
	}
	net, err := TrainTwoLayer(context.Background(), x, y, x, y, 2,
		TwoLayerConfig{Hidden: 32, LR: 0.05, Epochs: 30, Batch: 40, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if acc := net.Accuracy(x, y); acc < 0.95 {
		t.Fatalf("two-layer accuracy %.3f on XOR", acc)
	}
	lin := NewLinear(3, 2, Softmax, 1)
	xb := WithBias(x)
	lin.Train(context.Background(), xb, y, SGDConfig{LR: 0.1, Iters: 500, Batch: 40, Seed: 1}, nil)
	if acc := lin.Accuracy(xb, y); acc > 0.75 {
		t.Fatalf("a linear classifier should not solve XOR, got %.3f", acc)
	}
}

// The recipe is cross-validation, the best k, then the test split: the
// same numbers as its steps run one by one.
func TestKNNRecipeMatchesItsSteps(t *testing.T) {
	ds, err := data.Load(context.Background(), "sample", data.Options{LimitTrain: 300, LimitTest: 60, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	ks := []int{1, 3, 7}
	var stages []string
	res, err := KNN(context.Background(), ds.Train, ds.Test, KNNConfig{Ks: ks, Metric: L2, Folds: 3, Seed: 5, Neighbours: 10,
		Progress: func(stage string, done, total int) {
			if done == total {
				stages = append(stages, stage)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	classes := len(ds.Train.Classes)
	xtr, xte := Pixels(ds.Train), Pixels(ds.Test)
	cv, err := CrossValidateKNN(context.Background(), xtr, ds.Train.Labels, classes, data.Folds(ds.Train, 3, 5), ks, L2, nil)
	if err != nil {
		t.Fatal(err)
	}
	best := BestK(cv)
	d, err := Distances(xtr, xte, L2)
	if err != nil {
		t.Fatal(err)
	}
	nb := Neighbors(d, xtr.Rows, 10)
	acc, _ := KNNAccuracy(nb, ds.Train.Labels, ds.Test.Labels, best.K, classes)
	if !reflect.DeepEqual(res.CV, cv) || res.Best.K != best.K || res.TestAcc != acc || len(res.Neighbours[0]) != 10 {
		t.Fatalf("recipe: best k %d, test %v; steps: best k %d, test %v", res.Best.K, res.TestAcc, best.K, acc)
	}
	if !reflect.DeepEqual(stages, []string{"cv", "test"}) || res.TestAccByK[best.K] != acc {
		t.Fatalf("progress stages %v, by k %v", stages, res.TestAccByK)
	}
	if _, err := KNN(context.Background(), ds.Train, ds.Test, KNNConfig{Ks: ks, Metric: L2, Folds: 301}); err == nil {
		t.Fatal("more folds than training images accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := KNN(ctx, ds.Train, ds.Test, KNNConfig{Ks: ks, Metric: L2, Folds: 3}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled recipe: %v", err)
	}
}
