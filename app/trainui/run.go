package trainui

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"gonum.org/v1/plot/plotter"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

// uiUpdateEvery is the shortest time between two updates of the live
// curves: at most ten a second, whatever the training speed.
const uiUpdateEvery = 100 * time.Millisecond

// splits are the images a run trains and validates on.
type splits struct {
	train, val, test *data.Set
	// heldOut is the number of validation images held out of the training
	// split (0 when the dataset has its own validation split).
	heldOut int
}

// splitsOf returns the dataset's splits; when it has no validation split
// and holdOut is set, a tenth of the training images (at most 5,000) are
// held out, chosen under seed, so that the run has validation curves.
func splitsOf(ds *data.Dataset, seed int64, holdOut bool) splits {
	sp := splits{train: ds.Train, val: ds.Val, test: ds.Test}
	if holdOut && ds.Val.Len() == 0 && ds.Train.Len() >= 20 {
		n := min(max(ds.Train.Len()/10, 1), 5000)
		sp.train, sp.val = data.HoldOut(ds.Train, n, seed)
		sp.heldOut = n
	}
	return sp
}

// preparedRun is a model and its data, built off the UI goroutine.
type preparedRun struct {
	model  *nn.Model
	sp     splits
	stats  *data.Stats
	cfg    train.Config
	device string // the backend's name
	notice string // why the device is not the one asked for
}

// prepareRun builds the network g for the dataset and fits the input
// statistics, as `workbench train` does.
func prepareRun(g graph.Graph, ds *data.Dataset, rs runSettings) (*preparedRun, error) {
	cfg, err := rs.config()
	if err != nil {
		return nil, err
	}
	b, notice, err := backend.Choose(rs.Device)
	if err != nil {
		return nil, fmt.Errorf("device %s: %w", rs.Device, err)
	}
	tr := ds.Train
	in := []int{tr.C, tr.H, tr.W}
	m, err := nn.Build(g, in, b, uint64(rs.Hyper.Seed), nn.Init(rs.Init))
	if err != nil {
		return nil, fmt.Errorf("the network does not fit %dx%dx%d images: %w", in[0], in[1], in[2], err)
	}
	pr := &preparedRun{model: m, sp: splitsOf(ds, rs.Hyper.Seed, rs.Validation != valNone), device: b.Name(), notice: notice}
	if rs.Preprocess != data.NormNone {
		if pr.stats, err = data.FitStats(pr.sp.train, rs.Preprocess, data.StatsOptions{Seed: rs.Hyper.Seed}); err != nil {
			return nil, err
		}
	}
	cfg.Stats = pr.stats
	pr.cfg = cfg
	return pr, nil
}

// liveFeed carries a run's progress from the training goroutine to the UI:
// the callbacks append under the lock, and the UI takes a copy at most ten
// times a second.
type liveFeed struct {
	mu        sync.Mutex
	losses    []float64
	epochs    []train.EpochMetrics
	it        train.IterationInfo
	layers    []train.LayerStats
	layerIter int
	ratios    map[string]plotter.XYs
	order     []string // layers with weights, in network order
	dirty     bool
}

func newLiveFeed() *liveFeed { return &liveFeed{ratios: map[string]plotter.XYs{}} }

func (f *liveFeed) iteration(it train.IterationInfo) {
	f.mu.Lock()
	f.losses = append(f.losses, it.Loss)
	f.it = it
	f.dirty = true
	f.mu.Unlock()
}

func (f *liveFeed) epoch(e train.EpochMetrics) {
	f.mu.Lock()
	f.epochs = append(f.epochs, e)
	f.dirty = true
	f.mu.Unlock()
}

// maxRatioPoints bounds each layer's update-ratio history.
const maxRatioPoints = 600

func (f *liveFeed) layerStats(iter int, stats []train.LayerStats) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.layers, f.layerIter, f.dirty = stats, iter, true
	for _, s := range stats {
		if !s.HasWeight {
			continue
		}
		pts, seen := f.ratios[s.Node]
		if !seen {
			f.order = append(f.order, s.Node)
		}
		if len(pts) >= maxRatioPoints {
			kept := pts[:0]
			for i := 0; i < len(pts); i += 2 {
				kept = append(kept, pts[i])
			}
			pts = kept
		}
		f.ratios[s.Node] = append(pts, plotter.XY{X: float64(iter), Y: s.UpdateRatio})
	}
}

