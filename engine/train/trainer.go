package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// IterationInfo describes one finished optimizer step.
type IterationInfo struct {
	Epoch     int // 1-based
	Batch     int // 1-based within the epoch
	Batches   int // per epoch
	Iteration int // 1-based over the run
	Total     int // iterations in the run
	Loss      float64
	Acc       float64 // accuracy on the batch (before the step)
	LR        float32
	// ImagesPerSec is the training throughput of this epoch so far, and
	// ETA the estimated time to the end of the run.
	ImagesPerSec float64
	ETA          time.Duration
}

// Callbacks receive a run's progress. They are called on the training
// goroutine: return quickly (copy what a UI needs and hand it over).
type Callbacks struct {
	Iteration func(IterationInfo)
	Epoch     func(EpochMetrics)
	// Checkpoint receives each checkpoint (see KindLast and KindBest). An
	// error stops the run.
	Checkpoint func(*Checkpoint) error
	// LayerStats receives per-layer statistics every LayerStatsEvery
	// iterations.
	LayerStats func(iteration int, stats []LayerStats)
}

// Result sums up a run.
type Result struct {
	History    []EpochMetrics
	Iterations int
	// TrainImagesPerSec is training images over training time (validation
	// and pauses excluded) for the epochs run in this call.
	TrainImagesPerSec float64
	BestEpoch         int
	BestValAcc        float64
	// Stopped is set when the context ended the run, EarlyStopped when
	// patience ran out.
	Stopped, EarlyStopped bool
}

// Trainer trains one model. Pause and Resume may be called from any
// goroutine; cancel the context of Run to stop.
type Trainer struct {
	Model      *nn.Model
	Train, Val *data.Set
	Config     Config
	Callbacks  Callbacks

	// until, when set, ends the run successfully after an epoch for which
	// it returns true (Overfit stops at 100%).
	until func(EpochMetrics) bool

	mu     sync.Mutex
	paused chan struct{}
}

// New checks that the model, data and configuration fit together.
func New(m *nn.Model, trainSet, val *data.Set, cfg Config) (*Trainer, error) {
	if m == nil {
		return nil, errors.New("no model to train")
	}
	if trainSet == nil || trainSet.Len() == 0 {
		return nil, errors.New("the training split is empty; check the dataset and --limit-train")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkFits(m, trainSet); err != nil {
		return nil, err
	}
	if val != nil && val.Len() > 0 {
		if err := checkFits(m, val); err != nil {
			return nil, err
		}
	}
	return &Trainer{Model: m, Train: trainSet, Val: val, Config: cfg.withDefaults()}, nil
}

// checkFits compares the model's input and output with the set's images and
// classes.
func checkFits(m *nn.Model, s *data.Set) error {
	a := m.Analysis
	in := a.Nodes[a.Input].Out
	switch {
	case len(in) == 3 && (in[0] != s.C || in[1] != s.H || in[2] != s.W):
		return fmt.Errorf("the model takes %dx%dx%d images but the dataset has %dx%dx%d; rebuild the model for this dataset", in[0], in[1], in[2], s.C, s.H, s.W)
	case len(in) == 1 && in[0] != s.Size():
		return fmt.Errorf("the model takes %d features but the dataset's images have %d values", in[0], s.Size())
	case len(in) != 1 && len(in) != 3:
		return fmt.Errorf("the model's input shape %v is neither C,H,W nor a feature count", in)
	}
	out := a.Nodes[logitsNode(m)].Out
	if len(out) != 1 || out[0] != len(s.Classes) {
		return fmt.Errorf("the model outputs %v values per image but the dataset has %d classes; set the last layer's outputs to %d", out, len(s.Classes), len(s.Classes))
	}
	return nil
}

// logitsNode is the node whose output is the class scores: the output, or
// the input of a final softmax/log-softmax (the loss applies its own).
func logitsNode(m *nn.Model) string {
	id := m.Analysis.Output
	if n := m.Node(id); n != nil && (n.Op == "softmax" || n.Op == "logsoftmax") && len(n.Inputs) == 1 {
		return n.Inputs[0]
	}
	return id
}

// Pause makes the run wait before its next iteration.
func (t *Trainer) Pause() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.paused == nil {
		t.paused = make(chan struct{})
	}
}

