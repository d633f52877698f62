package train

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/workbench-cv/workbench/engine/blas"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
	"github.com/workbench-cv/workbench/engine/nn"
)

// Range is a search range for one hyper-parameter.
type Range struct {
	Lo, Hi float64
	// Log samples log-uniformly (learning rates, weight decay), as the
	// lecture recommends: 1e-4..1e-2 spends as many trials in each decade.
	Log bool
}

// SearchParams are the hyper-parameters Search can vary.
var SearchParams = []string{"lr", "weight_decay", "momentum", "label_smoothing"}

// SearchConfig sets up a hyper-parameter search.
type SearchConfig struct {
	// Base is the configuration every trial starts from (keep its
	// Epochs small: 1-5 for a coarse search).
	Base Config
	// Ranges maps names of SearchParams to their ranges.
	Ranges map[string]Range
	// Trials is the number of random configurations; with Grid, Points
	// values per range (3) are combined instead.
	Trials int
	Grid   bool
	Points int
	// Concurrency is how many trials run at once (0: one per 2 CPUs, at
	// least 1, at most Trials); the thread budget is shared among them
	// while the search runs.
	Concurrency int
	// Build returns a freshly initialised model for each trial (the same
	// seed for every trial makes the comparison fair).
	Build      func() (*nn.Model, error)
	Train, Val *data.Set
	// Seed draws the random configurations.
	Seed int64
	// OnTrial is called after each trial finishes (from one goroutine at a
	// time).
	OnTrial func(Trial)
	// OnTrialStart is called when a trial starts, with its Index and
	// Params set, and OnIteration after each of its iterations. Trials run
	// concurrently: both are called from the trials' goroutines and must
	// be safe for concurrent use. Cancelling the context Search was given
	// stops every trial.
	OnTrialStart func(Trial)
	OnIteration  func(trial int, it IterationInfo)
}

// MaxGrid is the largest number of configurations a grid search lays out.
const MaxGrid = 10000

// Trial is one configuration of a search and how it did.
type Trial struct {
	Index  int
	Params map[string]float64
	// History holds the epochs run; ValAcc is the best validation accuracy
	// over them and ValLoss, TrainAcc, TrainLoss are the last epoch's.
	History             []EpochMetrics
	ValAcc, ValLoss     float64
	TrainAcc, TrainLoss float64
	Seconds             float64
	Diverged            bool
	Err                 error
}

// Describe is "lr=0.0031 weight_decay=1.2e-05".
func (t Trial) Describe() string {
	var parts []string
	for _, k := range SearchParams {
		if v, ok := t.Params[k]; ok {
			parts = append(parts, fmt.Sprintf("%s=%.3g", k, v))
		}
	}
	return strings.Join(parts, " ")
}

// Configs draws (seeded) or enumerates the trials' parameters, in trial
// order: Search trains exactly these.
func (sc SearchConfig) Configs() ([]map[string]float64, error) { return sc.configs() }