// feedSnapshot is a copy of the feed for the UI goroutine.
type feedSnapshot struct {
	losses    []float64
	epochs    []train.EpochMetrics
	it        train.IterationInfo
	layers    []train.LayerStats
	layerIter int
	ratios    []ratioSeries
}

// take copies the feed and reports whether it changed since the last take.
func (f *liveFeed) take() (feedSnapshot, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := feedSnapshot{losses: append([]float64(nil), f.losses...), epochs: append([]train.EpochMetrics(nil), f.epochs...),
		it: f.it, layers: f.layers, layerIter: f.layerIter}
	for _, n := range f.order {
		s.ratios = append(s.ratios, ratioSeries{node: n, pts: append(plotter.XYs(nil), f.ratios[n]...)})
	}
	changed := f.dirty
	f.dirty = false
	return s, changed
}

// liveRun is the run in progress: what the pane shows and where in the
// project it is recorded.
type liveRun struct {
	proj    *projects.Project // the project the run belongs to
	id      string            // its ID in proj.Runs
	trainer *train.Trainer
	feed    *liveFeed
	planned int
	notice  string
	device  string
	heldOut int
	// recorded counts the feed's losses already in the project's run;
	// skip is the iterations before the feed's first loss (a continued run
	// whose earlier losses were thinned).
	recorded, skip int
	resumed        bool // continues a run of the history
	last           feedSnapshot
}

// run returns the project's record of the run (nil once deleted).
func (lr *liveRun) run() *projects.Run { return lr.proj.Run(lr.id) }

// curve is what the curves view shows for the live run.
func (lr *liveRun) curve() curveData {
	s := lr.last
	c := curveData{Losses: s.losses, LossEvery: 1, Iterations: len(s.losses), PerEpoch: s.it.Batches, Offset: lr.skip,
		Epochs: toProjectEpochs(s.epochs), Planned: lr.planned}
	return c
}

// toProjectEpochs converts the engine's epoch metrics to the project's.
func toProjectEpochs(h []train.EpochMetrics) []projects.EpochMetrics {
	out := make([]projects.EpochMetrics, len(h))
	for i, e := range h {
		out[i] = projects.EpochMetrics{Epoch: e.Epoch, TrainLoss: e.TrainLoss, TrainAcc: e.TrainAcc,
			ValLoss: e.ValLoss, ValAcc: e.ValAcc, ImagesPerSec: e.ImagesPerSec, Seconds: e.Seconds}
	}
	return out
}

// toEngineEpochs converts the project's epoch metrics for Diagnose.
func toEngineEpochs(h []projects.EpochMetrics) []train.EpochMetrics {
	out := make([]train.EpochMetrics, len(h))
	for i, e := range h {
		out[i] = train.EpochMetrics{Epoch: e.Epoch, TrainLoss: e.TrainLoss, TrainAcc: e.TrainAcc,
			ValLoss: e.ValLoss, ValAcc: e.ValAcc, ImagesPerSec: e.ImagesPerSec, Seconds: e.Seconds}
	}
	return out
}

