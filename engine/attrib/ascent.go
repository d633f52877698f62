package attrib

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Objective is what gradient ascent maximises for one image (C×H×W
// pixels): its value and its gradient with respect to the pixels.
type Objective func(x []float32) (float64, []float32, error)

// Objective returns the target's score (a class's unnormalised score, or a
// unit's mean activation) as an Objective.
func (n Net) Objective(t Target) Objective {
	return func(x []float32) (float64, []float32, error) {
		r, err := n.run(x, 1, []Target{t}, pass{})
		if err != nil {
			return 0, nil, err
		}
		seed := targetSeed(append([]int{1}, n.outShape([]Target{t})...), []Target{t})
		var s float64
		for i, v := range seed {
			s += float64(v) * float64(r.out[i])
		}
		return s, r.grad, nil
	}
}

// AscentOptions are the regularisers of gradient ascent on an image, each
// off at 0 (Simonyan et al., 2014; Yosinski et al., 2015).
type AscentOptions struct {
	Steps int     // iterations (200)
	LR    float64 // step, in pixel units, of the gradient scaled to mean |g| = 1 (0.01)
	// L2 pulls the image towards mid grey: x -= LR·L2·(x − 0.5) each step.
	L2 float64
	// BlurEvery blurs the image with a Gaussian of BlurSigma pixels every
	// so many steps.
	BlurEvery int
	BlurSigma float64
	// Jitter shifts the image by up to this many pixels (circularly) for
	// each gradient, so the result does not depend on exact positions.
	Jitter int
	// ClipNorm resets to grey the pixels whose colour distance from grey
	// lies below this percentile (0 to 100) of all pixels.
	ClipNorm float64
	// ClipContrib does the same for the pixels whose contribution
	// Σc |(x − 0.5)·∂f/∂x| is below this percentile.
	ClipContrib float64
	// Adam replaces the normalised step with Adam's (Kingma and Ba,
	// 2015; β 0.9, 0.999, ε 1e-8) of step size LR: the usual optimiser of
	// feature inversion, texture synthesis and style transfer.
	Adam bool
	// Init is the starting image (nil: grey with faint noise).
	Init []float32
	Seed uint64
	// Progress is called after each step.
	Progress Progress
	// Iterate, when set, receives a copy of the image every Every steps
	// (and at the end), for iteration scrubbing.
	Iterate func(step int, x []float32)
	Every   int
}

// AscentResult is the final image and the objective at each step.
type AscentResult struct {
	Image  []float32
	Scores []float64
}

// Ascend maximises obj over images of shape C,H,W with the regularisers
// of o. Pixels stay in [0, 1].
func Ascend(ctx context.Context, shape []int, obj Objective, o AscentOptions) (*AscentResult, error) {
	if len(shape) != 3 {
		return nil, fmt.Errorf("gradient ascent needs an image shape C,H,W, not %v", shape)
	}
	c, h, w := shape[0], shape[1], shape[2]
	d := c * h * w
	if o.Steps <= 0 {
		o.Steps = 200
	}
	if o.LR == 0 {
		o.LR = 0.01
	}
	if o.Every <= 0 {
		o.Every = 10
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0xa5c))
	x := make([]float32, d)
	switch len(o.Init) {
	case 0:
		for i := range x {
			x[i] = 0.5 + float32(rng.NormFloat64()*0.01)
		}
	case d:
		copy(x, o.Init)
	default:
		return nil, fmt.Errorf("start image has %d values, not %d", len(o.Init), d)
	}
	res := &AscentResult{}
	var adam *adamState
	if o.Iterate != nil {
		o.Iterate(0, append([]float32(nil), x...))
	}
	for step := 1; step <= o.Steps; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		oy, ox := 0, 0
		if o.Jitter > 0 {
			oy, ox = rng.IntN(2*o.Jitter+1)-o.Jitter, rng.IntN(2*o.Jitter+1)-o.Jitter
		}
		score, g, err := obj(roll(x, c, h, w, oy, ox))
		if err != nil {
			return nil, err
		}
		g = roll(g, c, h, w, -oy, -ox)
		if o.Adam {
			if adam == nil {
				adam = newAdamState(d)
			}
			adam.step(x, g, o.LR)
		} else {
			normalisedStep(x, g, o.LR, o.L2)
		}
		if o.BlurEvery > 0 && o.BlurSigma > 0 && step%o.BlurEvery == 0 {
			Blur(x, c, h, w, o.BlurSigma)
		}
		if o.ClipNorm > 0 {
			clipPixels(x, c, h*w, o.ClipNorm, func(ch, p int) float64 { v := float64(x[ch*h*w+p] - 0.5); return v * v })
		}
		if o.ClipContrib > 0 {
			clipPixels(x, c, h*w, o.ClipContrib, func(ch, p int) float64 {
				return math.Abs(float64((x[ch*h*w+p] - 0.5) * g[ch*h*w+p]))
			})
		}
		res.Scores = append(res.Scores, score)
		o.Progress.report(step, o.Steps)
		if o.Iterate != nil && (step%o.Every == 0 || step == o.Steps) {
			o.Iterate(step, append([]float32(nil), x...))
		}
	}
	res.Image = x
	return res, nil
}