// Resume lets a paused run continue.
func (t *Trainer) Resume() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.paused != nil {
		close(t.paused)
		t.paused = nil
	}
}

// Paused reports whether the run is paused.
func (t *Trainer) Paused() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.paused != nil
}

// wait blocks while paused and returns how long it waited.
func (t *Trainer) wait(ctx context.Context) time.Duration {
	t.mu.Lock()
	ch := t.paused
	t.mu.Unlock()
	if ch == nil {
		return 0
	}
	start := time.Now()
	select {
	case <-ch:
	case <-ctx.Done():
	}
	return time.Since(start)
}

// inputShape is the batch's tensor shape for the model.
func inputShape(m *nn.Model, n, c, h, w int) []int {
	if in := m.Analysis.Nodes[m.Analysis.Input].Out; len(in) == 1 {
		return []int{n, c * h * w}
	}
	return []int{n, c, h, w}
}

// batchIter is a data.Iter or a resumed partial epoch.
type batchIter interface {
	Next() bool
	Batch() *data.Batch
	Err() error
	Close()
}

// partialEpoch yields batches start.. of epoch, built one ahead on a
// goroutine (only the first epoch of a resumed run starts mid-way).
type partialEpoch struct {
	ch     chan *data.Batch
	cancel context.CancelFunc
	ctx    context.Context
	cur    *data.Batch
	err    error
	done   chan struct{}
}

func newPartialEpoch(ctx context.Context, l *data.Loader, epoch, start int) *partialEpoch {
	ctx, cancel := context.WithCancel(ctx)
	p := &partialEpoch{ch: make(chan *data.Batch, 2), cancel: cancel, ctx: ctx, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		defer close(p.ch)
		for b := start; b < l.NumBatches(); b++ {
			bt := l.Batch(epoch, b)
			select {
			case p.ch <- bt:
			case <-ctx.Done():
				return
			}
		}
	}()
	return p
}

func (p *partialEpoch) Next() bool {
	select {
	case b, ok := <-p.ch:
		p.cur = b
		if !ok && p.ctx.Err() != nil {
			p.err = p.ctx.Err()
		}
		return ok
	case <-p.ctx.Done():
		p.err = p.ctx.Err()
		p.cur = nil
		return false
	}
}
func (p *partialEpoch) Batch() *data.Batch { return p.cur }
func (p *partialEpoch) Err() error         { return p.err }
func (p *partialEpoch) Close()             { p.cancel(); <-p.done }

// runState is the position and the running sums that a checkpoint saves.
type runState struct {
	epoch, batch, iter int
	lossSum            float64
	correct, seen      int
	history            []EpochMetrics
	bestAcc            float64
	bestEpoch, bad     int
}

