package adversarial

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/workbench-cv/workbench/engine/attrib"
)

// Methods and norms.
const (
	FGSM = "fgsm"
	PGD  = "pgd"
	LInf = "linf"
	L2   = "l2"
)

// Config describes an attack.
type Config struct {
	Method string  // FGSM or PGD
	Norm   string  // LInf (default) or L2
	Eps    float64 // radius of the allowed perturbation, in [0, 1] pixel units
	// StepSize is the step of each iteration (PGD; default 2.5·Eps/Steps,
	// Madry et al.'s choice). FGSM's single step is Eps.
	StepSize float64
	Steps    int // iterations of PGD (10)
	// RandomStart begins PGD at a uniformly random point of the ball.
	RandomStart bool
	// Start, when set, is the starting perturbation of every image (N×D
	// values, e.g. a random start shared with another implementation);
	// it overrides RandomStart.
	Start []float32
	// Targeted drives each image towards its label (the target class)
	// instead of away from it.
	Targeted bool
	// EarlyStop freezes an image as soon as the attack succeeds on it
	// (fooling: the fewest steps, the smallest change).
	EarlyStop bool
	// MinProb, for a targeted attack, also asks that the target's
	// probability reach this value before an image counts as a success.
	MinProb float64
	Seed    uint64
	// Batch is the images per gradient pass (32).
	Batch int
	// Progress is called after each step (done, total).
	Progress attrib.Progress
	// Iterate, when set, receives the adversarial batch after each step
	// (step 0 is the start), for step-through.
	Iterate func(step int, x []float32)
}

// Result summarises an attack on N images.
type Result struct {
	Adv []float32 // the adversarial images
	// Success says per image whether the attack worked: predicted as the
	// target (targeted) or not as the label (untargeted), on Adv.
	Success []bool
	// Steps is per image the iterations it took (Steps+… when it failed).
	Steps []int
	Pred  []int // predictions on Adv
	// LInf and L2 are the mean norms of the perturbation over images.
	LInf, L2 float64
}

func (c *Config) fill() error {
	if c.Method == "" {
		c.Method = PGD
	}
	if c.Norm == "" {
		c.Norm = LInf
	}
	switch {
	case c.Method != FGSM && c.Method != PGD:
		return fmt.Errorf("unknown attack %q: use fgsm or pgd", c.Method)
	case c.Norm != LInf && c.Norm != L2:
		return fmt.Errorf("unknown norm %q: use linf or l2", c.Norm)
	case !(c.Eps >= 0) || math.IsInf(c.Eps, 0):
		return fmt.Errorf("epsilon %v: use a number >= 0, e.g. 8/255", c.Eps)
	case c.StepSize < 0 || c.Steps < 0:
		return fmt.Errorf("step size and steps must be >= 0")
	}
	if c.Method == FGSM {
		c.Steps, c.StepSize = 1, c.Eps
	}
	if c.Steps == 0 {
		c.Steps = 10
	}
	if c.StepSize == 0 {
		c.StepSize = 2.5 * c.Eps / float64(c.Steps)
	}
	if c.Batch <= 0 {
		c.Batch = 32
	}
	return nil
}

// Run attacks the N images x with labels (true classes, or target classes
// when cfg.Targeted).
func Run(ctx context.Context, net attrib.Net, x []float32, N int, labels []int, cfg Config) (*Result, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	d := len(x) / max(N, 1)
	if N < 1 || d*N != len(x) || len(labels) != N {
		return nil, fmt.Errorf("%d values, %d labels for %d images", len(x), len(labels), N)
	}
	if cfg.Start != nil && len(cfg.Start) != len(x) {
		return nil, fmt.Errorf("start perturbation has %d values for %d", len(cfg.Start), len(x))
	}
	for _, y := range labels {
		if y < 0 || y >= net.Classes() {
			return nil, fmt.Errorf("label %d is outside the model's %d classes", y, net.Classes())
		}
	}
	res := &Result{Adv: make([]float32, len(x)), Success: make([]bool, N), Steps: make([]int, N), Pred: make([]int, N)}
	total := cfg.Steps * ((N + cfg.Batch - 1) / cfg.Batch)
	done := 0
	for lo := 0; lo < N; lo += cfg.Batch {
		hi := min(lo+cfg.Batch, N)
		iter := cfg.Iterate
		if iter != nil && N > cfg.Batch {
			iter = nil // step-through is for one batch
		}
		err := attackBatch(ctx, net, x[lo*d:hi*d], res.Adv[lo*d:hi*d], hi-lo, labels[lo:hi], cfg, res, lo, iter, func() {
			done++
			if cfg.Progress != nil {
				cfg.Progress(done, total)
			}
		})
		if err != nil {
			return nil, err
		}
	}
	for i := range N {
		li, l2 := norms(res.Adv[i*d:(i+1)*d], x[i*d:(i+1)*d])
		res.LInf += li / float64(N)
		res.L2 += l2 / float64(N)
	}
	return res, nil
}