// normalisedStep moves x along g scaled to mean |g| = 1 by lr, pulls it
// towards grey by lr·l2 and keeps it in [0, 1].
func normalisedStep(x, g []float32, lr, l2 float64) {
	var mean float64
	for _, v := range g {
		mean += math.Abs(float64(v))
	}
	mean /= float64(len(g))
	k := float32(0)
	if mean > 0 {
		k = float32(lr / mean)
	}
	for i := range x {
		x[i] += k*g[i] - float32(lr*l2)*(x[i]-0.5)
		x[i] = min(max(x[i], 0), 1)
	}
}

// adamState is Adam's running moments for ascent on pixels.
type adamState struct {
	m, v []float64
	t    int
}

func newAdamState(d int) *adamState { return &adamState{m: make([]float64, d), v: make([]float64, d)} }

// step moves x up g by Adam's rule with step size lr and keeps it in [0, 1].
func (a *adamState) step(x, g []float32, lr float64) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	a.t++
	c1, c2 := 1-math.Pow(b1, float64(a.t)), 1-math.Pow(b2, float64(a.t))
	for i, gv := range g {
		gi := float64(gv)
		a.m[i] = b1*a.m[i] + (1-b1)*gi
		a.v[i] = b2*a.v[i] + (1-b2)*gi*gi
		x[i] += float32(lr * (a.m[i] / c1) / (math.Sqrt(a.v[i]/c2) + eps))
		x[i] = min(max(x[i], 0), 1)
	}
}

// clipPixels sets to grey the pixels whose value (summed over channels)
// is below the given percentile.
func clipPixels(x []float32, c, plane int, pct float64, val func(ch, p int) float64) {
	v := make([]float64, plane)
	for p := range plane {
		for ch := range c {
			v[p] += val(ch, p)
		}
	}
	sorted := append([]float64(nil), v...)
	sort.Float64s(sorted)
	cut := sorted[min(plane-1, int(pct/100*float64(plane)))]
	for p := range plane {
		if v[p] < cut {
			for ch := range c {
				x[ch*plane+p] = 0.5
			}
		}
	}
}

// roll shifts an image circularly by (dy, dx).
func roll(x []float32, c, h, w, dy, dx int) []float32 {
	if dy == 0 && dx == 0 {
		return append([]float32(nil), x...)
	}
	out := make([]float32, len(x))
	for ch := range c {
		for y := range h {
			ty := ((y+dy)%h + h) % h
			for xx := range w {
				tx := ((xx+dx)%w + w) % w
				out[(ch*h+ty)*w+tx] = x[(ch*h+y)*w+xx]
			}
		}
	}
	return out
}

// Blur convolves each channel of x with a Gaussian of the given sigma
// (separable, edges clamped), in place.
func Blur(x []float32, c, h, w int, sigma float64) {
	r := max(1, int(math.Ceil(3*sigma)))
	k := make([]float64, 2*r+1)
	var s float64
	for i := range k {
		d := float64(i - r)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		s += k[i]
	}
	for i := range k {
		k[i] /= s
	}
	tmp := make([]float32, h*w)
	for ch := range c {
		p := x[ch*h*w : (ch+1)*h*w]
		for y := range h {
			for xx := range w {
				var a float64
				for i, kv := range k {
					a += kv * float64(p[y*w+min(max(xx+i-r, 0), w-1)])
				}
				tmp[y*w+xx] = float32(a)
			}
		}
		for y := range h {
			for xx := range w {
				var a float64
				for i, kv := range k {
					a += kv * float64(tmp[min(max(y+i-r, 0), h-1)*w+xx])
				}
				p[y*w+xx] = float32(a)
			}
		}
	}
}
