package runs

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/interop/pytorch"
	"github.com/workbench-cv/workbench/engine/train"
)

// TorchrunOptions say how [Torchrun] trains a prepared run.
type TorchrunOptions struct {
	// Dir keeps the exported model.py, train.py, weights and data; "" uses
	// a temporary folder removed afterwards.
	Dir string
	// Header heads the exported model.py (what the model is).
	Header string
	// Launch says how torchrun runs (processes, nodes, device, threads);
	// Torchrun sets its Dir and OnEpoch.
	Launch pytorch.LaunchOptions
	// Exported, if set, is called once the export is written, before
	// torchrun starts.
	Exported func(dir string)
	// OnEpoch is called with each epoch as rank 0 reports it, in the
	// engine's terms and as torch reported it, on the caller's goroutine.
	OnEpoch func(m train.EpochMetrics, e pytorch.Epoch)
}

// ExportError says that a run cannot be exported to PyTorch as set up (an
// augmentation or layer train.py does not have): bad input, not a failure.
type ExportError struct{ Err error }

func (e *ExportError) Error() string { return "cannot train this run under torchrun: " + e.Err.Error() }
func (e *ExportError) Unwrap() error { return e.Err }

// TorchrunResult is a finished torchrun run, its weights loaded back.
type TorchrunResult struct {
	// Torch is what torchrun reported (PyTorch's own test figures, world
	// size, device).
	Torch   *pytorch.Result
	History []train.EpochMetrics
	// Weights are the trained weights, already loaded into the prepared
	// model.
	Weights map[string]train.Tensor
}

// Result is the run as the engine's trainer would report it.
func (r *TorchrunResult) Result() *train.Result {
	return &train.Result{History: r.History, TrainImagesPerSec: r.Torch.ImagesPerSec, Iterations: r.Torch.Iterations}
}

// Device says where the run trained, for the run history.
func (r *TorchrunResult) Device() string {
	return fmt.Sprintf("torchrun (%d processes, %s)", r.Torch.WorldSize, r.Torch.Device)
}

// Torchrun trains the prepared run pr (built from g) with PyTorch DDP under
// torchrun, the same data, optimizer, schedule and preprocessing as a local
// run: it exports the run, launches torchrun, streams the epochs to
// opt.OnEpoch and loads the trained weights back into pr.Model. Cancelling
// ctx stops every process. Both the train command and the Train pane call it.
func Torchrun(ctx context.Context, pr *Prepared, g graph.Graph, opt TorchrunOptions) (*TorchrunResult, error) {
	dir := opt.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "workbench-torchrun-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	input := []int{pr.Train.C, pr.Train.H, pr.Train.W}
	if _, err := pytorch.ExportTraining(dir, g, input, pr.Model.State(), pr.Config,
		pytorch.Splits{Train: pr.Train, Val: pr.Val, Test: pr.Test}, opt.Header); err != nil {
		return nil, &ExportError{err}
	}
	if opt.Exported != nil {
		opt.Exported(dir)
	}
	out := &TorchrunResult{}
	lo := opt.Launch
	lo.Dir = dir
	lo.OnEpoch = func(e pytorch.Epoch) {
		m := train.EpochMetrics{Epoch: e.Epoch, TrainLoss: e.TrainLoss, TrainAcc: e.TrainAcc, ValLoss: e.ValLoss,
			ValAcc: e.ValAcc, ImagesPerSec: e.ImagesPerSec, Seconds: e.Seconds}
		out.History = append(out.History, m)
		if opt.OnEpoch != nil {
			opt.OnEpoch(m, e)
		}
	}
	res, err := pytorch.Launch(ctx, lo)
	if err != nil && ctx.Err() != nil {
		return nil, ctx.Err() // stopped by hand, whatever the killed process said
	}
	if err != nil {
		return nil, err
	}
	out.Torch = res
	w, err := pytorch.ReadWeights(res.Weights)
	if err != nil {
		return nil, err
	}
	out.Weights = make(map[string]train.Tensor, len(w))
	for name, v := range w {
		out.Weights[name] = train.Tensor{Shape: v.Shape, Data: v.Data}
	}
	loaded, skipped := train.LoadMatching(pr.Model, out.Weights)
	if len(skipped) > 0 || len(loaded) != len(pr.Model.State()) {
		return nil, fmt.Errorf("the weights torchrun wrote do not fit the model (%d loaded, missing or mismatched: %s)", len(loaded), strings.Join(skipped, ", "))
	}
	return out, nil
}

// Torchrun records a torchrun run's trained weights as its last checkpoint
// (the project's weights; no optimizer state) and where it trained; when
// the run finishes, its notes say so and give PyTorch's test accuracy.
func (r *Recorder) Torchrun(res *TorchrunResult, seed int64) {
	ck := &train.Checkpoint{Kind: train.KindLast, Epoch: len(res.History), Seed: seed, Weights: res.Weights,
		Optim: map[string]train.Tensor{}, History: res.History}
	r.Checkpoint(ck)
	if run := r.Run(); run != nil {
		run.Device = res.Device()
	}
	note := fmt.Sprintf("Trained by PyTorch DDP under %s", res.Device())
	if res.Torch.TestAcc > 0 {
		note += fmt.Sprintf(", which measured %.2f%% test accuracy", 100*res.Torch.TestAcc)
	}
	r.notes = append(r.notes, note+"; its optimizer state stayed there, so the run cannot be continued, only trained again from its weights.")
}
