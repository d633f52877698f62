package train

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
)

// Adam moves each weight by about the rate at first, so a wide fully
// connected layer's update ratio is high from the first step. With the
// loss falling and no unit dead that alone is not "too high"; with the
// loss flat, or under SGD, it is.
func TestDiagnoseRunReadsAdamsRatiosWithTheLoss(t *testing.T) {
	h := []EpochMetrics{{Epoch: 1, TrainLoss: 2.26, TrainAcc: 0.137, ValAcc: 0.40}}
	fc := []LayerStats{{Node: "relu3", Op: "relu", Zero: 0.5, Dead: 0.05}, {Node: "fc1", Op: "linear", HasWeight: true, UpdateRatio: 0.08}}
	falling := []float64{2.31, 2.29, 2.27, 2.24, 2.2, 2.15}
	d := DiagnoseRun(Evidence{Epochs: h, Layers: fc, Optimizer: "adam", LR: 1e-3, Losses: falling})
	if d.Kind == "lr-too-high" || strings.Contains(d.Message, "too high") {
		t.Fatalf("Adam 0.001 with the loss falling: %+v", d)
	}
	if !strings.Contains(strings.Join(d.Reasons, " "), "fc1's updates are 0.08") || !strings.Contains(strings.Join(d.Reasons, " "), "Adam moves each weight") {
		t.Errorf("the ratio is not among the reasons, explained: %q", d.Reasons)
	}
	// Before the first epoch ends: the loss alone.
	if d := DiagnoseRun(Evidence{Layers: fc, Optimizer: "adam", LR: 1e-3, Losses: falling}); d.Kind != "still-learning" {
		t.Errorf("during epoch 1: %+v", d)
	}
	flat := []float64{2.3, 2.31, 2.3, 2.32, 2.3, 2.31}
	if d := DiagnoseRun(Evidence{Epochs: h, Layers: fc, Optimizer: "adam", LR: 1e-3, Losses: flat}); d.Kind != "lr-too-high" {
		t.Errorf("a flat loss with Adam: %+v", d)
	}
	if d := DiagnoseRun(Evidence{Epochs: h, Layers: fc, Optimizer: "sgd", LR: 1e-3, Losses: falling}); d.Kind != "lr-too-high" {
		t.Errorf("SGD: %+v", d)
	}
	// No losses and one epoch (the finder's trials): the ratio decides.
	if d := DiagnoseRun(Evidence{Layers: fc, Optimizer: "adam", LR: 1e-3}); d.Kind != "lr-too-high" {
		t.Errorf("no loss evidence: %+v", d)
	}
}

// The run of the issue: the sample's network, Adam at its default 0.001,
// one short epoch on 300 images. It learns; the diagnosis must not tell
// the user to lower the rate.
func TestAdamAtItsDefaultRateIsNotTooHighAfterOneEpoch(t *testing.T) {
	full, err := data.Load(context.Background(), "sample", data.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	trainSet, val := data.BalancedSubset(full.Train, 270, 1), data.BalancedSubset(full.Test, 100, 1)
	m, err := nn.Build(sampleCNN(), nil, cpu.New(), 1, "default")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(m, trainSet, val, Config{Epochs: 1, Batch: 64, Seed: 1, Optimizer: "adam", Optim: optim.Config{LR: 1e-3}, LayerStatsEvery: 1})
	if err != nil {
		t.Fatal(err)
	}
	var losses []float64
	var last []LayerStats
	series := map[string][]float64{}
	tr.Callbacks.Iteration = func(it IterationInfo) { losses = append(losses, it.Loss) }
	tr.Callbacks.LayerStats = func(_ int, s []LayerStats) {
		last = s
		for _, l := range s {
			if l.HasWeight {
				series[l.Node] = append(series[l.Node], l.UpdateRatio)
			}
		}
	}
	res, err := tr.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	ratios := map[string]float64{} // the typical (median) ratio, as the app keeps it
	for n, s := range series {
		sort.Float64s(s)
		ratios[n] = s[len(s)/2]
	}
	d := DiagnoseRun(Evidence{Epochs: res.History, Layers: last, Ratios: ratios, Optimizer: "adam", LR: 1e-3, Losses: losses})
	t.Logf("losses %.3g; ratios %v; %s: %s", losses, ratios, d.Kind, d.Message)
	if !lossFalls(losses) {
		t.Fatalf("the loss did not fall over the epoch: %.3g", losses)
	}
	if d.Kind == "lr-too-high" || d.Kind == "dead-units" || d.Kind == "diverged" {
		t.Fatalf("Adam at 0.001 after one epoch: %s: %s", d.Kind, d.Message)
	}
}
