package adversarial

import (
	"context"
	"fmt"

	"github.com/workbench-cv/workbench/engine/attrib"
)

// Accuracy is the fraction of the N images x the net classifies as labels.
func Accuracy(net attrib.Net, x []float32, N int, labels []int, batch int) float64 {
	if batch <= 0 {
		batch = 64
	}
	d := len(x) / max(N, 1)
	right := 0
	for lo := 0; lo < N; lo += batch {
		hi := min(lo+batch, N)
		for i, p := range net.Predict(x[lo*d:hi*d], hi-lo) {
			if p == labels[lo+i] {
				right++
			}
		}
	}
	return float64(right) / float64(max(N, 1))
}

// Curve is the accuracy under attack for each epsilon of eps (the same
// attack otherwise), the points of an accuracy-against-epsilon plot.
// Progress counts epsilons.
func Curve(ctx context.Context, net attrib.Net, x []float32, N int, labels []int, cfg Config, eps []float64, progress attrib.Progress) ([]float64, error) {
	out := make([]float64, len(eps))
	for i, e := range eps {
		c := cfg
		c.Eps, c.Progress, c.Iterate = e, nil, nil
		if cfg.Method != FGSM && cfg.StepSize > 0 && len(eps) > 1 {
			c.StepSize = 0 // scale the step with epsilon
		}
		res, err := Run(ctx, net, x, N, labels, c)
		if err != nil {
			return nil, err
		}
		out[i] = Accuracy(net, res.Adv, N, labels, c.Batch)
		if progress != nil {
			progress(i+1, len(eps))
		}
	}
	return out, nil
}

// FoolOptions tune Fool.
type FoolOptions struct {
	MaxSteps int     // 100
	StepSize float64 // per step, in pixel units (1/255 for L∞)
	Norm     string  // LInf (default) or L2
	// MinProb keeps going until the target's probability reaches it (0:
	// until the target is predicted).
	MinProb  float64
	Batch    int
	Progress attrib.Progress
	Iterate  func(step int, x []float32)
}

// Fool drives each image towards its target class until the net predicts
// it (Szegedy et al., 2014's fooling images, by iterated gradient steps on
// the target's cross-entropy): the returned Result's Success and Steps say
// which got there and how fast; its LInf is the mean L∞ change.
func Fool(ctx context.Context, net attrib.Net, x []float32, N int, targets []int, o FoolOptions) (*Result, error) {
	if o.MaxSteps <= 0 {
		o.MaxSteps = 100
	}
	if o.StepSize <= 0 {
		o.StepSize = 1.0 / 255
		if o.Norm == L2 {
			o.StepSize = 0.1
		}
	}
	return Run(ctx, net, x, N, targets, Config{Method: PGD, Norm: o.Norm, Eps: 1e9, StepSize: o.StepSize,
		Steps: o.MaxSteps, Targeted: true, EarlyStop: true, MinProb: o.MinProb, Batch: o.Batch, Progress: o.Progress, Iterate: o.Iterate})
}

// UniversalOptions tune Universal.
type UniversalOptions struct {
	Eps      float64 // L∞ radius (10/255)
	StepSize float64 // per batch (Eps/10)
	Epochs   int     // passes over the images (5)
	Batch    int     // images per update (32)
	Progress attrib.Progress
	// Iterate receives the perturbation after each epoch.
	Iterate func(epoch int, delta []float32)
}

// UniversalResult is a universal perturbation and how well it works.
type UniversalResult struct {
	Delta []float32 // one C×H×W perturbation for every image
	// FoolingRate is the fraction of images whose prediction it changes.
	FoolingRate float64
	// CleanAcc and AdvAcc are the accuracies without and with it.
	CleanAcc, AdvAcc float64
}

// Universal finds one L∞-bounded perturbation that raises the loss of
// every image at once (Moosavi-Dezfooli et al., 2017, computed as
// stochastic projected gradient ascent on the summed cross-entropy, as
// Shafahi et al., 2020).
func Universal(ctx context.Context, net attrib.Net, x []float32, N int, labels []int, o UniversalOptions) (*UniversalResult, error) {
	if o.Eps == 0 {
		o.Eps = 10.0 / 255
	}
	if o.StepSize == 0 {
		o.StepSize = o.Eps / 10
	}
	if o.Epochs <= 0 {
		o.Epochs = 5
	}
	if o.Batch <= 0 {
		o.Batch = 32
	}
	d := len(x) / max(N, 1)
	if N < 1 || d*N != len(x) || len(labels) != N {
		return nil, fmt.Errorf("%d values, %d labels for %d images", len(x), len(labels), N)
	}
	delta := make([]float32, d)
	batches := (N + o.Batch - 1) / o.Batch
	adv := make([]float32, o.Batch*d)
	for e := range o.Epochs {
		for bi := range batches {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			lo, hi := bi*o.Batch, min((bi+1)*o.Batch, N)
			n := hi - lo
			for i := range n {
				for j := range d {
					adv[i*d+j] = min(max(x[(lo+i)*d+j]+delta[j], 0), 1)
				}
			}
			g, _, err := net.LossGradient(adv[:n*d], n, labels[lo:hi])
			if err != nil {
				return nil, err
			}
			for j := range d {
				var s float32
				for i := range n {
					s += g[i*d+j]
				}
				switch {
				case s > 0:
					delta[j] += float32(o.StepSize)
				case s < 0:
					delta[j] -= float32(o.StepSize)
				}
				delta[j] = min(max(delta[j], -float32(o.Eps)), float32(o.Eps))
			}
			if o.Progress != nil {
				o.Progress(e*batches+bi+1, o.Epochs*batches)
			}
		}
		if o.Iterate != nil {
			o.Iterate(e+1, append([]float32(nil), delta...))
		}
	}
	perturbed := make([]float32, len(x))
	for i := range N {
		for j := range d {
			perturbed[i*d+j] = min(max(x[i*d+j]+delta[j], 0), 1)
		}
	}
	clean := predictAll(net, x, N, o.Batch)
	advPred := predictAll(net, perturbed, N, o.Batch)
	r := &UniversalResult{Delta: delta}
	for i := range N {
		if clean[i] != advPred[i] {
			r.FoolingRate++
		}
		if clean[i] == labels[i] {
			r.CleanAcc++
		}
		if advPred[i] == labels[i] {
			r.AdvAcc++
		}
	}
	r.FoolingRate /= float64(N)
	r.CleanAcc /= float64(N)
	r.AdvAcc /= float64(N)
	return r, nil
}

func predictAll(net attrib.Net, x []float32, N, batch int) []int {
	d := len(x) / N
	out := make([]int, 0, N)
	for lo := 0; lo < N; lo += batch {
		hi := min(lo+batch, N)
		out = append(out, net.Predict(x[lo*d:hi*d], hi-lo)...)
	}
	return out
}

// Transfer makes the attack on each net in turn and measures every net on
// the result: acc[i][j] is net j's accuracy on the examples made on net i
// (the diagonal is the white-box attack). The nets must share the input.
func Transfer(ctx context.Context, nets []Net, x []float32, N int, labels []int, cfg Config) ([][]float64, error) {
	acc := make([][]float64, len(nets))
	for i, src := range nets {
		res, err := Run(ctx, src, x, N, labels, cfg)
		if err != nil {
			return nil, err
		}
		acc[i] = make([]float64, len(nets))
		for j, dst := range nets {
			acc[i][j] = Accuracy(dst, res.Adv, N, labels, cfg.Batch)
		}
	}
	return acc, nil
}

// Net is the classifier an attack runs on (attrib.Net).
type Net = attrib.Net
