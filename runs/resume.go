package runs

import (
	"errors"
	"fmt"
	"time"

	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

// ErrNoResumableRun says that no run of the project kept a checkpoint to
// continue from.
var ErrNoResumableRun = errors.New("the project has no resumable run")

// Newest returns the newest run of p with a "last" checkpoint: the run
// whose state the project's weights and optimizer state are, the only one
// that can continue. It returns ErrNoResumableRun when there is none.
func Newest(p *projects.Project) (*projects.Run, error) {
	for i := len(p.Runs) - 1; i >= 0; i-- {
		for _, ck := range p.Runs[i].Checkpoints {
			if ck.Name == train.KindLast {
				return &p.Runs[i], nil
			}
		}
	}
	return nil, ErrNoResumableRun
}

// LastCheckpoint reads the "last" checkpoint of run r, which must be
// Newest(p) (an older run's weights were overwritten).
func LastCheckpoint(p *projects.Project, r *projects.Run) (*train.Checkpoint, error) {
	for _, ck := range r.Checkpoints {
		if ck.Name == train.KindLast {
			return train.NewCheckpoint(train.KindLast, p.Group(ck.Group), p.Group(projects.GroupWeights), p.Group(projects.GroupOptim))
		}
	}
	return nil, fmt.Errorf("run %s kept no checkpoint to continue from", r.ID)
}

// Continue makes run r of p running again from checkpoint ck: the losses
// recorded after the checkpoint are dropped (they are done again), the
// outcome cleared, and epochs (when above 0) becomes the run's length.
func Continue(p *projects.Project, r *projects.Run, ck *train.Checkpoint, epochs int) *Recorder {
	TrimLosses(r, ck.Iteration)
	if epochs > 0 {
		r.Hyper.Epochs = epochs
	}
	r.Status, r.Notes, r.Finished = projects.RunRunning, "", time.Time{}
	return &Recorder{P: p, ID: r.ID}
}

// TrimLosses keeps the loss history of the first n iterations of r.
func TrimLosses(r *projects.Run, n int) {
	if r.Iterations <= n {
		return
	}
	every := max(r.LossEvery, 1)
	if keep := (n + every - 1) / every; keep < len(r.Losses) {
		r.Losses = r.Losses[:keep]
	}
	r.Iterations = n
}

// Weights returns the weights to evaluate run r with: its best checkpoint
// when it kept one, else, for the project's newest run with a "last"
// checkpoint, the project's weights; which says which in words.
func Weights(p *projects.Project, r *projects.Run) (ws map[string]projects.Tensor, which string, ok bool) {
	for _, ck := range r.Checkpoints {
		if ck.Name == train.KindBest {
			if g := p.Group(ck.Group + "/" + projects.GroupWeights); len(g) > 0 {
				return g, fmt.Sprintf("best validation weights (epoch %d)", ck.Epoch), true
			}
		}
	}
	newest, err := Newest(p)
	if err != nil || newest.ID != r.ID {
		return nil, "", false
	}
	for _, ck := range r.Checkpoints {
		if ck.Name == train.KindLast {
			if g := p.Group(projects.GroupWeights); len(g) > 0 {
				return g, fmt.Sprintf("final weights (epoch %d)", ck.Epoch), true
			}
		}
	}
	return nil, "", false
}
