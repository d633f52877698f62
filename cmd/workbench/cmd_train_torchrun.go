package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/interop/pytorch"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/runs"
)

// torchrunFlags are the flags of train --backend torchrun.
type torchrunFlags struct {
	nproc, nnodes, nodeRank int
	rdzv, torchDevice, dir  string
	threads                 int
}

func torchrunFlagsOf(c *Ctx) torchrunFlags {
	return torchrunFlags{nproc: flagInt(c, "nproc"), nnodes: flagInt(c, "nnodes"), nodeRank: flagInt(c, "node-rank"),
		rdzv: flagStr(c, "rdzv"), torchDevice: flagStr(c, "torch-device"), dir: flagStr(c, "export-dir"), threads: c.Threads}
}

// checkBackend validates --backend and its companions before any work.
func checkBackend(c *Ctx, j *trainJob) error {
	switch b := flagStr(c, "backend"); b {
	case "", "local":
		for _, f := range []string{"nproc", "nnodes", "node-rank", "rdzv", "torch-device", "export-dir"} {
			if j.set[f] {
				return usageErrorf("--%s belongs to --backend torchrun", f)
			}
		}
		return nil
	case "torchrun":
		tf := torchrunFlagsOf(c)
		switch {
		case j.resumePath != "":
			return usageErrorf("--resume continues a run trained here; a torchrun run starts from the model's weights (use --from FILE to start from a saved project's)")
		case tf.nproc < 1 || tf.nproc > 1024:
			return usageErrorf("--nproc %d: give 1 to 1024 processes per node", tf.nproc)
		case tf.nnodes > 1 && tf.rdzv == "":
			return usageErrorf("--nnodes %d needs --rdzv HOST:PORT, the rendezvous endpoint every node can reach", tf.nnodes)
		case tf.nodeRank < 0 || (tf.nnodes > 0 && tf.nodeRank >= tf.nnodes):
			return usageErrorf("--node-rank %d must be in [0, --nnodes)", tf.nodeRank)
		case tf.torchDevice != "auto" && tf.torchDevice != "cpu" && tf.torchDevice != "cuda":
			return usageErrorf("--torch-device %q: use auto, cpu or cuda", tf.torchDevice)
		}
		return nil
	default:
		return usageErrorf("--backend %q: use local (this engine) or torchrun (PyTorch DDP)", b)
	}
}

// trainTorchrun exports the prepared run to PyTorch, trains it under
// torchrun with the epochs streamed as events and into the run's history,
// and brings the trained weights back into the model and the project.
func (j *trainJob) trainTorchrun(c *Ctx, pr *prepared) (*train.Result, error) {
	tf := torchrunFlagsOf(c)
	j.record(pr)
	dir := tf.dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "workbench-torchrun-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	input := []int{pr.Train.C, pr.Train.H, pr.Train.W}
	header := fmt.Sprintf("%s trained on %s by torchrun", modelLabel(j), j.df.Spec())
	if _, err := pytorch.ExportTraining(dir, j.g, input, pr.Model.State(), pr.Config,
		pytorch.Splits{Train: pr.Train, Val: pr.Val, Test: pr.Test}, header); err != nil {
		return nil, usageErrorf("cannot train this run under torchrun: %v", err)
	}
	c.Logf("exported to %s; starting torchrun with %d process(es) per node", dir, max(tf.nproc, 1))
	var history []train.EpochMetrics
	epochs := j.s.Hyper.Epochs
	start := time.Now()
	res, err := pytorch.Launch(c.Context, pytorch.LaunchOptions{Dir: dir, NProc: tf.nproc, NNodes: tf.nnodes,
		NodeRank: tf.nodeRank, Rdzv: tf.rdzv, Device: tf.torchDevice, Threads: tf.threads,
		OnEpoch: func(e pytorch.Epoch) {
			m := train.EpochMetrics{Epoch: e.Epoch, TrainLoss: e.TrainLoss, TrainAcc: e.TrainAcc, ValLoss: e.ValLoss,
				ValAcc: e.ValAcc, ImagesPerSec: e.ImagesPerSec, Seconds: e.Seconds}
			history = append(history, m)
			c.Logf("epoch %d/%d (torchrun, %d processes): train loss %.4f acc %.4f, val acc %.4f", e.Epoch, epochs, e.WorldSize, e.TrainLoss, e.TrainAcc, e.ValAcc)
			c.Emit("epoch", map[string]any{"epoch": e.Epoch, "train_loss": e.TrainLoss, "train_acc": e.TrainAcc,
				"val_loss": e.ValLoss, "val_acc": e.ValAcc, "images_per_sec": e.ImagesPerSec, "seconds": e.Seconds,
				"backend": "torchrun", "world_size": e.WorldSize})
			if j.rec != nil {
				j.rec.Run().Epochs = append(j.rec.Run().Epochs, runs.ProjectEpochs([]train.EpochMetrics{m})...)
			}
		}})
	if err != nil {
		return nil, j.failed(c, err)
	}
	if err := j.loadTorchWeights(pr, res, history); err != nil {
		return nil, j.failed(c, err)
	}
	j.torch = res
	tr := &train.Result{History: history, TrainImagesPerSec: res.ImagesPerSec, Iterations: res.Iterations}
	if res.Seconds == 0 {
		res.Seconds = time.Since(start).Seconds()
	}
	return tr, nil
}

// loadTorchWeights reads the weights train.py wrote into the model and
// records them in the project as the run's last checkpoint.
func (j *trainJob) loadTorchWeights(pr *prepared, res *pytorch.Result, history []train.EpochMetrics) error {
	w, err := pytorch.ReadWeights(res.Weights)
	if err != nil {
		return err
	}
	ws := make(map[string]train.Tensor, len(w))
	for name, v := range w {
		ws[name] = train.Tensor{Shape: v.Shape, Data: v.Data}
	}
	loaded, skipped := train.LoadMatching(pr.Model, ws)
	if len(skipped) > 0 || len(loaded) != len(pr.Model.State()) {
		return fmt.Errorf("the weights torchrun wrote do not fit the model (%d loaded, missing or mismatched: %s)", len(loaded), strings.Join(skipped, ", "))
	}
	if j.rec != nil {
		ck := &train.Checkpoint{Kind: train.KindLast, Epoch: len(history), Seed: j.s.Hyper.Seed, Weights: ws,
			Optim: map[string]train.Tensor{}, History: history}
		j.rec.Checkpoint(ck)
		run := j.rec.Run()
		run.Device = fmt.Sprintf("torchrun (%d processes, %s)", res.WorldSize, res.Device)
		run.Notes = strings.TrimSpace(run.Notes + " Trained by PyTorch DDP under torchrun; its optimizer state stays there, so continue it with --from, not --resume.")
	}
	return nil
}

func modelLabel(j *trainJob) string {
	if j.modelName != "" {
		return j.modelName
	}
	return filepath.Base(j.savePath)
}
