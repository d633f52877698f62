package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
)

// record sets up the project the run is saved in (--save, or the resumed
// file): architecture, dataset, settings, statistics, and the run in its
// history.
func (j *trainJob) record(pr *prepared) {
	if j.savePath == "" {
		return
	}
	if j.proj == nil {
		j.proj = projects.New(strings.TrimSuffix(baseName(j.savePath), projects.Extension))
	}
	p, ds, h := j.proj, pr.ds, j.s.Hyper
	p.Graph = j.g
	p.Dataset = projects.DatasetRef{Spec: j.df.Spec(), LimitTrain: *j.df.limitTrain, LimitTest: *j.df.limitTest, Val: *j.df.val,
		C: ds.Train.C, H: ds.Train.H, W: ds.Train.W, Classes: ds.Train.Classes}
	j.s.Store(p)
	runs.StoreStats(p, pr.Stats)
	if j.resumed != nil {
		j.rec = runs.Continue(p, j.resumed, j.resume, h.Epochs)
	} else {
		j.rec = runs.Begin(p, j.name, h, time.Now().UTC())
	}
	r := j.rec.Run()
	r.Device = pr.Backend.Name()
	r.Hyper = h
	r.Adversarial = runs.AdversarialOf(pr.tr.Config.Adversarial)
	pr.tr.Config.CheckpointEvery = j.checkpointEvery
	pr.tr.Config.CheckpointInterval = time.Duration(j.checkpointSecs * float64(time.Second))
}

// save writes the project file.
func (j *trainJob) save() error {
	j.proj.Modified = time.Now().UTC()
	return saveFailure(projects.SaveWith(j.proj, j.savePath, projects.SaveOptions{Overwrite: j.force}))
}

// train runs the trainer with progress, JSON epoch events and, when
// saving, checkpoints into the project.
func (j *trainJob) train(c *Ctx, pr *prepared) (*train.Result, error) {
	j.record(pr)
	tr, epochs := pr.tr, j.s.Hyper.Epochs
	var progress *Progress
	progressEpoch := 0
	tr.Callbacks.Iteration = func(it train.IterationInfo) {
		if progressEpoch != it.Epoch {
			if progress != nil {
				progress.Finish()
			}
			progress = c.Progress(fmt.Sprintf("epoch %d/%d", it.Epoch, epochs), it.Batches)
			progressEpoch = it.Epoch
		}
		progress.Set(it.Batch)
		if j.rec != nil {
			j.rec.Loss(it.Loss)
		}
		if trainIterationHook != nil {
			trainIterationHook(it)
		}
	}
	tr.Callbacks.Epoch = func(e train.EpochMetrics) {
		if progress != nil {
			progress.Finish()
			progress, progressEpoch = nil, 0
		}
		c.Emit("epoch", map[string]any{"epoch": e.Epoch, "train_loss": e.TrainLoss, "train_acc": e.TrainAcc,
			"val_loss": e.ValLoss, "val_acc": e.ValAcc, "images_per_sec": e.ImagesPerSec, "seconds": e.Seconds, "lr": e.LR})
	}
	if j.rec != nil {
		tr.Callbacks.Checkpoint = func(ck *train.Checkpoint) error {
			j.rec.Checkpoint(ck)
			if ck.Kind == train.KindBest {
				return nil // the "last" checkpoint that follows saves the file
			}
			return j.save()
		}
	}
	if j.resume != nil {
		c.Logf("resuming run %s of %s at %s", j.rec.ID, j.resumePath, j.resume.Where())
	}
	res, err := tr.Run(c.Context, j.resume)
	if progress != nil {
		progress.Finish()
	}
	if err != nil {
		return nil, j.failed(c, err)
	}
	return res, nil
}

// failed records a run that stopped with err: the project keeps the
// tensors of the last good checkpoint and the losses recorded since, to
// show the blow-up.
func (j *trainJob) failed(c *Ctx, err error) error {
	var pe *projects.Error
	if j.rec != nil && !errors.As(err, &pe) {
		// (A run stopped by a failed save is not saved again: the error
		// would only repeat.)
		j.rec.Finish(nil, err, time.Now().UTC())
		if serr := j.save(); serr != nil {
			c.Logf("could not save the project: %v", serr)
		}
	}
	var diverged *train.DivergedError
	if !errors.As(err, &diverged) && c.Context.Err() != nil && j.savePath != "" {
		c.Logf("training stopped; continue with: workbench train --resume %s", j.savePath)
	}
	return err
}
