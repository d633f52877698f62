package runs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

// Recorder records one run of a project's history as it trains. It holds
// the project and the run's ID (not a pointer into p.Runs, which moves as
// runs are added or deleted). Its methods are not safe for concurrent use
// with other changes of the project.
type Recorder struct {
	P  *projects.Project
	ID string
	// notes are added to the run's notes when it finishes (how it was
	// trained, when not here).
	notes []string
}

// NextID is the first free run ID, "r<N>".
func NextID(p *projects.Project) string {
	for i := len(p.Runs) + 1; ; i++ {
		id := fmt.Sprintf("r%d", i)
		if p.Run(id) == nil {
			return id
		}
	}
}

// Begin adds a new running run to p's history with the hyper-parameters h,
// started at started.
func Begin(p *projects.Project, name string, h projects.Hyper, started time.Time) *Recorder {
	h.Augment = append([]string(nil), h.Augment...)
	id := NextID(p)
	p.Runs = append(p.Runs, projects.Run{ID: id, Name: name, Started: started, Status: projects.RunRunning,
		Hyper: h, LossEvery: 1})
	return &Recorder{P: p, ID: id}
}

// AdversarialOf is how the project records adversarial training a (nil:
// none).
func AdversarialOf(a *train.Adversarial) *projects.AdversarialTraining {
	if a == nil {
		return nil
	}
	return &projects.AdversarialTraining{Method: a.Method, Eps: a.Eps, Steps: a.Steps, StepSize: a.StepSize, Ramp: a.Ramp}
}

// AdversarialConfig is the training configuration of a recorded run's
// adversarial training (nil: none), checked as the trainer checks it.
func AdversarialConfig(r *projects.AdversarialTraining) (*train.Adversarial, error) {
	if r == nil {
		return nil, nil
	}
	a := &train.Adversarial{Method: r.Method, Eps: r.Eps, Steps: r.Steps, StepSize: r.StepSize, Ramp: r.Ramp}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return a, nil
}

// Run is the project's record of the run, nil once it was deleted.
func (r *Recorder) Run() *projects.Run { return r.P.Run(r.ID) }

// Loss records the loss of the next iteration.
func (r *Recorder) Loss(loss float64) {
	if run := r.Run(); run != nil {
		run.AddLoss(float32(loss))
	}
}

// Checkpoint records a checkpoint of the run: the best snapshot's weights
// under runs/<id>/best/weights, the newest state as the project's weights
// and optimizer state with the position and history under
// runs/<id>/last (see the package comment).
func (r *Recorder) Checkpoint(ck *train.Checkpoint) {
	run := r.Run()
	if run == nil {
		return
	}
	group := projects.RunGroup(r.ID, ck.Kind)
	switch ck.Kind {
	case train.KindBest:
		r.P.SetGroup(group+"/"+projects.GroupWeights, ck.Weights)
	default:
		if ck.Batch == 0 && ck.Epoch > 0 { // an epoch's end: a snapshot to replay
			r.P.AddSnapshot(r.ID, ck.Epoch, ck.Weights)
		}
		r.P.SetGroup(projects.GroupWeights, ck.Weights)
		r.P.SetGroup(projects.GroupOptim, ck.Optim)
		r.P.SetGroup(group, ck.Position())
		run.Epochs = ProjectEpochs(ck.History)
	}
	upsertCheckpoint(run, projects.Checkpoint{Name: ck.Kind, Group: group, Epoch: ck.Epoch})
}

func upsertCheckpoint(r *projects.Run, ck projects.Checkpoint) {
	for i := range r.Checkpoints {
		if r.Checkpoints[i].Name == ck.Name {
			r.Checkpoints[i] = ck
			return
		}
	}
	r.Checkpoints = append(r.Checkpoints, ck)
}

// Outcome sums up how a run ended: its status and a note in words.
func Outcome(err error, res *train.Result) (status, note string) {
	var de *train.DivergedError
	switch {
	case errors.As(err, &de):
		return projects.RunFailed, err.Error()
	case errors.Is(err, context.Canceled):
		return projects.RunStopped, "stopped by hand"
	case err != nil:
		return projects.RunFailed, err.Error()
	case res != nil && res.EarlyStopped:
		return projects.RunFinished, fmt.Sprintf("stopped early: no better validation accuracy after epoch %d", res.BestEpoch)
	}
	return projects.RunFinished, ""
}

// Finish records how the run ended (err and res as train.Trainer.Run
// returned them) at finished. A failed run keeps the tensors of its last
// good checkpoint, and the losses recorded since, to show the blow-up.
func (r *Recorder) Finish(res *train.Result, err error, finished time.Time) {
	run := r.Run()
	if run == nil {
		return
	}
	run.Status, run.Notes = Outcome(err, res)
	for _, n := range r.notes {
		run.Notes = strings.TrimSpace(run.Notes + " " + n)
	}
	run.Finished = finished
	if res != nil {
		run.Epochs = ProjectEpochs(res.History)
	}
}

// Tested records the run's evaluation on the test split.
func (r *Recorder) Tested(ev *train.EvalResult) {
	if run := r.Run(); run != nil && ev != nil {
		run.Tested, run.TestAcc, run.TestLoss = true, ev.Acc, ev.Loss
	}
}

// ProjectEpochs converts the engine's epoch metrics to the project's.
func ProjectEpochs(h []train.EpochMetrics) []projects.EpochMetrics {
	out := make([]projects.EpochMetrics, len(h))
	for i, e := range h {
		out[i] = projects.EpochMetrics{Epoch: e.Epoch, TrainLoss: e.TrainLoss, TrainAcc: e.TrainAcc,
			ValLoss: e.ValLoss, ValAcc: e.ValAcc, ImagesPerSec: e.ImagesPerSec, Seconds: e.Seconds}
	}
	return out
}

// EngineEpochs converts the project's epoch metrics to the engine's (for
// train.Diagnose).
func EngineEpochs(h []projects.EpochMetrics) []train.EpochMetrics {
	out := make([]train.EpochMetrics, len(h))
	for i, e := range h {
		out[i] = train.EpochMetrics{Epoch: e.Epoch, TrainLoss: e.TrainLoss, TrainAcc: e.TrainAcc,
			ValLoss: e.ValLoss, ValAcc: e.ValAcc, ImagesPerSec: e.ImagesPerSec, Seconds: e.Seconds}
	}
	return out
}
