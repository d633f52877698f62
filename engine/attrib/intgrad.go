package attrib

import (
	"context"
	"fmt"
	"math"
)

// Integration rules of integrated gradients, named as in Captum.
const (
	RiemannLeft      = "riemann_left"
	RiemannRight     = "riemann_right"
	RiemannMiddle    = "riemann_middle"
	RiemannTrapezoid = "riemann_trapezoid"
	GaussLegendre    = "gausslegendre"
)

// IGOptions tune IntegratedGradients. The defaults are Captum's.
type IGOptions struct {
	// Baseline is one image (C×H×W pixels) or one per image; nil: black.
	Baseline []float32
	Steps    int    // points on the path (50)
	Method   string // integration rule (gausslegendre)
	Progress Progress
}

// Alphas returns the points on [0, 1] and their weights for steps points
// of an integration rule, exactly as Captum's approximation_parameters.
func Alphas(method string, steps int) (alphas, weights []float64, err error) {
	if steps < 1 || (method == RiemannTrapezoid && steps < 2) {
		return nil, nil, fmt.Errorf("integrated gradients need at least %d steps, not %d", map[bool]int{true: 2, false: 1}[method == RiemannTrapezoid], steps)
	}
	n := float64(steps)
	alphas, weights = make([]float64, steps), make([]float64, steps)
	lin := func(lo, hi float64) {
		for i := range steps {
			if steps == 1 {
				alphas[i] = lo
				continue
			}
			alphas[i] = lo + (hi-lo)*float64(i)/float64(steps-1)
		}
	}
	switch method {
	case RiemannLeft, RiemannRight, RiemannMiddle:
		for i := range weights {
			weights[i] = 1 / n
		}
		switch method {
		case RiemannLeft:
			lin(0, 1-1/n)
		case RiemannRight:
			lin(1/n, 1)
		default:
			lin(1/(2*n), 1-1/(2*n))
		}
	case RiemannTrapezoid:
		lin(0, 1)
		for i := range weights {
			weights[i] = 1 / (n - 1)
		}
		weights[0], weights[steps-1] = 1/(2*(n-1)), 1/(2*(n-1))
	case GaussLegendre, "":
		x, w := legendre(steps)
		for i := range x {
			alphas[i], weights[i] = 0.5*(x[i]+1), 0.5*w[i]
		}
	default:
		return nil, nil, fmt.Errorf("unknown integration rule %q: use %s, %s, %s, %s or %s", method, RiemannLeft, RiemannRight, RiemannMiddle, RiemannTrapezoid, GaussLegendre)
	}
	return alphas, weights, nil
}

// legendre returns the Gauss-Legendre nodes (ascending) and weights on
// [-1, 1], by Newton's method on the Legendre polynomial.
func legendre(n int) (x, w []float64) {
	x, w = make([]float64, n), make([]float64, n)
	for i := range n {
		z := math.Cos(math.Pi * (float64(i) + 0.75) / (float64(n) + 0.5))
		var dp float64
		for range 100 {
			p0, p1 := 1.0, z
			if n == 0 {
				break
			}
			for k := 2; k <= n; k++ {
				p0, p1 = p1, ((2*float64(k)-1)*z*p1-(float64(k)-1)*p0)/float64(k)
			}
			if n == 1 {
				p0, p1 = 1, z
			}
			dp = float64(n) * (z*p1 - p0) / (z*z - 1)
			dz := p1 / dp
			z -= dz
			if math.Abs(dz) < 1e-15 {
				break
			}
		}
		x[n-1-i] = z
		w[n-1-i] = 2 / ((1 - z*z) * dp * dp)
	}
	return x, w
}

// IntegratedGradients (Sundararajan et al., 2017) returns the attribution
// of each pixel (N×C×H×W, (x − baseline) · ∫ ∂F/∂x along the straight
// path), maps of the absolute channel sum, and each image's convergence
// delta: sum of attributions − (F(x) − F(baseline)).
func (n Net) IntegratedGradients(ctx context.Context, x []float32, N int, targets []Target, o IGOptions) ([]float32, []Map, []float64, error) {
	if o.Steps == 0 {
		o.Steps = 50
	}
	alphas, weights, err := Alphas(o.Method, o.Steps)
	if err != nil {
		return nil, nil, nil, err
	}
	d := n.size()
	base := make([]float32, len(x))
	switch len(o.Baseline) {
	case 0:
	case d:
		for i := range N {
			copy(base[i*d:], o.Baseline)
		}
	case len(x):
		copy(base, o.Baseline)
	default:
		return nil, nil, nil, fmt.Errorf("baseline has %d values; want one image (%d) or one per image (%d)", len(o.Baseline), d, len(x))
	}
	total := make([]float64, len(x))
	path := make([]float32, len(x))
	for s, a := range alphas {
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, err
		}
		for i := range x {
			path[i] = base[i] + float32(a)*(x[i]-base[i])
		}
		g, _, err := n.Gradient(path, N, targets)
		if err != nil {
			return nil, nil, nil, err
		}
		for i, v := range g {
			total[i] += weights[s] * float64(v)
		}
		o.Progress.report(s+1, len(alphas))
	}
	attr := make([]float32, len(x))
	for i := range x {
		attr[i] = float32(total[i] * float64(x[i]-base[i]))
	}
	// Convergence delta, as Captum's return_convergence_delta.
	fx, err := n.scores(x, N, targets)
	if err != nil {
		return nil, nil, nil, err
	}
	fb, err := n.scores(base, N, targets)
	if err != nil {
		return nil, nil, nil, err
	}
	delta := make([]float64, N)
	for i := range N {
		var sum float64
		for _, v := range attr[i*d : (i+1)*d] {
			sum += float64(v)
		}
		delta[i] = sum - (fx[i] - fb[i])
	}
	return attr, n.channelSum(attr, N), delta, nil
}

// scores evaluates each image's target.
func (n Net) scores(x []float32, N int, targets []Target) ([]float64, error) {
	r, err := n.run(x, N, targets, pass{})
	if err != nil {
		return nil, err
	}
	seed := targetSeed(append([]int{N}, n.outShape(targets)...), targets)
	per := len(r.out) / N
	out := make([]float64, N)
	for i := range N {
		for j := range per {
			out[i] += float64(seed[i*per+j]) * float64(r.out[i*per+j])
		}
	}
	return out, nil
}

// outShape is the shape of the layer the targets read, per image.
func (n Net) outShape(targets []Target) []int {
	id := n.Model.Analysis.Output
	if len(targets) > 0 && targets[0].Layer != "" {
		id = targets[0].Layer
	}
	return n.Model.Analysis.Nodes[id].Out
}
