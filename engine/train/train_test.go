package train

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
)

// smallCNN is a reduced ref-cnn for 1x28x28 images: fast enough for tests.
func smallCNN(classes int) graph.Graph {
	return graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 1, "height": 28, "width": 28}},
		{ID: "conv1", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 8, "kernel": 3, "pad": 1}},
		{ID: "relu1", Op: "relu", Inputs: []string{"conv1"}},
		{ID: "pool1", Op: "maxpool2d", Inputs: []string{"relu1"}, Attrs: map[string]float64{"kernel": 2}},
		{ID: "conv2", Op: "conv2d", Inputs: []string{"pool1"}, Attrs: map[string]float64{"out": 16, "kernel": 3, "pad": 1}},
		{ID: "relu2", Op: "relu", Inputs: []string{"conv2"}},
		{ID: "pool2", Op: "maxpool2d", Inputs: []string{"relu2"}, Attrs: map[string]float64{"kernel": 2}},
		{ID: "flatten", Op: "flatten", Inputs: []string{"pool2"}},
		{ID: "drop", Op: "dropout", Inputs: []string{"flatten"}, Attrs: map[string]float64{"p": 0.2}},
		{ID: "fc", Op: "linear", Inputs: []string{"drop"}, Attrs: map[string]float64{"out": float64(classes)}},
	}}
}

var (
	sampleOnce sync.Once
	sampleDS   *data.Dataset
	sampleErr  error
)

// sample is a small class-balanced cut of the embedded sample dataset:
// 600 training, 100 validation and 200 test images.
func sample(t testing.TB) *data.Dataset {
	t.Helper()
	sampleOnce.Do(func() {
		sampleDS, sampleErr = data.Load(context.Background(), "sample", data.Options{LimitTrain: 600, LimitTest: 200, Val: 100, Seed: 1})
	})
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return sampleDS
}

func build(t testing.TB, seed uint64) *nn.Model {
	t.Helper()
	m, err := nn.Build(smallCNN(10), nil, cpu.New(), seed, "default")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func weightsEqual(t *testing.T, a, b map[string]Tensor) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%d tensors vs %d", len(a), len(b))
	}
	for k, ta := range a {
		tb, ok := b[k]
		if !ok {
			t.Fatalf("%s missing", k)
		}
		for i := range ta.Data {
			if math.Float32bits(ta.Data[i]) != math.Float32bits(tb.Data[i]) {
				t.Fatalf("%s[%d]: %v vs %v", k, i, ta.Data[i], tb.Data[i])
			}
		}
	}
}

func TestTrainLearnsAndReports(t *testing.T) {
	ds := sample(t)
	m := build(t, 1)
	tr, err := New(m, ds.Train, ds.Val, Config{Epochs: 3, Batch: 32, Seed: 1, Optim: optim.Config{LR: 3e-3}, Schedule: "cosine", Warmup: 1})
	if err != nil {
		t.Fatal(err)
	}
	var iters []IterationInfo
	var epochs []EpochMetrics
	var kinds []string
	tr.Callbacks = Callbacks{
		Iteration:  func(i IterationInfo) { iters = append(iters, i) },
		Epoch:      func(e EpochMetrics) { epochs = append(epochs, e) },
		Checkpoint: func(c *Checkpoint) error { kinds = append(kinds, c.Kind); return nil },
	}
	res, err := tr.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(iters) != 3*19 || iters[len(iters)-1].Iteration != 57 || iters[0].Batches != 19 {
		t.Fatalf("%d iterations reported, last %+v", len(iters), iters[len(iters)-1])
	}
	// Warm-up: the rate rises over the first epoch.
	if !(iters[0].LR < iters[10].LR && iters[10].LR < iters[18].LR) {
		t.Errorf("no warm-up: %v %v %v", iters[0].LR, iters[10].LR, iters[18].LR)
	}
	if len(epochs) != 3 || len(res.History) != 3 {
		t.Fatalf("%d epochs", len(epochs))
	}
	last := epochs[2]
	if !(last.TrainLoss < epochs[0].TrainLoss) || last.ValAcc < 0.5 || last.ImagesPerSec <= 0 || last.Seconds <= 0 {
		t.Errorf("did not learn: %+v", epochs)
	}
	if res.BestEpoch == 0 || res.BestValAcc < last.ValAcc-1e-12 && res.BestEpoch == 3 {
		t.Errorf("best epoch %d acc %v", res.BestEpoch, res.BestValAcc)
	}
	if kinds[0] != KindLast || !strings.Contains(strings.Join(kinds, ","), KindBest) {
		t.Errorf("checkpoints %v", kinds)
	}
	r, err := Evaluate(context.Background(), m, ds.Test, EvalOptions{Misclassified: 5, TopK: 2})
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, row := range r.Confusion {
		for _, v := range row {
			sum += v
		}
	}
	if sum != ds.Test.Len() || r.Acc < 0.5 || len(r.Misclassified) != 5 || len(r.Misclassified[0].Top) != 2 {
		t.Fatalf("eval: acc %v, confusion total %d, %d mistakes", r.Acc, sum, len(r.Misclassified))
	}
	if mk := r.Misclassified[0]; mk.Top[0].Class == mk.Label || mk.Top[0].Prob < mk.Top[1].Prob {
		t.Errorf("mistake %+v", mk)
	}
}