func norms(a, b []float32) (linf, l2 float64) {
	for i := range a {
		v := math.Abs(float64(a[i] - b[i]))
		linf = math.Max(linf, v)
		l2 += v * v
	}
	return linf, math.Sqrt(l2)
}

func attackBatch(ctx context.Context, net attrib.Net, x, adv []float32, N int, labels []int, cfg Config, res *Result, off int, iter func(int, []float32), step func()) error {
	d := len(x) / N
	delta := make([]float32, len(x))
	if cfg.Start != nil {
		copy(delta, cfg.Start[off*d:(off+N)*d])
	} else if cfg.RandomStart {
		rng := rand.New(rand.NewPCG(cfg.Seed, uint64(off)))
		for i := range N {
			row := delta[i*d : (i+1)*d]
			if cfg.Norm == LInf {
				for j := range row {
					row[j] = float32((rng.Float64()*2 - 1) * cfg.Eps)
				}
				continue
			}
			var s float64
			for j := range row {
				row[j] = float32(rng.NormFloat64())
				s += float64(row[j]) * float64(row[j])
			}
			r := cfg.Eps * math.Pow(rng.Float64(), 1/float64(d)) / math.Sqrt(s)
			for j := range row {
				row[j] *= float32(r)
			}
		}
	}
	apply := func() {
		for i := range x {
			adv[i] = min(max(x[i]+delta[i], 0), 1)
			delta[i] = adv[i] - x[i]
		}
	}
	apply()
	if iter != nil {
		iter(0, adv)
	}
	frozen := make([]bool, N)
	k := net.Classes()
	success := func(logits []float32, i, y int) (int, bool) {
		row := logits[i*k : (i+1)*k]
		pred := attrib.Argmax(row, 1)[0]
		if !cfg.Targeted {
			return pred, pred != y
		}
		return pred, pred == y && (cfg.MinProb <= 0 || float64(attrib.Softmax(row, 1)[y]) >= cfg.MinProb)
	}
	for s := 1; s <= cfg.Steps; s++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		g, logits, err := net.LossGradient(adv, N, labels)
		if err != nil {
			return err
		}
		for i := range N {
			if _, ok := success(logits, i, labels[i]); cfg.EarlyStop && !frozen[i] && ok {
				frozen[i] = true
				res.Steps[off+i] = s - 1
			}
		}
		if cfg.EarlyStop && allTrue(frozen) {
			break // every image got there: no more gradients to take
		}
		sign := float32(1)
		if cfg.Targeted {
			sign = -1
		}
		for i := range N {
			if frozen[i] {
				continue
			}
			row, dr := g[i*d:(i+1)*d], delta[i*d:(i+1)*d]
			if cfg.Norm == LInf {
				for j, v := range row {
					switch {
					case v > 0:
						dr[j] += sign * float32(cfg.StepSize)
					case v < 0:
						dr[j] -= sign * float32(cfg.StepSize)
					}
					dr[j] = min(max(dr[j], -float32(cfg.Eps)), float32(cfg.Eps))
				}
				continue
			}
			var n2 float64
			for _, v := range row {
				n2 += float64(v) * float64(v)
			}
			if n2 > 0 {
				k := sign * float32(cfg.StepSize/math.Sqrt(n2))
				for j, v := range row {
					dr[j] += k * v
				}
			}
			var dn float64
			for _, v := range dr {
				dn += float64(v) * float64(v)
			}
			if dn = math.Sqrt(dn); dn > cfg.Eps {
				for j := range dr {
					dr[j] *= float32(cfg.Eps / dn)
				}
			}
		}
		apply()
		if iter != nil {
			iter(s, adv)
		}
		step()
	}
	logits := net.Logits(adv, N)
	for i := range N {
		res.Pred[off+i], res.Success[off+i] = success(logits, i, labels[i])
		if !frozen[i] {
			res.Steps[off+i] = cfg.Steps
		}
	}
	return nil
}

func allTrue(v []bool) bool {
	for _, b := range v {
		if !b {
			return false
		}
	}
	return true
}
