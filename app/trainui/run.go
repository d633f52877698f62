package trainui

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"gonum.org/v1/plot/plotter"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/interop/pytorch"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
	"github.com/workbench-cv/workbench/widgets"
)

// uiUpdateEvery is the shortest time between two updates of the live
// curves: at most ten a second, whatever the training speed.
const uiUpdateEvery = 100 * time.Millisecond

// prepareRun builds the network g for the dataset and fits the input
// statistics, as `workbench train` does (runs.Prepare); a tenth of the
// training images validate when the dataset has no validation split,
// unless the settings say none.
func prepareRun(g graph.Graph, ds *data.Dataset, rs runSettings) (*runs.Prepared, error) {
	return runs.Prepare(g, ds, rs.Settings, runs.Options{HoldOut: rs.Train.Validation != valNone})
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
	rec     *runs.Recorder    // records it there
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
	// torchrun says how a scaled-out run trains ("torchrun, 2 processes"),
	// "" for a local run; launched is set once it was exported and
	// started (it has no trainer).
	torchrun string
	launched bool
	torch    *pytorch.Result // what torchrun reported once it finished
	last     feedSnapshot
}

// run returns the project's record of the run (nil once deleted).
func (lr *liveRun) run() *projects.Run { return lr.proj.Run(lr.id) }

// curve is what the curves view shows for the live run.
func (lr *liveRun) curve() curveData {
	s := lr.last
	c := curveData{Losses: s.losses, LossEvery: 1, Iterations: len(s.losses), PerEpoch: s.it.Batches, Offset: lr.skip,
		Epochs: runs.ProjectEpochs(s.epochs), Planned: lr.planned}
	return c
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
	loaded, skipped := train.LoadMatching(m, ws)
	if len(skipped) > 0 {
		return nil, fmt.Errorf("the run's weights do not fit the current network (%d of %d tensors differ, e.g. %s): the architecture changed since the run", len(skipped), len(loaded)+len(skipped), skipped[0])
	}
	return train.Evaluate(ctx, m, s, train.EvalOptions{Stats: st, Loss: loss, Misclassified: 64, TopK: 3})
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
			widgets.Do(func() {
				pending.Store(false)
				show()
			})
		}
	}
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
