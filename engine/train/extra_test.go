package train

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
)

// A paused run takes no step until it is resumed.
func TestPauseHoldsTheRun(t *testing.T) {
	ds := sample(t)
	tr, _ := New(build(t, 1), ds.Train, nil, Config{Epochs: 1, Batch: 100, Seed: 1})
	iters := make(chan int, 100)
	tr.Callbacks.Iteration = func(i IterationInfo) { iters <- i.Iteration }
	tr.Pause()
	if !tr.Paused() {
		t.Fatal("not paused")
	}
	done := make(chan error, 1)
	go func() { _, err := tr.Run(context.Background(), nil); done <- err }()
	select {
	case i := <-iters:
		t.Fatalf("iteration %d ran while paused", i)
	case err := <-done:
		t.Fatalf("run ended while paused: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	tr.Resume()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(iters) != 6 {
		t.Fatalf("%d iterations after resuming, want 6", len(iters))
	}
}

func TestLayerStats(t *testing.T) {
	ds := sample(t)
	tr, _ := New(build(t, 1), ds.Train, nil, Config{Epochs: 1, Batch: 100, Seed: 1, LayerStatsEvery: 3})
	var calls []int
	var first []LayerStats
	tr.Callbacks.LayerStats = func(it int, s []LayerStats) {
		calls = append(calls, it)
		if first == nil {
			first = s
		}
	}
	if _, err := tr.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 || calls[0] != 1 || calls[1] != 4 {
		t.Fatalf("statistics after iterations %v, want [1 4]", calls)
	}
	byNode := map[string]LayerStats{}
	for _, s := range first {
		byNode[s.Node] = s
	}
	relu, conv := byNode["relu1"], byNode["conv1"]
	if relu.Zero <= 0.05 || relu.Zero >= 0.95 || relu.Mean <= 0 {
		t.Errorf("relu1: %+v", relu)
	}
	total := 0
	for _, c := range relu.Hist.Counts {
		total += c
	}
	if total != 100*8*28*28 {
		t.Errorf("relu1 histogram counts %d values", total)
	}
	if !conv.HasWeight || conv.UpdateRatio <= 0 || conv.UpdateRatio > 1 || conv.WeightStd <= 0 || conv.GradStd <= 0 {
		t.Errorf("conv1: %+v", conv)
	}
	if relu.HasWeight {
		t.Errorf("relu has no weights: %+v", relu)
	}
}

func TestEnsembleAndTTA(t *testing.T) {
	ds := sample(t)
	m := build(t, 1)
	tr, _ := New(m, ds.Train, nil, Config{Epochs: 1, Batch: 50, Seed: 1, Optim: optim.Config{LR: 3e-3}})
	if _, err := tr.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	one, err := Evaluate(ctx, m, ds.Test, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// An ensemble of one model with itself predicts what the model does.
	two, err := EvaluateEnsemble(ctx, []*nn.Model{m, m}, ds.Test, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if two.Acc != one.Acc || math.Abs(two.Loss-one.Loss) > 1e-6 {
		t.Fatalf("self-ensemble %v/%v, model %v/%v", two.Acc, two.Loss, one.Acc, one.Loss)
	}
	// With a different model the average differs from both.
	other := build(t, 2)
	mix, err := EvaluateEnsemble(ctx, []*nn.Model{m, other}, ds.Test, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if mix.Loss == one.Loss {
		t.Fatal("ensemble with another model changed nothing")
	}
	tta, err := Evaluate(ctx, m, ds.Test, EvalOptions{TTA: true, TTAFlips: true})
	if err != nil {
		t.Fatal(err)
	}
	if tta.N != one.N || tta.Loss == one.Loss || tta.Acc < 0.3 {
		t.Fatalf("TTA %+v vs %+v", tta.Acc, one.Acc)
	}
}

func TestFreezeAndLoadMatching(t *testing.T) {
	ds := sample(t)
	src := build(t, 1)
	dst := build(t, 2)
	loaded, skipped := LoadMatching(dst, hostCopy(src.State()))
	if len(loaded) != 6 || len(skipped) != 0 {
		t.Fatalf("loaded %v skipped %v", loaded, skipped)
	}
	before := dst.State()["conv1.weight"].Data()
	tr, _ := New(dst, ds.Train, nil, Config{Epochs: 1, Batch: 100, Seed: 1, Freeze: []string{"conv1", "conv2"}})
	if _, err := tr.Run(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	after := dst.State()
	for i, v := range after["conv1.weight"].Data() {
		if v != before[i] {
			t.Fatal("a frozen layer moved")
		}
	}
	if after["fc.weight"].Data()[0] == src.State()["fc.weight"].Data()[0] {
		t.Fatal("the classifier did not train")
	}
	if _, err := New(dst, ds.Train, nil, Config{Freeze: []string{"nope"}}); err != nil {
		t.Fatal(err) // New does not know the layers; Run reports it
	}
	tr, _ = New(dst, ds.Train, nil, Config{Freeze: []string{"nope"}})
	if _, err := tr.Run(context.Background(), nil); err == nil {
		t.Fatal("freezing an unknown layer accepted")
	}
}