// Run trains from the start, or from resume when it is not nil, until the
// configured number of epochs, early stopping, divergence (a
// *DivergedError) or cancellation (an error wrapping ctx.Err(), with a
// KindLast checkpoint written at the point reached).
func (t *Trainer) Run(ctx context.Context, resume *Checkpoint) (*Result, error) {
	cfg := t.Config
	m := t.Model
	classes := len(t.Train.Classes)
	loader, err := data.NewLoader(data.LoaderConfig{Set: t.Train, BatchSize: cfg.Batch, Shuffle: true,
		Seed: cfg.Seed, Stats: cfg.Stats, Augment: cfg.Augment, Workers: cfg.Workers})
	if err != nil {
		return nil, err
	}
	nb := loader.NumBatches()
	total := cfg.Epochs * nb
	sopt := optim.ScheduleOptions{Gamma: cfg.Gamma, MinLR: cfg.MinLR, Every: cfg.StepEvery * nb}
	opt, err := optim.New(cfg.Optimizer, cfg.Optim)
	if err != nil {
		return nil, err
	}
	sched, err := optim.NewSchedule(cfg.Schedule, opt.LR(), cfg.Warmup*nb, sopt)
	if err != nil {
		return nil, err
	}
	params, err := trainable(m, cfg.Freeze)
	if err != nil {
		return nil, err
	}
	st := runState{bestAcc: math.Inf(-1)}
	if resume != nil {
		if resume.Seed != cfg.Seed {
			return nil, fmt.Errorf("the checkpoint was made with seed %d, not %d; resume with the same seed to continue exactly", resume.Seed, cfg.Seed)
		}
		if resume.Epoch > cfg.Epochs || resume.Batch > nb {
			return nil, fmt.Errorf("the checkpoint is at %s, beyond a run of %d epochs of %d batches; resume with the same data, batch size and at least as many epochs", resume.Where(), cfg.Epochs, nb)
		}
		ws, err := toTensors(resume.Weights)
		if err != nil {
			return nil, err
		}
		if err := m.LoadState(ws); err != nil {
			return nil, err
		}
		os, err := toTensors(resume.Optim)
		if err != nil {
			return nil, err
		}
		if err := opt.LoadState(os); err != nil {
			return nil, err
		}
		st = runState{epoch: resume.Epoch, batch: resume.Batch, iter: resume.Iteration,
			lossSum: resume.LossSum, correct: resume.Correct, seen: resume.Seen,
			history: append([]EpochMetrics(nil), resume.History...), bestAcc: resume.BestValAcc,
			bestEpoch: resume.BestEpoch, bad: resume.BadEpochs}
		if st.bestEpoch == 0 {
			st.bestAcc = math.Inf(-1)
		}
	}
	res := &Result{}
	finish := func() *Result {
		res.History = st.history
		res.Iterations = st.iter
		res.BestEpoch = st.bestEpoch
		if st.bestEpoch > 0 {
			res.BestValAcc = st.bestAcc
		}
		return res
	}
	saved := false
	save := func(kind string) error {
		if t.Callbacks.Checkpoint == nil {
			return nil
		}
		ck := &Checkpoint{Kind: kind, Epoch: st.epoch, Batch: st.batch, Iteration: st.iter, Seed: cfg.Seed,
			Weights: hostCopy(m.State()), Optim: hostCopy(opt.State()), History: append([]EpochMetrics(nil), st.history...),
			LossSum: st.lossSum, Correct: st.correct, Seen: st.seen, BestEpoch: st.bestEpoch, BadEpochs: st.bad}
		if st.bestEpoch > 0 {
			ck.BestValAcc = st.bestAcc
		}
		if err := t.Callbacks.Checkpoint(ck); err != nil {
			return fmt.Errorf("saving the %s checkpoint: %w", kind, err)
		}
		saved = true
		return nil
	}
	if resume == nil {
		if err := save(KindLast); err != nil {
			return nil, err
		}
	} else {
		saved = t.Callbacks.Checkpoint != nil
	}
	startIter := st.iter
	lastSave := time.Now()
	var trainTime time.Duration
	var trainImages int
	stop := logitsNode(m)
	seed := uint64(cfg.Seed)
	firstLoss := math.NaN()

	for st.epoch < cfg.Epochs {
		epochStart := time.Now()
		var epochTrain time.Duration
		epochImages := 0
		var it batchIter
		if st.batch == 0 {
			it = loader.Epoch(ctx, st.epoch)
		} else {
			it = newPartialEpoch(ctx, loader, st.epoch, st.batch)
		}
		stepStart := time.Now()
		for {
			stepStart = stepStart.Add(t.wait(ctx))
			if ctx.Err() != nil || !it.Next() {
				break
			}
			b := it.Batch()
			if cfg.Adversarial != nil {
				if b, err = t.adversarialBatch(ctx, b, st.iter, nb); err != nil {
					if ctx.Err() != nil {
						break // cancelled mid-attack: stop as at any other point
					}
					it.Close()
					return finish(), err
				}
			}
			x := autograd.Const(tensor.FromData(m.B, b.X, inputShape(m, b.N, b.C, b.H, b.W)...))
			var probe *layerProbe
			if cfg.LayerStatsEvery > 0 && t.Callbacks.LayerStats != nil && st.iter%cfg.LayerStatsEvery == 0 {
				probe = newLayerProbe(m, params)
			}
			fc := &nn.Ctx{Training: true, Seed: seed, Step: uint64(st.iter), Stop: stop}
			if probe != nil {
				fc.Hook = probe.hook
			}
			logits := m.Forward(fc, x)
			loss := t.loss(logits, b, classes)
			lv := float64(loss.Item())
			lr := sched.Rate(st.iter, total)
			if math.IsNaN(firstLoss) {
				firstLoss = lv
			}
			if math.IsNaN(lv) || math.IsInf(lv, 0) || (cfg.ExplodeFactor > 0 && lv > cfg.ExplodeFactor*math.Max(firstLoss, 1)) {
				it.Close()
				return finish(), &DivergedError{Epoch: st.epoch + 1, Iteration: st.batch + 1, Value: lv, LR: lr, Kept: saved, First: firstLoss}
			}
			// A periodic checkpoint is taken here, before the step, so that
			// its weights are known to give a finite loss.
			if st.iter > startIter && ((cfg.CheckpointEvery > 0 && st.iter%cfg.CheckpointEvery == 0) ||
				(cfg.CheckpointInterval > 0 && time.Since(lastSave) >= cfg.CheckpointInterval)) {
				if err := save(KindLast); err != nil {
					it.Close()
					return finish(), err
				}
				lastSave = time.Now()
			}
			for _, p := range params {
				// Last step's gradient (read by the optimizer, statistics
				// and callbacks, all done) goes back to the backend.
				freeGrad(p)
			}
			correct := countCorrect(logits.Value, b.Labels)
			// The backward pass frees each activation and saved tensor
			// once it is past every op holding it, and then the rest of
			// the step's graph: the next step reuses the buffers.
			loss.BackwardRelease()
			if probe != nil {
				probe.beforeStep()
			}
			opt.SetLR(lr)
			if err := opt.Step(params); err != nil {
				it.Close()
				return finish(), err
			}
			st.lossSum += lv * float64(b.N)
			st.correct += correct
			st.seen += b.N
			st.batch++
			st.iter++
			now := time.Now()
			epochTrain += now.Sub(stepStart)
			stepStart = now
			epochImages += b.N
			if probe != nil {
				t.Callbacks.LayerStats(st.iter, probe.finish())
			}
			// The batch goes back to the backend for the next step.
			m.B.Free(x.Value.Buf)
			if t.Callbacks.Iteration != nil {
				ips := float64(epochImages) / math.Max(epochTrain.Seconds(), 1e-9)
				left := float64(total-st.iter) * float64(cfg.Batch) / ips
				t.Callbacks.Iteration(IterationInfo{Epoch: st.epoch + 1, Batch: st.batch, Batches: nb,
					Iteration: st.iter, Total: total, Loss: lv, Acc: float64(correct) / float64(b.N), LR: lr,
					ImagesPerSec: ips, ETA: time.Duration(left * float64(time.Second))})
			}
		}
		it.Close()
		trainTime += epochTrain
		trainImages += epochImages
		if ctx.Err() != nil {
			res.Stopped = true
			if trainTime > 0 {
				res.TrainImagesPerSec = float64(trainImages) / trainTime.Seconds()
			}
			if err := save(KindLast); err != nil {
				return finish(), err
			}
			return finish(), fmt.Errorf("training stopped at %s: %w", (&Checkpoint{Epoch: st.epoch, Batch: st.batch}).Where(), ctx.Err())
		}
		em := EpochMetrics{Epoch: st.epoch + 1, TrainLoss: st.lossSum / math.Max(float64(st.seen), 1),
			TrainAcc: float64(st.correct) / math.Max(float64(st.seen), 1), ValLoss: math.NaN(), ValAcc: math.NaN(),
			ImagesPerSec: float64(epochImages) / math.Max(epochTrain.Seconds(), 1e-9),
			LR:           float64(sched.Rate(max(st.iter-1, 0), total))}
		if t.Val != nil && t.Val.Len() > 0 {
			r, err := Evaluate(ctx, m, t.Val, EvalOptions{Batch: cfg.EvalBatch, Stats: cfg.Stats, Loss: cfg.Loss, Misclassified: -1})
			if err != nil {
				if ctx.Err() != nil {
					continue // reported as stopped at the top of the next pass
				}
				return finish(), err
			}
			em.ValLoss, em.ValAcc = r.Loss, r.Acc
			if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
				return finish(), &DivergedError{Epoch: st.epoch + 1, Value: r.Loss, LR: sched.Rate(max(st.iter-1, 0), total), Kept: saved}
			}
		}
		em.Seconds = time.Since(epochStart).Seconds()
		st.history = append(st.history, em)
		st.epoch++
		st.batch, st.lossSum, st.correct, st.seen = 0, 0, 0, 0
		improved := !math.IsNaN(em.ValAcc) && em.ValAcc > st.bestAcc
		if improved {
			st.bestAcc, st.bestEpoch, st.bad = em.ValAcc, em.Epoch, 0
		} else if !math.IsNaN(em.ValAcc) {
			st.bad++
		}
		if t.Callbacks.Epoch != nil {
			t.Callbacks.Epoch(em)
		}
		if improved {
			if err := save(KindBest); err != nil {
				return finish(), err
			}
		}
		if err := save(KindLast); err != nil {
			return finish(), err
		}
		lastSave = time.Now()
		if cfg.Patience > 0 && st.bad >= cfg.Patience {
			res.EarlyStopped = true
			break
		}
		if t.until != nil && t.until(em) {
			break
		}
	}
	if trainTime > 0 {
		res.TrainImagesPerSec = float64(trainImages) / trainTime.Seconds()
	}
	return finish(), nil
}

