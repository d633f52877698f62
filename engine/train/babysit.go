package train

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// InitialLossResult compares a fresh model's loss with what chance gives.
type InitialLossResult struct {
	Loss     float64
	Expected float64 // log(C) for softmax, C-1 for the SVM loss
	OK       bool
	Message  string
}

// InitialLoss is step 1 of babysitting: with regularisation off, a freshly
// initialised model should score every class about equally, so its
// softmax loss should be close to log(C) (the SVM loss to C-1). It looks at
// up to n images of s (500 when n <= 0).
func InitialLoss(ctx context.Context, m *nn.Model, s *data.Set, opt EvalOptions, n int) (*InitialLossResult, error) {
	if n <= 0 {
		n = 500
	}
	if s == nil || s.Len() == 0 {
		return nil, errors.New("no images to measure the initial loss on")
	}
	if n < s.Len() {
		s = data.BalancedSubset(s, n, 1)
	}
	opt.Misclassified = -1
	opt.TTA = false
	r, err := Evaluate(ctx, m, s, opt)
	if err != nil {
		return nil, err
	}
	k := float64(len(s.Classes))
	res := &InitialLossResult{Loss: r.Loss, Expected: math.Log(k)}
	name := fmt.Sprintf("log(%d) = %.3g", len(s.Classes), res.Expected)
	if opt.Loss == LossSVM {
		res.Expected = k - 1
		name = fmt.Sprintf("C-1 = %.3g", res.Expected)
	}
	ratio := r.Loss / res.Expected
	switch {
	case math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0):
		res.Message = fmt.Sprintf("the initial loss is %v: the initialisation or the data is broken (check the input scaling)", r.Loss)
	case ratio > 1.25:
		res.Message = fmt.Sprintf("the initial loss %.3g is well above %s: the weights start too large and the scores are confident from the start; scale the initialisation down (he or xavier, or a smaller gaussian)", r.Loss, name)
	case ratio < 0.75:
		res.Message = fmt.Sprintf("the initial loss %.3g is well below %s, lower than chance allows: check that the labels are right and regularisation and pretrained weights are off", r.Loss, name)
	default:
		res.OK = true
		res.Message = fmt.Sprintf("the initial loss %.3g is close to %s, as expected with small random weights", r.Loss, name)
	}
	return res, nil
}

// OverfitResult reports whether a model can learn a few batches by heart.
type OverfitResult struct {
	Images, Epochs, Iterations int
	Acc, Loss                  float64 // on the small subset, evaluation mode
	OK                         bool
	Message                    string
	History                    []EpochMetrics
}

// Overfit is step 2 of babysitting: train on a handful of batches (5-10)
// with regularisation and augmentation off until they are classified 100%
// correctly. A model and optimizer that cannot is broken or badly tuned.
// It trains m for at most cfg.Epochs passes (200 when 0).
// progress, when not nil, hears of each epoch: done of at most total, as
// the run ends early once the batches are learnt.
func Overfit(ctx context.Context, m *nn.Model, s *data.Set, cfg Config, batches int, progress func(done, total int)) (*OverfitResult, error) {
	if batches <= 0 {
		batches = 5
	}
	if cfg.Epochs == 0 {
		cfg.Epochs = 200
	}
	cfg = cfg.withDefaults()
	cfg.Optim.WeightDecay = 0
	cfg.Augment = nil
	cfg.LabelSmoothing = 0
	cfg.Patience = 0
	cfg.Schedule, cfg.Warmup = "constant", 0
	n := min(batches*cfg.Batch, s.Len())
	small := data.BalancedSubset(s, n, cfg.Seed)
	tr, err := New(m, small, small, cfg)
	if err != nil {
		return nil, err
	}
	tr.until = func(e EpochMetrics) bool { return e.ValAcc >= 1 }
	if progress != nil {
		tr.Callbacks.Epoch = func(e EpochMetrics) { progress(e.Epoch, cfg.Epochs) }
	}
	res, err := tr.Run(ctx, nil)
	if err != nil && res == nil {
		return nil, err
	}
	out := &OverfitResult{Images: n, Epochs: len(res.History), Iterations: res.Iterations, History: res.History}
	if len(res.History) > 0 {
		last := res.History[len(res.History)-1]
		out.Acc, out.Loss = last.ValAcc, last.ValLoss
	}
	var de *DivergedError
	switch {
	case errors.As(err, &de):
		out.Message = "the loss diverged while overfitting a few batches: " + err.Error()
		return out, nil
	case err != nil:
		return out, err
	case out.Acc >= 1:
		out.OK = true
		out.Message = fmt.Sprintf("the model learnt %d images by heart in %d epochs (loss %.3g): the model, loss and optimizer work", n, out.Epochs, out.Loss)
	default:
		out.Message = fmt.Sprintf("after %d epochs the model classifies only %.1f%% of %d training images correctly: raise the learning rate, check the labels, or make the model bigger", out.Epochs, 100*out.Acc, n)
	}
	return out, nil
}