// configs draws or enumerates the trials' parameters.
func (sc SearchConfig) configs() ([]map[string]float64, error) {
	var names []string
	for _, k := range SearchParams {
		r, ok := sc.Ranges[k]
		if !ok {
			continue
		}
		if !(r.Lo <= r.Hi) || (r.Log && r.Lo <= 0) || math.IsInf(r.Hi, 0) {
			return nil, fmt.Errorf("search range for %s [%g, %g] is invalid (log ranges need 0 < lo <= hi)", k, r.Lo, r.Hi)
		}
		names = append(names, k)
	}
	for k := range sc.Ranges {
		if !contains(SearchParams, k) {
			return nil, fmt.Errorf("cannot search over %q: use %s", k, strings.Join(SearchParams, ", "))
		}
	}
	if len(names) == 0 {
		return nil, errors.New("no range to search over: give at least the learning rate's")
	}
	at := func(r Range, u float64) float64 {
		if r.Log {
			return math.Exp(math.Log(r.Lo) + u*(math.Log(r.Hi)-math.Log(r.Lo)))
		}
		return r.Lo + u*(r.Hi-r.Lo)
	}
	var out []map[string]float64
	if sc.Grid {
		pts := sc.Points
		if pts <= 0 {
			pts = 3
		}
		total := 1
		for range names {
			total *= pts
			if total > MaxGrid {
				return nil, fmt.Errorf("the grid has more than %d points: use fewer points or a random search", MaxGrid)
			}
		}
		for i := range total {
			p := map[string]float64{}
			j := i
			for _, k := range names {
				u := 0.5
				if pts > 1 {
					u = float64(j%pts) / float64(pts-1)
				}
				p[k] = at(sc.Ranges[k], u)
				j /= pts
			}
			out = append(out, p)
		}
		return out, nil
	}
	if sc.Trials <= 0 {
		return nil, errors.New("a random search needs at least one trial")
	}
	// ChaCha8 rather than PCG: PCG's first outputs for small seeds (1, 2,
	// ...) cluster near 0.5, which would put every trial of an 8-trial
	// search in the middle of its range.
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], uint64(sc.Seed))
	copy(key[8:], "workbench random search")
	rng := rand.New(rand.NewChaCha8(key))
	for range sc.Trials {
		p := map[string]float64{}
		for _, k := range names {
			p[k] = at(sc.Ranges[k], rng.Float64())
		}
		out = append(out, p)
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (sc SearchConfig) apply(p map[string]float64) Config {
	c := sc.Base
	for k, v := range p {
		switch k {
		case "lr":
			c.Optim.LR = float32(v)
		case "weight_decay":
			c.Optim.WeightDecay = float32(v)
		case "momentum":
			c.Optim.Momentum = float32(v)
		case "label_smoothing":
			c.LabelSmoothing = float32(v)
		}
	}
	return c
}

// Search trains every configuration for Base.Epochs epochs, several at a
// time, and returns the trials ranked by validation accuracy (see Rank).
// A trial that diverges is kept, marked Diverged, at the bottom. Cancelling
// ctx stops the remaining trials and returns what finished.
func Search(ctx context.Context, sc SearchConfig) ([]Trial, error) {
	if sc.Build == nil {
		return nil, errors.New("search: no model builder")
	}
	if sc.Val == nil || sc.Val.Len() == 0 {
		return nil, errors.New("a search ranks configurations by validation accuracy: hold some training images out as a validation split (--val)")
	}
	cfgs, err := sc.configs()
	if err != nil {
		return nil, err
	}
	for _, p := range cfgs {
		if err := sc.apply(p).Validate(); err != nil {
			return nil, err
		}
	}
	conc := sc.Concurrency
	if conc <= 0 {
		conc = max(1, runtime.NumCPU()/2)
	}
	conc = min(conc, len(cfgs))
	// Share the thread budget among the concurrent trials.
	oldP, oldB := parallel.Threads(), blas.Threads()
	per := max(1, oldP/conc)
	parallel.SetThreads(per)
	blas.SetThreads(per)
	defer func() {
		parallel.SetThreads(oldP)
		blas.SetThreads(oldB)
	}()

	trials := make([]Trial, len(cfgs))
	sem := make(chan struct{}, conc)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, p := range cfgs {
		trials[i] = Trial{Index: i, Params: p, ValAcc: math.NaN(), ValLoss: math.NaN(), TrainAcc: math.NaN(), TrainLoss: math.NaN()}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			trials[i].Err = ctx.Err()
			continue
		}
		wg.Add(1)
		go func(i int, p map[string]float64) {
			defer wg.Done()
			defer func() { <-sem }()
			tr := runTrial(ctx, sc, i, p, per)
			mu.Lock()
			trials[i] = tr
			if sc.OnTrial != nil {
				sc.OnTrial(tr)
			}
			mu.Unlock()
		}(i, p)
	}
	wg.Wait()
	Rank(trials)
	return trials, ctx.Err()
}

// runTrial trains one configuration. A panic in it (a bug in a layer, say)
// fails the trial instead of the whole search.
func runTrial(ctx context.Context, sc SearchConfig, i int, p map[string]float64, workers int) (t Trial) {
	t = Trial{Index: i, Params: p, ValAcc: math.NaN(), ValLoss: math.NaN(), TrainAcc: math.NaN(), TrainLoss: math.NaN()}
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			t.Err = fmt.Errorf("internal error in trial %d: %v", i, r)
		}
		t.Seconds = time.Since(start).Seconds()
	}()
	if sc.OnTrialStart != nil {
		sc.OnTrialStart(t)
	}
	m, err := sc.Build()
	if err != nil {
		t.Err = err
		return t
	}
	cfg := sc.apply(p)
	cfg.Workers = workers
	tr, err := New(m, sc.Train, sc.Val, cfg)
	if err != nil {
		t.Err = err
		return t
	}
	if sc.OnIteration != nil {
		tr.Callbacks.Iteration = func(it IterationInfo) { sc.OnIteration(i, it) }
	}
	res, err := tr.Run(ctx, nil)
	var de *DivergedError
	if errors.As(err, &de) {
		t.Diverged = true
	}
	t.Err = err
	if res != nil {
		t.History = res.History
		if n := len(res.History); n > 0 {
			last := res.History[n-1]
			t.ValLoss, t.TrainAcc, t.TrainLoss = last.ValLoss, last.TrainAcc, last.TrainLoss
			if res.BestEpoch > 0 {
				t.ValAcc = res.BestValAcc
			}
		}
	}
	return t
}

// Rank sorts trials best first: by validation accuracy, then validation
// loss; trials that diverged or failed come last.
func Rank(trials []Trial) {
	score := func(t Trial) float64 {
		if t.Diverged || t.Err != nil || math.IsNaN(t.ValAcc) {
			return math.Inf(-1)
		}
		return t.ValAcc
	}
	sort.SliceStable(trials, func(a, b int) bool {
		sa, sb := score(trials[a]), score(trials[b])
		if sa != sb {
			return sa > sb
		}
		la, lb := trials[a].ValLoss, trials[b].ValLoss
		if math.IsNaN(lb) {
			return !math.IsNaN(la)
		}
		return la < lb
	})
}
