package train

import (
	"context"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
)

// residualCNN is a small net whose first activation feeds two ops (a
// convolution and a residual sum), so its gradient is a sum of two.
func residualCNN() graph.Graph {
	return graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 1, "height": 28, "width": 28}},
		{ID: "conv1", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 8, "kernel": 3, "pad": 1, "bias": 1}},
		{ID: "relu1", Op: "relu", Inputs: []string{"conv1"}},
		{ID: "conv2", Op: "conv2d", Inputs: []string{"relu1"}, Attrs: map[string]float64{"out": 8, "kernel": 3, "pad": 1, "bias": 1}},
		{ID: "sum", Op: "add", Inputs: []string{"conv2", "relu1"}},
		{ID: "relu2", Op: "relu", Inputs: []string{"sum"}},
		{ID: "pool", Op: "maxpool2d", Inputs: []string{"relu2"}, Attrs: map[string]float64{"kernel": 2, "stride": 2}},
		{ID: "flatten", Op: "flatten", Inputs: []string{"pool"}},
		{ID: "fc", Op: "linear", Inputs: []string{"flatten"}, Attrs: map[string]float64{"out": 10, "bias": 1}},
	}}
}

// TestTrainingStepsLeaveNothingLive: after training, the CPU backend's
// live buffers are the model's weights and gradients and the optimizer's
// state, whatever the number of steps: each step's activations, saved
// tensors and intermediate gradients went back to the backend (a summed
// gradient used to be dropped for the garbage collector every step).
func TestTrainingStepsLeaveNothingLive(t *testing.T) {
	ds := sample(t)
	liveAfter := func(epochs int) int64 {
		// From an empty pool: the buffer a run keeps (its gradients) is
		// otherwise of whichever class the earlier tests left free.
		cpu.Trim()
		m, err := nn.Build(residualCNN(), nil, cpu.New(), 3, "default")
		if err != nil {
			t.Fatal(err)
		}
		live0 := cpu.Mem().Live
		tr, err := New(m, ds.Train, nil, Config{Epochs: epochs, Batch: 50, Seed: 3, Optimizer: "adam"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Run(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		return cpu.Mem().Live - live0
	}
	one, three := liveAfter(1), liveAfter(3)
	if one != three {
		t.Errorf("live bytes after training grew with the steps: %d after 1 epoch, %d after 3", one, three)
	}
}

// TestLRSweepsLeaveNothingLive: the learning-rate finder's sweep and its
// validation trial hand every step's graph and batch back to the backend
// (they used to drop them for the garbage collector, a step's activations
// at every iteration), so the live bytes after them do not grow with the
// iterations.
func TestLRSweepsLeaveNothingLive(t *testing.T) {
	ds := sample(t)
	liveAfter := func(steps int) int64 {
		cpu.Trim()
		m, err := nn.Build(residualCNN(), nil, cpu.New(), 3, "default")
		if err != nil {
			t.Fatal(err)
		}
		live0 := cpu.Mem().Live
		cfg := LRFinderConfig{Batch: 50, Steps: steps, Lo: 1e-5, Hi: 1e-2, Seed: 3}
		if _, err := FindLR(context.Background(), m, ds.Train, cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := ValidateLR(context.Background(), m, ds.Train, cfg, 1e-3, steps, 1); err != nil {
			t.Fatal(err)
		}
		return cpu.Mem().Live - live0
	}
	few, more := liveAfter(4), liveAfter(12)
	if few != more {
		t.Errorf("live bytes after the sweeps grew with the iterations: %d after 4, %d after 12", few, more)
	}
	// A sweep that ends early (the loss past 4x its best, or diverged)
	// hands back its last step too.
	sweep := func(hi float64, steps int) (int64, int) {
		m, err := nn.Build(residualCNN(), nil, cpu.New(), 3, "default")
		if err != nil {
			t.Fatal(err)
		}
		live0 := cpu.Mem().Live
		r, err := FindLR(context.Background(), m, ds.Train, LRFinderConfig{Batch: 50, Steps: steps, Lo: 1e-5, Hi: hi, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		return cpu.Mem().Live - live0, len(r.LRs)
	}
	full, n := sweep(1e-2, 12)
	early, ne := sweep(1e6, 60)
	if n != 12 || ne >= 59 {
		t.Fatalf("sweeps ran %d of 12 and %d of 60 steps; the second should stop early", n, ne)
	}
	if early != full {
		t.Errorf("live bytes after a sweep that stopped early at step %d: %d, after a whole sweep %d", ne, early, full)
	}
}