// LRFinderConfig sets up FindLR; zero fields take the defaults given.
type LRFinderConfig struct {
	Optimizer string       // adam
	Optim     optim.Config // the rate is overridden
	Batch     int          // 64
	Lo, Hi    float64      // 1e-7 and 10
	Steps     int          // 100
	Stats     *data.Stats
	Seed      int64
	Loss      string
	// Validate, when above 0, checks the suggestion with a trial of that
	// many iterations from the model's starting weights (ValidateLR),
	// backing off while the trial kills units or diverges.
	Validate int
	// Progress, when set, hears of each iteration of the sweep and of its
	// validation trials: done of total iterations and what runs now.
	Progress func(done, total int, what string)
	// base is where a validation trial's iterations start in Progress.
	base int
}

// report calls Progress when set.
func (c LRFinderConfig) report(done int, what string) {
	if c.Progress != nil {
		c.Progress(c.base+done, c.Steps+c.Validate, what)
	}
}

// LRFinderResult is the loss along the learning-rate sweep.
type LRFinderResult struct {
	LRs, Losses, Smoothed []float64
	// Suggested is the rate at which the smoothed loss falls fastest
	// against log(lr), or, with Validate, the rate the trials found safe.
	Suggested float64
	Message   string
	// Sweep is the rate of steepest descent before validation, and Trials
	// the validation's trials (see LRFinderConfig.Validate).
	Sweep  float64
	Trials []LRTrial
}

