package main

import (
	"math"
	"time"

	"github.com/workbench-cv/workbench/engine/train"
)

// report evaluates the test split, finishes the run in the project and
// writes the "done" event.
func (j *trainJob) report(c *Ctx, pr *prepared, res *train.Result) error {
	ds := pr.ds
	done := map[string]any{"epochs": len(res.History), "device": pr.Backend.Name(), "device_name": pr.Backend.Describe(),
		"params": pr.Model.Analysis.Params, "train_images_per_sec": res.TrainImagesPerSec, "iterations": res.Iterations,
		"train": ds.Train.Len(), "val": ds.Val.Len(), "test": ds.Test.Len()}
	if j.modelName != "" { // a zoo model (--project and --resume take none)
		done["model"] = j.modelName
	}
	if len(res.History) > 0 {
		last := res.History[len(res.History)-1]
		done["train_loss"], done["train_acc"], done["val_loss"], done["val_acc"] = last.TrainLoss, last.TrainAcc, last.ValLoss, last.ValAcc
		secs := 0.0
		for _, e := range res.History {
			secs += e.Seconds
		}
		done["seconds"] = secs
	}
	if res.BestEpoch > 0 {
		done["best_epoch"], done["best_val_acc"] = res.BestEpoch, res.BestValAcc
	}
	if res.EarlyStopped {
		done["early_stopped"] = true
	}
	done["test_acc"], done["test_loss"] = math.NaN(), math.NaN()
	if ds.Test.Len() > 0 {
		ev, err := train.Evaluate(c.Context, pr.Model, ds.Test, train.EvalOptions{Stats: pr.Stats, Loss: pr.Config.Loss, TTA: j.tta, TTAFlips: true})
		if err != nil {
			return err
		}
		done["test_acc"], done["test_loss"] = ev.Acc, ev.Loss
		if j.rec != nil {
			j.rec.Tested(ev)
		}
	}
	if t := j.torch; t != nil {
		done["backend"], done["device"], done["world_size"] = "torchrun", t.Device, t.WorldSize
		done["torch_test_acc"], done["torch_test_loss"] = t.TestAcc, t.TestLoss
	}
	// The same diagnosis as the app's, from the curves and the settings
	// (the command takes no layer statistics).
	done["diagnosis"] = train.DiagnoseRun(train.Evidence{Epochs: res.History, Optimizer: j.s.Hyper.Optimizer, LR: j.s.Hyper.LR,
		Adversarial: pr.tr.Config.Adversarial != nil}).Message
	if j.rec != nil {
		j.rec.Finish(res, nil, time.Now().UTC())
		if err := j.save(); err != nil {
			return err
		}
		done["project"] = j.savePath
		done["run"] = j.rec.ID
	}
	c.Done(done)
	return nil
}
