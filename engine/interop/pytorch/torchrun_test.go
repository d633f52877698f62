package pytorch

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/augment"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/tensor"
	"github.com/workbench-cv/workbench/engine/train"
)

// TestTorchrunDDPTrainsAndComesBack: a 2-process DDP run (gloo, CPU) of an
// exported model trains one epoch on the sample dataset, reports its epoch
// metrics as they come, and its weights, read back into our model, give the
// test accuracy PyTorch reported.
func TestTorchrunDDPTrainsAndComesBack(t *testing.T) {
	torchref.Require(t)
	if testing.Short() {
		t.Skip("short: starts torchrun")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ds, err := data.Load(ctx, data.SpecSample, data.Options{LimitTrain: 1200, LimitTest: 400, Val: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := data.FitStats(ds.Train, data.NormChannelStd, data.StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	input := []int{ds.Train.C, ds.Train.H, ds.Train.W}
	g, err := models.Graph("ref-cnn", input, len(ds.Train.Classes))
	if err != nil {
		t.Fatal(err)
	}
	b := cpu.New()
	m, err := nn.Build(g, input, b, 5, "default")
	if err != nil {
		t.Fatal(err)
	}
	aug, err := augment.Parse("flip")
	if err != nil {
		t.Fatal(err)
	}
	cfg := train.Config{Optimizer: "adam", Optim: optim.Config{LR: 2e-3, WeightDecay: 1e-4}, Schedule: "cosine",
		Epochs: 1, Batch: 64, Seed: 3, Stats: stats, Augment: aug, LabelSmoothing: 0.05}
	dir := t.TempDir()
	if _, err := ExportTraining(dir, g, input, m.State(), cfg, Splits{ds.Train, ds.Val, ds.Test}, "ref-cnn on the sample"); err != nil {
		t.Fatal(err)
	}
	var seen []Epoch
	res, err := Launch(ctx, LaunchOptions{Dir: dir, NProc: 2, Device: "cpu", Threads: 1,
		OnEpoch: func(e Epoch) { seen = append(seen, e) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || seen[0].WorldSize != 2 || res.WorldSize != 2 {
		t.Fatalf("want one epoch from 2 processes, got %+v (result %+v)", seen, res)
	}
	t.Logf("torch: epoch %+v; test acc %.4f loss %.4f", seen[0], res.TestAcc, res.TestLoss)
	if seen[0].TrainAcc < 0.3 || res.TestAcc < 0.5 {
		t.Fatalf("one epoch of DDP did not learn: train acc %.3f, test acc %.3f", seen[0].TrainAcc, res.TestAcc)
	}
	w, err := ReadWeights(res.Weights)
	if err != nil {
		t.Fatal(err)
	}
	st := map[string]*tensor.Tensor{}
	for name, v := range w {
		st[name] = tensor.FromData(b, v.Data, v.Shape...)
	}
	before := m.State()["fc2.weight"].Data()[0]
	if err := m.LoadState(st); err != nil {
		t.Fatal(err)
	}
	if m.State()["fc2.weight"].Data()[0] == before {
		t.Fatal("the trained weights equal the initial ones")
	}
	ev, err := train.Evaluate(ctx, m, ds.Test, train.EvalOptions{Stats: stats})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ours on PyTorch's weights: test acc %.4f loss %.4f", ev.Acc, ev.Loss)
	if math.Abs(ev.Acc-res.TestAcc) > 0.001 || math.Abs(ev.Loss-res.TestLoss) > 1e-3 {
		t.Fatalf("our evaluation of the trained weights gives acc %.4f loss %.5f, PyTorch reported %.4f, %.5f", ev.Acc, ev.Loss, res.TestAcc, res.TestLoss)
	}
}
