package projects

import (
	"fmt"
	"slices"
	"strconv"
)

// Snapshots of a run's weights after its epochs let the panes replay
// training: the Filters pane's slider steps through them, the Embeddings
// pane maps a layer's features at each. They are thinned on a schedule the
// user can read (SnapshotSchedule): every epoch while the run's snapshots
// fit SnapshotBudget, then every 2nd, 4th, 8th… epoch, always keeping the
// first and the newest.

// SnapshotBudget is the most bytes of weight snapshots kept for one run.
const SnapshotBudget = 48 << 20

// Snapshot is the weights after one epoch, under Group+"/weights".
type Snapshot struct {
	Epoch int    `json:"epoch"`
	Group string `json:"group"`
}

// SnapshotGroup is where the weights after epoch are kept.
func SnapshotGroup(run string, epoch int) string {
	return RunGroup(run, "epoch-"+strconv.Itoa(epoch))
}

// AddSnapshot keeps w (the weights after epoch) for run id, then thins the
// run's snapshots to SnapshotBudget. It replaces a snapshot of the same
// epoch (a continued run) and drops those after it.
func (p *Project) AddSnapshot(id string, epoch int, w map[string]Tensor) {
	r := p.Run(id)
	if r == nil || epoch < 1 || len(w) == 0 {
		return
	}
	kept := r.Snapshots[:0]
	for _, s := range r.Snapshots {
		if s.Epoch >= epoch {
			p.DeleteGroup(s.Group)
			continue
		}
		kept = append(kept, s)
	}
	r.Snapshots = kept
	g := SnapshotGroup(id, epoch)
	copied := make(map[string]Tensor, len(w))
	size := 0
	for k, t := range w {
		copied[k] = t.Clone()
		size += 4 * len(t.Data)
	}
	p.SetGroup(g+"/"+GroupWeights, copied)
	r.Snapshots = append(r.Snapshots, Snapshot{Epoch: epoch, Group: g})
	if r.SnapshotEvery < 1 {
		r.SnapshotEvery = 1
	}
	p.thinSnapshots(r) // the last newest may be off the schedule
	for size*len(r.Snapshots) > SnapshotBudget && len(r.Snapshots) > 2 {
		r.SnapshotEvery *= 2
		p.thinSnapshots(r)
	}
}

// thinSnapshots drops the snapshots off the run's schedule: epochs not a
// multiple of SnapshotEvery, but the first and the newest.
func (p *Project) thinSnapshots(r *Run) {
	n := len(r.Snapshots)
	kept := r.Snapshots[:0]
	for i, s := range r.Snapshots {
		if i == 0 || i == n-1 || s.Epoch%r.SnapshotEvery == 0 {
			kept = append(kept, s)
		} else {
			p.DeleteGroup(s.Group)
		}
	}
	r.Snapshots = kept
}

// SnapshotWeights returns the weights after a snapshot's epoch.
func (p *Project) SnapshotWeights(s Snapshot) map[string]Tensor {
	return p.Group(s.Group + "/" + GroupWeights)
}

// SnapshotSchedule says in words which epochs a run keeps, e.g. "every
// epoch" or "every 4th epoch, and the first and the newest (48 MB budget)".
func SnapshotSchedule(r *Run) string {
	budget := fmt.Sprintf("%d MB budget", SnapshotBudget>>20)
	switch r.SnapshotEvery {
	case 0, 1:
		return "every epoch (" + budget + ")"
	case 2:
		return "every 2nd epoch, the first and the newest (" + budget + ")"
	}
	return fmt.Sprintf("every %dth epoch, the first and the newest (%s)", r.SnapshotEvery, budget)
}

// SnapshotEpochs are the epochs of a run's snapshots, in order.
func SnapshotEpochs(r *Run) []int {
	out := make([]int, len(r.Snapshots))
	for i, s := range r.Snapshots {
		out[i] = s.Epoch
	}
	slices.Sort(out)
	return out
}