// TestResumeIsExact: stop a run mid-epoch at a periodic checkpoint, resume
// from it in a fresh model and optimizer, and compare with an uninterrupted
// run bit for bit.
func TestResumeIsExact(t *testing.T) {
	ds := sample(t)
	cfg := Config{Epochs: 2, Batch: 50, Seed: 3, Optimizer: "adam", CheckpointEvery: 5}
	full := build(t, 3)
	tr, _ := New(full, ds.Train, ds.Val, cfg)
	res, err := tr.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := hostCopy(full.State())

	// Interrupted: keep the checkpoint at iteration 15 (epoch 2, batch 3),
	// then cancel.
	ctx, cancel := context.WithCancel(context.Background())
	var kept *Checkpoint
	part := build(t, 3)
	tr2, _ := New(part, ds.Train, ds.Val, cfg)
	tr2.Callbacks.Checkpoint = func(c *Checkpoint) error {
		if c.Kind == KindLast && c.Iteration == 15 {
			kept = c
			cancel()
		}
		return nil
	}
	if _, err := tr2.Run(ctx, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("want a cancelled run, got %v", err)
	}
	if kept == nil || kept.Epoch != 1 || kept.Batch != 3 {
		t.Fatalf("checkpoint %+v", kept)
	}
	// Through the tensor encoding, as a project file stores it.
	ck, err := DecodeCheckpoint(KindLast, kept.Tensors())
	if err != nil {
		t.Fatal(err)
	}
	resumed := build(t, 99) // different initial weights: all must come from the checkpoint
	tr3, _ := New(resumed, ds.Train, ds.Val, cfg)
	res3, err := tr3.Run(context.Background(), ck)
	if err != nil {
		t.Fatal(err)
	}
	weightsEqual(t, want, hostCopy(resumed.State()))
	if res3.History[1].TrainLoss != res.History[1].TrainLoss || res3.History[1].ValAcc != res.History[1].ValAcc {
		t.Errorf("epoch 2 metrics differ: %+v vs %+v", res3.History[1], res.History[1])
	}
}

func TestExplodingLRStops(t *testing.T) {
	t.Run("exploded", func(t *testing.T) { testExplodingLR(t, 30, 0, "loss exploded to") })
	t.Run("nan", func(t *testing.T) { testExplodingLR(t, 1e36, -1, "loss became NaN") })
}

func testExplodingLR(t *testing.T, lr float32, factor float64, what string) {
	ds := sample(t)
	m := build(t, 1)
	tr, _ := New(m, ds.Train, nil, Config{Epochs: 3, Batch: 32, Seed: 1, Optimizer: "sgd", Optim: optim.Config{LR: lr}, ExplodeFactor: factor, CheckpointEvery: 1})
	var last *Checkpoint
	tr.Callbacks.Checkpoint = func(c *Checkpoint) error { last = c; return nil }
	_, err := tr.Run(context.Background(), nil)
	var de *DivergedError
	if !errors.As(err, &de) {
		t.Fatalf("want a DivergedError, got %v", err)
	}
	t.Log(err)
	if !strings.Contains(err.Error(), what) || !strings.Contains(err.Error(), "is probably too high or the initialisation is bad") ||
		!strings.Contains(err.Error(), "last good checkpoint is kept") {
		t.Fatalf("message: %v", err)
	}
	// The kept checkpoint evaluates to finite numbers.
	good := build(t, 5)
	ws, _ := toTensors(last.Weights)
	if err := good.LoadState(ws); err != nil {
		t.Fatal(err)
	}
	r, err := Evaluate(context.Background(), good, ds.Test, EvalOptions{})
	if err != nil || math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
		t.Fatalf("last good checkpoint: %v, loss %v", err, r.Loss)
	}
}
