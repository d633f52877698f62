package trainui

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
	"github.com/workbench-cv/workbench/widgets"
)

// A run from the pane: start or resume it on the job bar, pause, stop,
// and record how it finished.

// cloneGraph copies a graph so that a run keeps the network it started
// with while the Architecture pane edits the project's.
func cloneGraph(g graph.Graph) graph.Graph {
	out := graph.Graph{Blocks: slices.Clone(g.Blocks)}
	for _, n := range g.Nodes {
		n.Inputs = slices.Clone(n.Inputs)
		n.Attrs = maps.Clone(n.Attrs)
		out.Nodes = append(out.Nodes, n)
	}
	return out
}

// layerStatsEvery is how often a run gathers per-layer statistics: about
// 200 times over the run, at most every 5 iterations.
func layerStatsEvery(epochs, batches int) int {
	return max(5, epochs*batches/200)
}

// startTraining starts a run with the settings shown, recording it in the
// project's history as it goes.
func (p *trainPane) startTraining() {
	if p.blocker() != nil || p.job.Running() {
		p.refreshControls()
		return
	}
	rs := p.form.rs
	proj := p.h.Project()
	rec := runs.Begin(proj, "", rs.Hyper, time.Now().UTC().Round(time.Second))
	lr := &liveRun{proj: proj, id: rec.ID, rec: rec, feed: newLiveFeed(), planned: rs.Hyper.Epochs}
	if err := p.runTraining(lr, rs, nil); err != nil {
		proj.DeleteRun(rec.ID)
	}
}

// resumable returns the checkpoint run id can continue from: the run must
// be the newest with a "last" checkpoint (the project's weights and
// optimizer state are its own) and must not have finished.
func resumable(pr *projects.Project, id string) (*train.Checkpoint, error) {
	r := pr.Run(id)
	if r == nil {
		return nil, fmt.Errorf("no run %s", id)
	}
	if r.Status == projects.RunFinished {
		return nil, fmt.Errorf("run %s has finished; start a new run to train more", id)
	}
	newest, err := runs.Newest(pr)
	if err != nil {
		return nil, fmt.Errorf("run %s kept no checkpoint to continue from", id)
	}
	if newest.ID != id {
		return nil, fmt.Errorf("run %s saved its state after run %s; only the newest run can continue", newest.ID, id)
	}
	return runs.LastCheckpoint(pr, newest)
}

// resumeRun continues a stopped or interrupted run from its last
// checkpoint, exactly (same settings, data order, augmentation and
// schedule position), as `workbench train --resume` does.
func (p *trainPane) resumeRun(id string) error {
	if p.blocker() != nil || p.job.Running() {
		p.refreshControls()
		return fmt.Errorf("a run cannot start now")
	}
	proj := p.h.Project()
	ck, err := resumable(proj, id)
	if err != nil {
		return err
	}
	r := proj.Run(id)
	rs := p.form.rs
	rs.Hyper = r.Hyper
	rs.Hyper.Augment = slices.Clone(r.Hyper.Augment)
	// The losses recorded after the checkpoint are done again.
	rec := runs.Continue(proj, r, ck, 0)
	lr := &liveRun{proj: proj, id: id, rec: rec, feed: newLiveFeed(), planned: rs.Hyper.Epochs, recorded: r.Iterations, resumed: true}
	if r.LossEvery <= 1 {
		for _, l := range r.Losses {
			lr.feed.losses = append(lr.feed.losses, float64(l))
		}
	} else {
		lr.recorded = 0 // the live curve starts at the checkpoint
		lr.skip = r.Iterations
	}
	lr.feed.epochs = append(lr.feed.epochs, ck.History...)
	return p.runTraining(lr, rs, ck)
}

// runTraining trains lr's run with settings rs (from resume when not nil)
// on a goroutine, recording it in the project as it goes.
func (p *trainPane) runTraining(lr *liveRun, rs runSettings, resume *train.Checkpoint) error {
	proj, ds := lr.proj, p.h.Dataset()
	g := cloneGraph(proj.Graph)
	p.live = lr
	p.lastLive = feedSnapshot{}
	p.notice.Hide()
	var (
		res *train.Result
		ev  *train.EvalResult
	)
	adv, advErr := p.adv.config() // adversarial.go
	if advErr != nil {
		return p.started(lr, advErr)
	}
	what := "Preparing the run…"
	if resume != nil {
		what = "Continuing run " + lr.id + " from " + resume.Where() + "…"
	}
	err := p.job.Start(what, func(ctx context.Context, progress widgets.Report) error {
		pr, err := prepareRun(g, ds, rs)
		if err != nil {
			return err
		}
		pr.Config.Adversarial = adv
		tr, err := pr.Trainer()
		if err != nil {
			return err
		}
		nb := (pr.Train.Len() + pr.Config.Batch - 1) / pr.Config.Batch
		tr.Config.LayerStatsEvery = layerStatsEvery(pr.Config.Epochs, nb)
		widgets.DoAndWait(func() {
			lr.trainer, lr.notice, lr.device, lr.heldOut = tr, pr.Notice, pr.Backend.Name(), pr.HeldOut
			if r := lr.run(); r != nil {
				r.Device = pr.Backend.Name()
				r.Adversarial = runs.AdversarialOf(adv)
				runs.StoreStats(proj, pr.Stats)
			}
			if p.live == lr {
				p.showNotice(lr)
				p.pause.Enable()
			}
		})
		feed := lr.feed
		tr.Callbacks.Iteration = feed.iteration
		tr.Callbacks.Epoch = feed.epoch
		tr.Callbacks.LayerStats = feed.layerStats
		tr.Callbacks.Checkpoint = func(ck *train.Checkpoint) error {
			// The project belongs to the UI goroutine; the checkpoint's
			// tensors are host copies, safe to hand over.
			widgets.DoAndWait(func() { lr.rec.Checkpoint(ck) })
			return nil
		}
		stop := startThrottle(feed.pending, func() { p.showLive(lr) })
		res, err = tr.Run(ctx, resume)
		stop()
		if err != nil || pr.Test.Len() == 0 {
			return err
		}
		progress(1, 1, "Evaluating on the test split…")
		ev, err = train.Evaluate(ctx, pr.Model, pr.Test, train.EvalOptions{Stats: pr.Stats, Loss: pr.Config.Loss, Misclassified: 64, TopK: 3})
		return err
	}, func(err error) {
		p.finishRun(lr, res, ev, err)
	})
	return p.started(lr, err)
}