// nextRunID is the first free "r<N>" (the command's naming).
func nextRunID(p *projects.Project) string {
	for i := len(p.Runs) + 1; ; i++ {
		id := fmt.Sprintf("r%d", i)
		if p.Run(id) == nil {
			return id
		}
	}
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

func projectTensors(prefix string, ts map[string]train.Tensor) map[string]projects.Tensor {
	out := make(map[string]projects.Tensor, len(ts))
	for k, t := range ts {
		out[prefix+k] = projects.Tensor{Shape: t.Shape, Data: t.Data}
	}
	return out
}

func engineTensors(ts map[string]projects.Tensor) map[string]train.Tensor {
	out := make(map[string]train.Tensor, len(ts))
	for k, t := range ts {
		out[k] = train.Tensor{Shape: t.Shape, Data: t.Data}
	}
	return out
}

// recordCheckpoint stores a checkpoint in the project under the names
// `workbench train --save` uses, so that the command can resume a run
// started in the app and the inspection panes find the weights: the best
// snapshot as runs/<id>/best/weights/<param>, the newest state as
// weights/<param> and optim/<state> with the position and history under
// runs/<id>/last.
func recordCheckpoint(p *projects.Project, r *projects.Run, ck *train.Checkpoint) {
	switch ck.Kind {
	case train.KindBest:
		group := projects.RunGroup(r.ID, train.KindBest)
		p.SetGroup(group, projectTensors("weights/", ck.Weights))
		upsertCheckpoint(r, projects.Checkpoint{Name: train.KindBest, Group: group, Epoch: ck.Epoch})
	default:
		group := projects.RunGroup(r.ID, train.KindLast)
		pos := map[string]train.Tensor{}
		for k, t := range ck.Tensors() {
			if !strings.HasPrefix(k, "weights/") && !strings.HasPrefix(k, "optim/") {
				pos[k] = t
			}
		}
		p.SetGroup(projects.GroupWeights, projectTensors("", ck.Weights))
		p.SetGroup(projects.GroupOptim, projectTensors("", ck.Optim))
		p.SetGroup(group, projectTensors("", pos))
		upsertCheckpoint(r, projects.Checkpoint{Name: train.KindLast, Group: group, Epoch: ck.Epoch})
		r.Epochs = toProjectEpochs(ck.History)
	}
}

// storeStats writes the preprocessing statistics into the project (the
// names `workbench train` uses), or clears them.
func storeStats(p *projects.Project, st *data.Stats) {
	p.DeleteGroup(projects.GroupPreprocess)
	if st == nil {
		p.Preprocess = projects.Preprocess{Mode: projects.PreprocessNone}
		return
	}
	p.Preprocess.Mode = normToProjectMode(st.Norm)
	p.Preprocess.Epsilon = float64(st.Epsilon)
	p.Preprocess.Components = len(st.Eigenvalues)
	put := func(name string, v []float32, shape ...int) {
		if len(v) > 0 {
			p.Tensors[name] = projects.Tensor{Shape: shape, Data: append([]float32(nil), v...)}
		}
	}
	d := st.C * st.H * st.W
	switch st.Norm {
	case data.NormMeanImage:
		put(projects.TensorPreprocessMean, st.Mean, st.C, st.H, st.W)
	case data.NormChannelMean, data.NormChannelStd:
		put(projects.TensorPreprocessMean, st.Mean, st.C)
		put(projects.TensorPreprocessStd, st.Std, st.C)
	case data.NormPCAWhiten:
		k := len(st.Eigenvalues)
		put(projects.TensorPreprocessMean, st.Mean, d)
		put(projects.TensorPreprocessPCA, st.Components, k, d)
		scale := make([]float32, k)
		for i, l := range st.Eigenvalues {
			scale[i] = float32(1 / math.Sqrt(float64(l+st.Epsilon)))
		}
		put(projects.TensorPreprocessPCAScale, scale, k)
	}
}

// projectStats reads the project's preprocessing statistics for c×h×w
// images (nil for none).
func projectStats(p *projects.Project, c, h, w int) (*data.Stats, error) {
	norm := normOfProject(p.Preprocess.Mode)
	if norm == data.NormNone {
		return nil, nil
	}
	st := &data.Stats{Norm: norm, C: c, H: h, W: w, Epsilon: float32(p.Preprocess.Epsilon)}
	st.Mean = p.Tensors[projects.TensorPreprocessMean].Data
	st.Std = p.Tensors[projects.TensorPreprocessStd].Data
	if norm == data.NormPCAWhiten {
		st.Components = p.Tensors[projects.TensorPreprocessPCA].Data
		for _, s := range p.Tensors[projects.TensorPreprocessPCAScale].Data {
			st.Eigenvalues = append(st.Eigenvalues, 1/(s*s)-st.Epsilon)
		}
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("the project's %s statistics do not fit %dx%dx%d images (train again to refit them): %w", norm, c, h, w, err)
	}
	return st, nil
}

// runWeights returns the weights to evaluate run r with: its best
// checkpoint, or for the project's newest run with weights, the final
// ones; which says which in words.
func runWeights(p *projects.Project, r *projects.Run) (ws map[string]projects.Tensor, which string, ok bool) {
	for _, ck := range r.Checkpoints {
		if ck.Name == train.KindBest {
			if g := p.Group(ck.Group + "/weights"); len(g) > 0 {
				return g, fmt.Sprintf("best validation weights (epoch %d)", ck.Epoch), true
			}
		}
	}
	// The project's weights/ group belongs to the newest run that saved a
	// "last" checkpoint.
	for i := len(p.Runs) - 1; i >= 0; i-- {
		q := &p.Runs[i]
		for _, ck := range q.Checkpoints {
			if ck.Name == train.KindLast {
				if q.ID != r.ID {
					return nil, "", false
				}
				if g := p.Group(projects.GroupWeights); len(g) > 0 {
					return g, fmt.Sprintf("final weights (epoch %d)", ck.Epoch), true
				}
				return nil, "", false
			}
		}
	}
	return nil, "", false
}

// evaluateWeights builds g with the weights ws and evaluates it on s.
func evaluateWeights(ctx context.Context, g graph.Graph, ws map[string]projects.Tensor, s *data.Set, st *data.Stats, loss string) (*train.EvalResult, error) {
	b, _, err := backend.Choose("cpu")
	if err != nil {
		return nil, err
	}
	m, err := nn.Build(g, []int{s.C, s.H, s.W}, b, 1, nn.Init("default"))
	if err != nil {
		return nil, fmt.Errorf("the current network does not fit the images: %w", err)
	}
	loaded, skipped := train.LoadMatching(m, engineTensors(ws))
	if len(skipped) > 0 {
		return nil, fmt.Errorf("the run's weights do not fit the current network (%d of %d tensors differ, e.g. %s): the architecture changed since the run", len(skipped), len(loaded)+len(skipped), skipped[0])
	}
	return train.Evaluate(ctx, m, s, train.EvalOptions{Stats: st, Loss: loss, Misclassified: 64, TopK: 3})
}

// uiMu serialises the closures this package hands to fyne.Do. A running
// app runs them all on its UI goroutine anyway; Fyne's test driver runs
// each on the goroutine that asked, and the lock keeps them apart there.
var uiMu sync.Mutex

// uiDo runs fn on the UI goroutine, later.
func uiDo(fn func()) {
	fyne.Do(func() {
		uiMu.Lock()
		defer uiMu.Unlock()
		fn()
	})
}

// uiDoAndWait runs fn on the UI goroutine and waits for it.
func uiDoAndWait(fn func()) {
	fyne.DoAndWait(func() {
		uiMu.Lock()
		defer uiMu.Unlock()
		fn()
	})
}

// startThrottle runs throttle on a goroutine; the returned function stops
// it and waits until it has ended.
func startThrottle(changed func() bool, show func()) (stop func()) {
	ch, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		throttle(ch, changed, show)
	}()
	return func() {
		close(ch)
		<-done
	}
}

// throttle calls show on the UI goroutine at most every uiUpdateEvery
// while take reports changes, until stop is closed.
func throttle(stop <-chan struct{}, changed func() bool, show func()) {
	var pending atomic.Bool
	t := time.NewTicker(uiUpdateEvery)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			if pending.Load() || !changed() {
				continue
			}
			pending.Store(true)
			uiDo(func() {
				pending.Store(false)
				show()
			})
		}
	}
}

// runOutcome sums up how a run ended, in words.
func runOutcome(err error, res *train.Result) (status, note string) {
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

// fmtDuration writes a time left: "45 s", "3 min 20 s", "1 h 05 min".
func fmtDuration(d time.Duration) string {
	s := int(math.Round(d.Seconds()))
	switch {
	case s < 60:
		return fmt.Sprintf("%d s", max(s, 0))
	case s < 3600:
		return fmt.Sprintf("%d min %02d s", s/60, s%60)
	}
	return fmt.Sprintf("%d h %02d min", s/3600, s%3600/60)
}

// secondsDur converts seconds to a duration.
func secondsDur(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
