package embeddings

import (
	"context"
	"fmt"
	"math"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

// Replay maps a layer's features with the weights of every epoch a run
// kept (projects.Snapshot), over the same seeded images and with the same
// settings: the clusters separating over training. Each map is rotated,
// reflected and scaled onto the last (orthogonal Procrustes), so that a
// class keeps its place and what moves is its forming.

// replayStep is the map at one snapshot.
type replayStep struct {
	epoch int
	res   *embedResult
}

// replayRun is the newest run with at least two snapshots, nil when none.
func replayRun(p *projects.Project) *projects.Run {
	if p == nil {
		return nil
	}
	for i := len(p.Runs) - 1; i >= 0; i-- {
		if len(p.Runs[i].Snapshots) >= 2 {
			return &p.Runs[i]
		}
	}
	return nil
}

// runReplay embeds set's features at each of run's snapshots.
func runReplay(ctx context.Context, m *inspection.Model, proj *projects.Project, run *projects.Run, set *data.Set, cfg embedSettings,
	progress widgets.Report) ([]replayStep, error) {
	snaps := append([]projects.Snapshot(nil), run.Snapshots...)
	var steps []replayStep
	for i, s := range snaps {
		at := *m
		at.Weights = proj.SnapshotWeights(s)
		res, err := runEmbedding(ctx, &at, set, cfg, func(phase string, done, total int, _ []float64) {
			progress(i*max(total, 1)+done, len(snaps)*max(total, 1), fmt.Sprintf("Epoch %d (%d of %d) · %s", s.Epoch, i+1, len(snaps), phase))
		})
		if err != nil {
			return nil, fmt.Errorf("epoch %d: %w", s.Epoch, err)
		}
		steps = append(steps, replayStep{epoch: s.Epoch, res: res})
	}
	last := steps[len(steps)-1].res.layout
	for _, st := range steps[:len(steps)-1] {
		alignTo(st.res.layout, last)
		if err := st.res.drawGrid(); err != nil {
			return nil, err
		}
	}
	return steps, nil
}

// alignTo rotates (and reflects, when that fits better), scales and moves
// the N×2 layout y in place onto ref, least squares.
func alignTo(y, ref []float64) {
	n := len(y) / 2
	if n < 2 || len(ref) != len(y) {
		return
	}
	center := func(v []float64) (cx, cy, spread float64) {
		for i := 0; i < n; i++ {
			cx, cy = cx+v[2*i], cy+v[2*i+1]
		}
		cx, cy = cx/float64(n), cy/float64(n)
		for i := 0; i < n; i++ {
			spread += (v[2*i]-cx)*(v[2*i]-cx) + (v[2*i+1]-cy)*(v[2*i+1]-cy)
		}
		return cx, cy, math.Sqrt(spread / float64(n))
	}
	yx, yy, ys := center(y)
	rx, ry, rs := center(ref)
	if ys == 0 {
		return
	}
	// The best rotation of y (reflected by flip) onto ref, and how well it fits.
	best := func(flip float64) (c, s, fit float64) {
		var a, b float64
		for i := 0; i < n; i++ {
			px, py := y[2*i]-yx, flip*(y[2*i+1]-yy)
			qx, qy := ref[2*i]-rx, ref[2*i+1]-ry
			a += px*qx + py*qy
			b += px*qy - py*qx
		}
		t := math.Atan2(b, a)
		return math.Cos(t), math.Sin(t), math.Hypot(a, b)
	}
	flip := 1.0
	c, s, fit := best(1)
	if c2, s2, fit2 := best(-1); fit2 > fit {
		c, s, flip = c2, s2, -1
	}
	k := rs / ys
	for i := 0; i < n; i++ {
		px, py := y[2*i]-yx, flip*(y[2*i+1]-yy)
		y[2*i] = rx + k*(c*px-s*py)
		y[2*i+1] = ry + k*(s*px+c*py)
	}
}

// replayControls are the replay button and the epoch slider.
type replayControls struct {
	button *widget.Button
	slider *widget.Slider
	label  *widget.Label
	box    *fyne.Container // the slider row, hidden until a replay ran
	steps  []replayStep
}

func (p *embeddingsPane) buildReplay() {
	r := &p.replay
	r.button = widget.NewButtonWithIcon("Replay over training", theme.MediaReplayIcon(), p.startReplay)
	r.slider = widget.NewSlider(0, 1)
	r.slider.Step = 1
	r.slider.OnChanged = func(v float64) { p.showReplayStep(int(math.Round(v))) }
	r.label = widget.NewLabel("")
	r.box = container.NewBorder(nil, nil, widget.NewLabelWithStyle("Epoch", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		container.New(&widgets.MinWidth{W: 320}, r.label), r.slider)
	r.box.Hide()
}

// refreshReplay enables the replay when the project has a run to replay.
func (p *embeddingsPane) refreshReplay() {
	run := replayRun(p.S.Project)
	if run == nil || p.Model == nil || !p.DataOK() || p.job.Running() {
		p.replay.button.Disable()
		return
	}
	p.replay.button.Enable()
}

// startReplay maps the chosen layer at every snapshot of the newest run.
func (p *embeddingsPane) startReplay() {
	run := replayRun(p.S.Project)
	if run == nil || p.Model == nil || !p.DataOK() || p.job.Running() {
		return
	}
	cfg, err := p.settings()
	if err != nil {
		p.showMessage(err)
		return
	}
	p.showMessage(nil)
	p.runID++
	id, m, ds, proj, runCopy := p.runID, p.Model, p.S.Dataset, p.S.Project, *run
	runCopy.Snapshots = append([]projects.Snapshot(nil), run.Snapshots...)
	var steps []replayStep
	p.run.Disable()
	p.replay.button.Disable()
	p.job.Sync = p.Sync
	err = p.job.Start(fmt.Sprintf("%s of %s over %d epochs of run %s…", cfg.method, cfg.layer, len(runCopy.Snapshots), run.ID),
		func(ctx context.Context, progress widgets.Report) error {
			var err error
			steps, err = runReplay(ctx, m, proj, &runCopy, embedImages(ds, cfg), cfg, progress)
			return err
		}, func(err error) {
			p.run.Enable()
			p.refreshReplay()
			p.center.Refresh()
			if id != p.runID {
				return
			}
			if err != nil {
				p.showMessage(err)
				return
			}
			p.showReplay(steps, runCopy.ID)
		})
	p.job.Sync = false
	if err != nil {
		p.run.Enable()
		p.showMessage(err)
	}
	p.center.Refresh()
}

// showReplay puts a finished replay on the slider, at its last epoch.
func (p *embeddingsPane) showReplay(steps []replayStep, run string) {
	r := &p.replay
	r.steps = steps
	r.slider.Max = float64(max(len(steps)-1, 1))
	r.box.Show()
	r.slider.SetValue(float64(len(steps) - 1))
	p.showReplayStep(len(steps) - 1)
	p.center.Refresh()
}

// showReplayStep shows the map at the i-th snapshot.
func (p *embeddingsPane) showReplayStep(i int) {
	r := &p.replay
	if i < 0 || i >= len(r.steps) {
		return
	}
	st := r.steps[i]
	p.showResult(st.res)
	r.label.SetText(fmt.Sprintf("%d of %d: after epoch %d · 10-NN in the map %.1f%%", i+1, len(r.steps), st.epoch, 100*max(st.res.knn2D, 0)))
	p.scatterHd.SetText(p.scatterHd.Text + fmt.Sprintf(" · after epoch %d", st.epoch))
}
