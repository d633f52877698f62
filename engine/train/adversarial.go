package train

import (
	"context"
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/adversarial"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/data"
)

// Adversarial configures adversarial training (Madry et al. 2018; Wong et
// al. 2020 for FGSM with a random start): every training batch is replaced
// by its adversarial version, made with engine/adversarial on the current
// weights, before the step. The whole batch is replaced (not mixed with the
// clean images): that is Madry et al.'s objective, and it gives the most
// robust model for the epsilon; clean accuracy pays for it. The batch
// accuracy a run reports is then the accuracy on adversarial images.
type Adversarial struct {
	// Method is adversarial.PGD or adversarial.FGSM.
	Method string
	// Eps is the L∞ radius in [0, 1] pixel units (e.g. 8/255).
	Eps float64
	// Steps is PGD's iterations (7); StepSize its step (2.5·Eps/Steps).
	// FGSM takes one step of 1.25·Eps from the random start, clipped to
	// the ball.
	Steps    int
	StepSize float64
	// Ramp grows epsilon (and the step) linearly from 0 over this many
	// epochs (0: full epsilon from the first batch). A model attacked at
	// full strength from its random start can settle on the constant
	// prediction; a ramp lets it find the robust features first.
	Ramp int
}

// Validate checks the settings.
func (a *Adversarial) Validate() error {
	switch {
	case a.Method != adversarial.PGD && a.Method != adversarial.FGSM:
		return fmt.Errorf("adversarial training method %q: use pgd or fgsm", a.Method)
	case !(a.Eps > 0) || a.Eps > 1 || math.IsInf(a.Eps, 0):
		return fmt.Errorf("adversarial training epsilon %v: use a number in (0, 1], e.g. 8/255", a.Eps)
	case a.Steps < 0 || a.StepSize < 0 || math.IsNaN(a.StepSize) || a.Ramp < 0:
		return fmt.Errorf("adversarial training steps, step size and ramp must be >= 0")
	}
	return nil
}

// attackConfig is the engine/adversarial configuration for the batch
// of iteration iter (0-based) of a run of perEpoch batches an epoch.
func (a *Adversarial) attackConfig(seed uint64, batch, iter, perEpoch int) adversarial.Config {
	scale := 1.0
	if a.Ramp > 0 {
		scale = min(1, float64(iter+1)/float64(a.Ramp*perEpoch))
	}
	c := adversarial.Config{Method: a.Method, Eps: a.Eps * scale, Steps: a.Steps, StepSize: a.StepSize * scale,
		RandomStart: true, Seed: seed, Batch: batch}
	if c.Method == adversarial.FGSM {
		// A single PGD step of 1.25·Eps from a random start: FGSM with
		// the random start of Wong et al. ("fast is better than free").
		c.Method, c.Steps, c.StepSize = adversarial.PGD, 1, 1.25*c.Eps
	} else if c.Steps == 0 {
		c.Steps = 7
	}
	return c
}

// adversarialBatch returns b with its images replaced by their adversarial
// versions against the model's current weights. b.X is normalised by stats
// (nil: pixels); the attack works on pixels in [0, 1].
func (t *Trainer) adversarialBatch(ctx context.Context, b *data.Batch, iter, perEpoch int) (*data.Batch, error) {
	a := t.Config.Adversarial
	stats := t.Config.Stats
	pix := append([]float32(nil), b.X...)
	if stats != nil {
		stats.Unapply(pix, b.N)
	}
	for i, v := range pix {
		pix[i] = min(max(v, 0), 1) // augmentation may step outside a little
	}
	labels := make([]int, b.N)
	for i, y := range b.Labels {
		labels[i] = int(y)
	}
	seed := uint64(t.Config.Seed)*1_000_003 + uint64(iter)
	res, err := adversarial.Run(ctx, attrib.Net{Model: t.Model, Stats: stats}, pix, b.N, labels, a.attackConfig(seed, b.N, iter, perEpoch))
	if err != nil {
		return nil, fmt.Errorf("adversarial training: %w", err)
	}
	if stats != nil {
		stats.Apply(res.Adv, b.N)
	}
	out := *b
	out.X = res.Adv
	return &out, nil
}
