package train

import (
	"context"
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// LRTrial is a short run at one learning rate, to see whether the rate
// the finder suggests is safe for the optimizer in use (Adam at the rate
// of steepest descent may kill most ReLUs within a hundred steps).
type LRTrial struct {
	LR         float64
	Iterations int
	// Loss is the mean loss of the last tenth of the trial; Start the mean
	// of its first tenth.
	Loss, Start float64
	Diverged    bool
	// Layers are the statistics of its last iteration.
	Layers []LayerStats
	// Verdict is the diagnosis of the trial (DiagnoseRun on its layers).
	Verdict Diagnosis
}

// OK reports whether the trial left the network trainable: a finite loss
// that fell, no layer with more than DeadLimit dead units, no update far
// above the weights.
func (t LRTrial) OK() bool {
	return !t.Diverged && t.Loss < t.Start && t.Verdict.Kind != "dead-units" && t.Verdict.Kind != "lr-too-high" && t.Verdict.Kind != "diverged"
}

// ValidateLR trains m for steps iterations at the constant rate lr with
// cfg's optimizer, from m's present weights, and reads its layers on the
// last iteration. While the trial is not OK it backs off (the rate divided
// by 3) and tries again from the same weights, at most tries times. It
// returns the trials in order; the last OK one's rate is the one to use (0
// when none was). m's weights are restored.
func ValidateLR(ctx context.Context, m *nn.Model, s *data.Set, cfg LRFinderConfig, lr float64, steps, tries int) ([]LRTrial, error) {
	if cfg.Optimizer == "" {
		cfg.Optimizer = "adam"
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 64
	}
	if steps <= 0 {
		steps = 100
	}
	if tries <= 0 {
		tries = 4
	}
	if err := checkFits(m, s); err != nil {
		return nil, err
	}
	saved := map[string][]float32{}
	for name, t := range m.State() {
		saved[name] = t.Data()
	}
	defer func() {
		for name, t := range m.State() {
			t.Set(saved[name])
		}
	}()
	var trials []LRTrial
	for try := 0; try < tries; try++ {
		if try > 0 {
			for name, t := range m.State() {
				t.Set(saved[name])
			}
		}
		tr, err := lrTrial(ctx, m, s, cfg, lr, steps)
		if err != nil {
			return trials, err
		}
		trials = append(trials, tr)
		if tr.OK() {
			break
		}
		lr /= 3
	}
	return trials, nil
}

// SafeLR is the rate of the last OK trial (0 when none was).
func SafeLR(trials []LRTrial) float64 {
	if n := len(trials); n > 0 && trials[n-1].OK() {
		return trials[n-1].LR
	}
	return 0
}

// lrTrial trains steps iterations at rate lr.
func lrTrial(ctx context.Context, m *nn.Model, s *data.Set, cfg LRFinderConfig, lr float64, steps int) (LRTrial, error) {
	res := LRTrial{LR: lr}
	oc := cfg.Optim
	oc.LR = float32(lr)
	opt, err := optim.New(cfg.Optimizer, oc)
	if err != nil {
		return res, err
	}
	loader, err := data.NewLoader(data.LoaderConfig{Set: s, BatchSize: cfg.Batch, Shuffle: true, Seed: cfg.Seed + 17, Stats: cfg.Stats})
	if err != nil {
		return res, err
	}
	params, err := trainable(m, nil)
	if err != nil {
		return res, err
	}
	tr := &Trainer{Config: Config{Loss: cfg.Loss, Batch: cfg.Batch}.withDefaults()}
	classes := len(s.Classes)
	tenth := max(steps/10, 1)
	var losses []float64
	var probe *layerProbe
	for epoch := 0; res.Iterations < steps && !res.Diverged; epoch++ {
		it := loader.Epoch(ctx, epoch)
		for res.Iterations < steps && it.Next() {
			b := it.Batch()
			cfg.report(res.Iterations, fmt.Sprintf("Trying %s for %d iterations (iteration %d)…", shortRate(lr), steps, res.Iterations+1))
			c := &nn.Ctx{Training: true, Seed: uint64(cfg.Seed), Step: uint64(res.Iterations), Stop: logitsNode(m)}
			last := res.Iterations == steps-1
			if last {
				probe = newLayerProbe(m, params)
				c.Hook = probe.hook
			}
			x := autograd.Const(tensor.FromData(m.B, b.X, inputShape(m, b.N, b.C, b.H, b.W)...))
			loss := tr.loss(m.Forward(c, x), b, classes)
			lv := float64(loss.Item())
			res.Iterations++
			if math.IsNaN(lv) || math.IsInf(lv, 0) {
				res.Diverged = true
				break
			}
			losses = append(losses, lv)
			for _, p := range params {
				freeGrad(p)
			}
			loss.BackwardRelease()
			if last {
				probe.beforeStep()
			}
			if err := opt.Step(params); err != nil {
				it.Close()
				return res, err
			}
			m.B.Free(x.Value.Buf)
		}
		it.Close()
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if res.Iterations == 0 {
			return res, fmt.Errorf("no training batches for a learning-rate trial")
		}
	}
	if n := len(losses); n > 0 {
		res.Start = mean(losses[:min(tenth, n)])
		res.Loss = mean(losses[max(n-tenth, 0):])
	}
	if probe != nil {
		res.Layers = probe.finish()
	}
	res.Verdict = DiagnoseRun(Evidence{Layers: res.Layers, Optimizer: cfg.Optimizer, LR: lr})
	if res.Verdict.Kind == "not-learning" { // no epochs: only the layers were read
		res.Verdict = Diagnosis{Kind: "healthy", Message: "every layer alive, updates in range"}
	}
	if res.Diverged {
		res.Verdict = Diagnosis{Kind: "diverged", Message: fmt.Sprintf("the loss exploded within %d iterations at %s", res.Iterations, shortRate(lr))}
	}
	return res, nil
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// TrialsInWords says what the trials found: the rate kept and, when the
// suggestion was backed off, why.
func TrialsInWords(suggested float64, trials []LRTrial, optimizer string) string {
	safe := SafeLR(trials)
	name := optimName(optimizer)
	if name == "" {
		name = "Adam"
	}
	if len(trials) == 0 {
		return ""
	}
	first := trials[0]
	switch {
	case safe == suggested:
		return fmt.Sprintf("a %d-iteration trial at %s with %s kept every layer alive (loss %.3g to %.3g)", first.Iterations, shortRate(safe), name, first.Start, first.Loss)
	case safe > 0:
		return fmt.Sprintf("backed off from %s to %s: a %d-iteration trial at %s with %s went wrong (%s)", shortRate(suggested), shortRate(safe), first.Iterations, shortRate(suggested), name, trialProblem(first))
	}
	return fmt.Sprintf("no rate from %s down to %s trained safely with %s (%s): check the model and the data", shortRate(suggested), shortRate(trials[len(trials)-1].LR), name, trialProblem(trials[len(trials)-1]))
}

func trialProblem(t LRTrial) string {
	switch {
	case t.Diverged:
		return "the loss exploded"
	case t.Verdict.Kind == "dead-units" || t.Verdict.Kind == "lr-too-high":
		return t.Verdict.Reasons[0]
	case t.Loss >= t.Start:
		return fmt.Sprintf("the loss did not fall, %.3g to %.3g", t.Start, t.Loss)
	}
	return t.Verdict.Message
}