// loss is the configured loss of logits against the batch's labels (or its
// mixed-up soft labels).
func (t *Trainer) loss(logits *autograd.Var, b *data.Batch, classes int) *autograd.Var {
	cfg := t.Config
	if cfg.Loss == LossSVM {
		return autograd.Hinge(logits, b.Labels, 1, false)
	}
	var target *tensor.Tensor
	if b.Soft != nil {
		target = tensor.FromData(logits.B(), b.Soft, b.N, classes)
	} else {
		target = autograd.OneHot(logits.B(), b.Labels, classes, cfg.LabelSmoothing)
	}
	return autograd.CrossEntropy(logits, target)
}

// countCorrect counts rows of scores [N, K] whose largest value is at the
// label.
func countCorrect(scores *tensor.Tensor, labels []int32) int {
	v := scores.Data()
	k := len(v) / len(labels)
	n := 0
	for i, l := range labels {
		if argmax(v[i*k:(i+1)*k]) == int(l) {
			n++
		}
	}
	return n
}

func argmax(v []float32) int {
	best := 0
	for j := 1; j < len(v); j++ {
		if v[j] > v[best] {
			best = j
		}
	}
	return best
}

// trainable returns the model's parameters less those of frozen nodes,
// which stop requiring gradients.
func trainable(m *nn.Model, freeze []string) ([]*nn.Param, error) {
	frozen := map[string]bool{}
	for _, id := range freeze {
		if m.Node(id) == nil {
			return nil, fmt.Errorf("cannot freeze %q: the model has no such layer", id)
		}
		frozen[id] = true
	}
	var out []*nn.Param
	for _, p := range m.Params {
		if frozen[p.Node] {
			p.V.SetRequiresGrad(false)
			continue
		}
		p.V.SetRequiresGrad(true)
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errors.New("every layer is frozen: nothing to train")
	}
	return out, nil
}

// freeGrad hands p's gradient back to the backend and clears it.
func freeGrad(p *nn.Param) {
	if g := p.V.Grad; g != nil {
		g.B.Free(g.Buf)
	}
	p.V.ZeroGrad()
}