// started shows a run that has started on the job bar (err nil) with its
// live curves, or why it could not start.
func (p *trainPane) started(lr *liveRun, err error) error {
	if err != nil {
		p.live = nil
		p.reason.SetText(widgets.FirstUpper(err.Error()) + ".")
		p.reason.Show()
		p.relayoutControls()
		return err
	}
	p.job.Stop.SetText("Stop")
	p.job.Stop.SetIcon(theme.MediaStopIcon())
	p.h.MarkDirty()
	p.tabs.SelectIndex(0)
	p.curves.showLive(lr)
	p.refreshControls()
	return nil
}

// pending reports whether the feed has news for the UI.
func (f *liveFeed) pending() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.dirty
}

// showNotice says when the device is not the one asked for, and where the
// validation images come from.
func (p *trainPane) showNotice(lr *liveRun) {
	var parts []string
	if lr.notice != "" {
		parts = append(parts, widgets.FirstUpper(lr.notice)+".")
	}
	if lr.heldOut > 0 {
		parts = append(parts, fmt.Sprintf("The dataset has no validation split: %s training images are held out to validate.", widgets.Thousands(lr.heldOut)))
	}
	if len(parts) == 0 {
		p.notice.Hide()
	} else {
		p.notice.SetText(strings.Join(parts, " "))
		p.notice.Show()
	}
	p.relayoutControls()
}

// showLive takes the feed and shows it: curves, layer statistics, progress.
func (p *trainPane) showLive(lr *liveRun) {
	snap, _ := lr.feed.take()
	lr.last = snap
	if r := lr.run(); r != nil {
		for ; lr.recorded < len(snap.losses); lr.recorded++ {
			r.AddLoss(float32(snap.losses[lr.recorded]))
		}
	}
	if p.live != lr {
		return
	}
	p.curves.showLive(lr)
	p.layers.show(snap, p.diagnose(lr.run(), snap.epochs))
	it := snap.it
	if it.Total > 0 && p.job.Running() {
		text := fmt.Sprintf("Epoch %d/%d · batch %d/%d · loss %.3f", it.Epoch, lr.planned, it.Batch, it.Batches, it.Loss)
		if lr.trainer != nil && lr.trainer.Paused() {
			text = "Paused at " + strings.ToLower(text[:1]) + text[1:]
		}
		p.job.ShowNow(it.Iteration, it.Total, text)
	}
}

// togglePause pauses or resumes the run.
func (p *trainPane) togglePause() {
	lr := p.live
	if lr == nil || lr.trainer == nil {
		return
	}
	if lr.trainer.Paused() {
		lr.trainer.Resume()
		p.pause.SetText("Pause")
		p.pause.SetIcon(theme.MediaPauseIcon())
	} else {
		lr.trainer.Pause()
		p.pause.SetText("Resume")
		p.pause.SetIcon(theme.MediaPlayIcon())
		p.job.What.SetText("Paused; Resume continues exactly where the run stopped.")
	}
	p.curves.showLive(lr)
}

// stopTraining stops the run in progress (its last checkpoint is kept).
func (p *trainPane) stopTraining() {
	if lr := p.live; lr != nil && lr.trainer != nil && lr.trainer.Paused() {
		lr.trainer.Resume() // a paused run must wake up to see the stop
	}
	p.job.Cancel()
}

// finishRun records how the run ended in the project and shows it.
func (p *trainPane) finishRun(lr *liveRun, res *train.Result, ev *train.EvalResult, err error) {
	p.job.Stop.SetText("Cancel")
	p.job.Stop.SetIcon(theme.CancelIcon())
	p.showLive(lr) // the last iterations and epochs
	r := lr.run()
	if r == nil {
		return // deleted meanwhile, or the project was closed
	}
	switch {
	case lr.trainer == nil && lr.resumed:
		// It could not continue: it stays as it was, stopped.
		r.Status, r.Finished = projects.RunStopped, time.Now().UTC().Round(time.Second)
		if err != nil {
			r.Notes = "could not continue: " + err.Error()
		}
	case lr.trainer == nil && !lr.launched:
		// The run never started (the model did not build, no device...):
		// it is no run at all.
		lr.proj.DeleteRun(lr.id)
	default:
		lr.rec.Finish(res, err, time.Now().UTC().Round(time.Second))
		lr.rec.Tested(ev)
		p.keepLayers(r, lr.last)
		if ev != nil {
			if p.h.Project() == lr.proj {
				p.evals[r.ID] = newRunEval(r.ID, "final weights", ev, p.h.Dataset())
			}
		}
	}
	if p.h.Project() != lr.proj {
		return
	}
	if p.live == lr {
		p.lastLive = lr.last
		p.live = nil
	}
	p.runsSig = "" // redraw the history and the curves
	p.h.MarkDirty()
	if err != nil && !widgets.Cancelled(err) {
		p.reason.SetText(widgets.FirstUpper(err.Error()) + ".")
		p.reason.Show()
		p.relayoutControls()
	}
	p.baby.runFinished()
}
