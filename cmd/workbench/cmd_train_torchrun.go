package main

import (
	"errors"
	"fmt"
	"path/filepath"
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
// and brings the trained weights back into the model and the project
// (runs.Torchrun, as the Train pane does).
func (j *trainJob) trainTorchrun(c *Ctx, pr *prepared) (*train.Result, error) {
	tf := torchrunFlagsOf(c)
	j.record(pr)
	epochs := j.s.Hyper.Epochs
	start := time.Now()
	tr, err := runs.Torchrun(c.Context, pr.Prepared, j.g, runs.TorchrunOptions{
		Dir:    tf.dir,
		Header: fmt.Sprintf("%s trained on %s by torchrun", modelLabel(j), j.df.Spec()),
		Launch: pytorch.LaunchOptions{NProc: tf.nproc, NNodes: tf.nnodes, NodeRank: tf.nodeRank, Rdzv: tf.rdzv,
			Device: tf.torchDevice, Threads: tf.threads},
		Exported: func(dir string) {
			c.Logf("exported to %s; starting torchrun with %d process(es) per node", dir, max(tf.nproc, 1))
		},
		OnEpoch: func(m train.EpochMetrics, e pytorch.Epoch) {
			c.Logf("epoch %d/%d (torchrun, %d processes): train loss %.4f acc %.4f, val acc %.4f", e.Epoch, epochs, e.WorldSize, e.TrainLoss, e.TrainAcc, e.ValAcc)
			c.Emit("epoch", map[string]any{"epoch": e.Epoch, "train_loss": e.TrainLoss, "train_acc": e.TrainAcc,
				"val_loss": e.ValLoss, "val_acc": e.ValAcc, "images_per_sec": e.ImagesPerSec, "seconds": e.Seconds,
				"backend": "torchrun", "world_size": e.WorldSize})
			if j.rec != nil {
				j.rec.Run().Epochs = append(j.rec.Run().Epochs, runs.ProjectEpochs([]train.EpochMetrics{m})...)
			}
		}})
	var ee *runs.ExportError
	if errors.As(err, &ee) {
		return nil, usageErrorf("%v", err)
	}
	if err != nil {
		return nil, j.failed(c, err)
	}
	if j.rec != nil {
		j.rec.Torchrun(tr, j.s.Hyper.Seed)
	}
	j.torch = tr.Torch
	if tr.Torch.Seconds == 0 {
		tr.Torch.Seconds = time.Since(start).Seconds()
	}
	return tr.Result(), nil
}

func modelLabel(j *trainJob) string {
	if j.modelName != "" {
		return j.modelName
	}
	return filepath.Base(j.savePath)
}