// FindLR is step 3 of babysitting (Smith's learning-rate range test): it
// trains m for Steps iterations with the rate rising log-uniformly from Lo
// to Hi, records the loss, stops once the loss has blown up (four times its
// best), and suggests the rate of steepest descent. It changes m: build a
// fresh model for the real run.
func FindLR(ctx context.Context, m *nn.Model, s *data.Set, cfg LRFinderConfig) (*LRFinderResult, error) {
	if cfg.Optimizer == "" {
		cfg.Optimizer = "adam"
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 64
	}
	if cfg.Lo <= 0 {
		cfg.Lo = 1e-7
	}
	if cfg.Hi <= 0 {
		cfg.Hi = 10
	}
	if cfg.Steps <= 1 {
		cfg.Steps = 100
	}
	if cfg.Hi <= cfg.Lo {
		return nil, fmt.Errorf("the sweep's highest rate %g must exceed its lowest %g", cfg.Hi, cfg.Lo)
	}
	if err := checkFits(m, s); err != nil {
		return nil, err
	}
	start := map[string][]float32{}
	if cfg.Validate > 0 {
		for name, t := range m.State() {
			start[name] = t.Data()
		}
	}
	opt, err := optim.New(cfg.Optimizer, cfg.Optim)
	if err != nil {
		return nil, err
	}
	loader, err := data.NewLoader(data.LoaderConfig{Set: s, BatchSize: cfg.Batch, Shuffle: true, Seed: cfg.Seed, Stats: cfg.Stats})
	if err != nil {
		return nil, err
	}
	params, err := trainable(m, nil)
	if err != nil {
		return nil, err
	}
	tr := &Trainer{Config: Config{Loss: cfg.Loss, Batch: cfg.Batch}.withDefaults()}
	classes := len(s.Classes)
	res := &LRFinderResult{}
	const beta = 0.9
	avg, best := 0.0, math.Inf(1)
	step := 0
	for epoch := 0; step < cfg.Steps; epoch++ {
		it := loader.Epoch(ctx, epoch)
		for step < cfg.Steps && it.Next() {
			b := it.Batch()
			lr := cfg.Lo * math.Pow(cfg.Hi/cfg.Lo, float64(step)/float64(cfg.Steps-1))
			cfg.report(step, fmt.Sprintf("Sweeping the learning rate: %s (iteration %d of %d)…", shortRate(lr), step+1, cfg.Steps))
			x := autograd.Const(tensor.FromData(m.B, b.X, inputShape(m, b.N, b.C, b.H, b.W)...))
			logits := m.Forward(&nn.Ctx{Training: true, Seed: uint64(cfg.Seed), Step: uint64(step), Stop: logitsNode(m)}, x)
			loss := tr.loss(logits, b, classes)
			lv := float64(loss.Item())
			step++
			// The sweep's last step (diverged, or past 4x the best loss)
			// hands its graph and batch back unused.
			stop := func() {
				autograd.Release(loss)
				m.B.Free(x.Value.Buf)
				step = cfg.Steps
			}
			if math.IsNaN(lv) || math.IsInf(lv, 0) {
				stop()
				break
			}
			avg = beta*avg + (1-beta)*lv
			sm := avg / (1 - math.Pow(beta, float64(len(res.LRs)+1)))
			res.LRs = append(res.LRs, lr)
			res.Losses = append(res.Losses, lv)
			res.Smoothed = append(res.Smoothed, sm)
			best = math.Min(best, sm)
			if sm > 4*best && len(res.LRs) > 5 {
				stop()
				break
			}
			for _, p := range params {
				freeGrad(p)
			}
			// The graph goes back to the backend during the backward
			// pass, and the batch after the step, for the next step.
			loss.BackwardRelease()
			opt.SetLR(float32(lr))
			if err := opt.Step(params); err != nil {
				it.Close()
				return nil, err
			}
			m.B.Free(x.Value.Buf)
		}
		it.Close()
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	res.Suggested = steepest(res.LRs, res.Smoothed)
	res.Sweep = res.Suggested
	if res.Suggested == 0 {
		res.Message = "the loss never fell during the sweep: check the data and the model (run the overfit step), or sweep higher rates"
		return res, nil
	}
	res.Message = fmt.Sprintf("the loss falls fastest at a learning rate of %.2g; start there (or a few times lower for a long run)", res.Suggested)
	if cfg.Validate <= 0 {
		return res, nil
	}
	for name, t := range m.State() {
		t.Set(start[name])
	}
	cfg.base = cfg.Steps
	res.Trials, err = ValidateLR(ctx, m, s, cfg, res.Sweep, cfg.Validate, 4)
	if err != nil {
		return nil, err
	}
	res.Suggested = SafeLR(res.Trials)
	if res.Suggested > 0 {
		res.Message = fmt.Sprintf("use %s: the loss falls fastest at %s, and %s", shortRate(res.Suggested), shortRate(res.Sweep),
			TrialsInWords(res.Sweep, res.Trials, cfg.Optimizer))
	} else {
		res.Message = TrialsInWords(res.Sweep, res.Trials, cfg.Optimizer)
	}
	return res, nil
}

// steepest returns the rate where the smoothed loss has its most negative
// slope against log(lr), ignoring the first tenth of the sweep (the average
// is still settling) and everything after the minimum.
func steepest(lrs, sm []float64) float64 {
	n := len(sm)
	if n < 3 {
		return 0
	}
	end := 0
	for i := range sm {
		if sm[i] < sm[end] {
			end = i
		}
	}
	bestI, bestSlope := -1, 0.0
	for i := max(1, n/10); i < end && i+1 < n; i++ {
		slope := (sm[i+1] - sm[i-1]) / (math.Log(lrs[i+1]) - math.Log(lrs[i-1]))
		if slope < bestSlope {
			bestI, bestSlope = i, slope
		}
	}
	if bestI < 0 {
		return 0
	}
	return lrs[bestI]
}

// LoadMatching copies into m every tensor of weights whose name and shape
// match one of m's (transfer learning: keep the features, replace the
// classifier) and reports which of m's tensors were loaded and which kept
// their initial values.
func LoadMatching(m *nn.Model, weights map[string]Tensor) (loaded, skipped []string) {
	for name, dst := range m.State() {
		w, ok := weights[name]
		if !ok || !tensor.SameShape(w.Shape, dst.Shape) || len(w.Data) != dst.Len() {
			skipped = append(skipped, name)
			continue
		}
		dst.Set(w.Data)
		loaded = append(loaded, name)
	}
	return loaded, skipped
}
