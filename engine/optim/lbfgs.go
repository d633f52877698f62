package optim

import (
	"errors"
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/nn"
)

// LBFGSConfig holds L-BFGS's settings; zero fields take the defaults of
// torch.optim.LBFGS given beside them.
type LBFGSConfig struct {
	// LR scales every step (1).
	LR float64
	// MaxIter is the most iterations per Step (20).
	MaxIter int
	// MaxEval is the most loss evaluations per Step (MaxIter*5/4).
	MaxEval int
	// TolGrad stops when the largest gradient value is below it (1e-7).
	TolGrad float64
	// TolChange stops when the step or the loss changes less (1e-9).
	TolChange float64
	// History is the number of curvature pairs kept (100).
	History int
	// LineSearch is "strong_wolfe" (PyTorch's), "backtracking" (Armijo,
	// halving the step) or "" for a fixed step of LR.
	LineSearch string
}

// Closure evaluates the full-batch loss at the current parameters and
// leaves its gradient in each parameter's Grad (replacing, not adding to,
// the previous one).
type Closure func() (loss float64, err error)

// LBFGS is limited-memory BFGS for full-batch problems (logistic regression,
// a small network on a small set, an image optimised by gradient), a port
// of torch.optim.LBFGS. The direction and line search run in float64 on the
// host over the parameters flattened into one vector, so it suits problems
// of up to a few million parameters.
type LBFGS struct {
	params []*nn.Param
	cfg    LBFGSConfig

	// state carried between Steps, as in PyTorch
	d, prevGrad      []float64
	t, hDiag         float64
	prevLoss         float64
	oldDirs, oldStps [][]float64
	ro               []float64
	nIter, evals     int
}

// NewLBFGS returns L-BFGS over params (each must require a gradient).
func NewLBFGS(params []*nn.Param, cfg LBFGSConfig) (*LBFGS, error) {
	if cfg.LR == 0 {
		cfg.LR = 1
	}
	if cfg.MaxIter == 0 {
		cfg.MaxIter = 20
	}
	if cfg.MaxEval == 0 {
		cfg.MaxEval = cfg.MaxIter * 5 / 4
	}
	if cfg.TolGrad == 0 {
		cfg.TolGrad = 1e-7
	}
	if cfg.TolChange == 0 {
		cfg.TolChange = 1e-9
	}
	if cfg.History == 0 {
		cfg.History = 100
	}
	if cfg.LR < 0 || cfg.MaxIter < 0 || cfg.MaxEval < 0 || cfg.History < 0 {
		return nil, errors.New("L-BFGS: learning rate, iteration and history limits must be positive")
	}
	switch cfg.LineSearch {
	case "", "strong_wolfe", "backtracking":
	default:
		return nil, fmt.Errorf("L-BFGS: unknown line search %q: use strong_wolfe, backtracking or none (\"\")", cfg.LineSearch)
	}
	if len(params) == 0 {
		return nil, errors.New("L-BFGS: no parameters to optimise")
	}
	return &LBFGS{params: params, cfg: cfg}, nil
}

// Evaluations is the number of closure calls made so far.
func (o *LBFGS) Evaluations() int { return o.evals }

// Iterations is the number of L-BFGS iterations made so far.
func (o *LBFGS) Iterations() int { return o.nIter }

func (o *LBFGS) numel() int {
	n := 0
	for _, p := range o.params {
		n += p.V.Value.Len()
	}
	return n
}

func (o *LBFGS) gatherGrad() ([]float64, error) {
	out := make([]float64, 0, o.numel())
	for _, p := range o.params {
		if p.V.Grad == nil {
			// A parameter the loss does not use has a zero gradient.
			out = append(out, make([]float64, p.V.Value.Len())...)
			continue
		}
		for _, v := range p.V.Grad.Data() {
			out = append(out, float64(v))
		}
	}
	return out, nil
}

func (o *LBFGS) getParams() []float64 {
	out := make([]float64, 0, o.numel())
	for _, p := range o.params {
		for _, v := range p.V.Value.Data() {
			out = append(out, float64(v))
		}
	}
	return out
}

func (o *LBFGS) setParams(x []float64) {
	off := 0
	for _, p := range o.params {
		n := p.V.Value.Len()
		buf := make([]float32, n)
		for i := range buf {
			buf[i] = float32(x[off+i])
		}
		p.V.Value.Set(buf)
		off += n
	}
}

// addStep moves the parameters by t*d.
func (o *LBFGS) addStep(t float64, d []float64) {
	off := 0
	for _, p := range o.params {
		v := p.V.Value.Data()
		for i := range v {
			v[i] += float32(t * d[off+i])
		}
		p.V.Value.Set(v)
		off += len(v)
	}
}

func (o *LBFGS) eval(closure Closure) (float64, []float64, error) {
	for _, p := range o.params {
		p.V.ZeroGrad()
	}
	loss, err := closure()
	if err != nil {
		return 0, nil, err
	}
	o.evals++
	g, err := o.gatherGrad()
	return loss, g, err
}

// directional evaluates the loss and gradient at x + t*d and restores x.
func (o *LBFGS) directional(closure Closure, x []float64, t float64, d []float64) (float64, []float64, error) {
	o.addStep(t, d)
	f, g, err := o.eval(closure)
	o.setParams(x)
	return f, g, err
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func absMax(a []float64) float64 {
	m := 0.0
	for _, v := range a {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

func absSum(a []float64) float64 {
	s := 0.0
	for _, v := range a {
		s += math.Abs(v)
	}
	return s
}

// Step runs up to MaxIter iterations of L-BFGS and returns the loss at the
// start, as torch.optim.LBFGS.step does.
func (o *LBFGS) Step(closure Closure) (float64, error) {
	cfg := o.cfg
	origLoss, flatGrad, err := o.eval(closure)
	if err != nil {
		return 0, err
	}
	loss := origLoss
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return loss, fmt.Errorf("L-BFGS: the loss is %v at the starting point", loss)
	}
	currentEvals := 1
	if absMax(flatGrad) <= cfg.TolGrad {
		return origLoss, nil
	}
	d, t := o.d, o.t
	for n := 1; n <= cfg.MaxIter; n++ {
		o.nIter++
		if o.nIter == 1 {
			d = neg(flatGrad)
			o.oldDirs, o.oldStps, o.ro = nil, nil, nil
			o.hDiag = 1
		} else {
			y := sub(flatGrad, o.prevGrad)
			s := scale(d, t)
			ys := dot(y, s)
			if ys > 1e-10 {
				if len(o.oldDirs) == cfg.History {
					o.oldDirs, o.oldStps, o.ro = o.oldDirs[1:], o.oldStps[1:], o.ro[1:]
				}
				o.oldDirs = append(o.oldDirs, y)
				o.oldStps = append(o.oldStps, s)
				o.ro = append(o.ro, 1/ys)
				o.hDiag = ys / dot(y, y)
			}
			// Two-loop recursion.
			k := len(o.oldDirs)
			al := make([]float64, k)
			q := neg(flatGrad)
			for i := k - 1; i >= 0; i-- {
				al[i] = dot(o.oldStps[i], q) * o.ro[i]
				axpy(q, -al[i], o.oldDirs[i])
			}
			d = scale(q, o.hDiag)
			for i := 0; i < k; i++ {
				be := dot(o.oldDirs[i], d) * o.ro[i]
				axpy(d, al[i]-be, o.oldStps[i])
			}
		}
		o.prevGrad = append(o.prevGrad[:0], flatGrad...)
		o.prevLoss = loss
		if o.nIter == 1 {
			t = math.Min(1, 1/absSum(flatGrad)) * cfg.LR
		} else {
			t = cfg.LR
		}
		gtd := dot(flatGrad, d)
		if gtd > -cfg.TolChange {
			break
		}
		lsEvals := 0
		optCond := false
		switch cfg.LineSearch {
		case "strong_wolfe":
			x := o.getParams()
			var err error
			loss, flatGrad, t, lsEvals, err = o.strongWolfe(closure, x, t, d, loss, flatGrad, gtd)
			if err != nil {
				return origLoss, err
			}
			o.setParams(x)
			o.addStep(t, d)
			optCond = absMax(flatGrad) <= cfg.TolGrad
		case "backtracking":
			x := o.getParams()
			var err error
			loss, flatGrad, t, lsEvals, err = o.backtrack(closure, x, t, d, loss, gtd)
			if err != nil {
				return origLoss, err
			}
			o.setParams(x)
			o.addStep(t, d)
			optCond = absMax(flatGrad) <= cfg.TolGrad
		default:
			o.addStep(t, d)
			if n != cfg.MaxIter {
				var err error
				loss, flatGrad, err = o.eval(closure)
				if err != nil {
					return origLoss, err
				}
				optCond = absMax(flatGrad) <= cfg.TolGrad
				lsEvals = 1
			}
		}
		currentEvals += lsEvals
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			return origLoss, fmt.Errorf("L-BFGS: the loss became %v; lower the learning rate or use a line search", loss)
		}
		if n == cfg.MaxIter || currentEvals >= cfg.MaxEval || optCond {
			break
		}
		if absMax(d)*math.Abs(t) <= cfg.TolChange {
			break
		}
		if math.Abs(loss-o.prevLoss) < cfg.TolChange {
			break
		}
	}
	o.d, o.t = d, t
	return origLoss, nil
}

// backtrack halves t until the Armijo condition f(x+td) <= f + c1*t*gtd
// holds (at most 25 tries).
func (o *LBFGS) backtrack(closure Closure, x []float64, t float64, d []float64, f, gtd float64) (float64, []float64, float64, int, error) {
	const c1 = 1e-4
	evals := 0
	var fNew float64
	var gNew []float64
	for range 25 {
		var err error
		fNew, gNew, err = o.directional(closure, x, t, d)
		if err != nil {
			return 0, nil, 0, evals, err
		}
		evals++
		if fNew <= f+c1*t*gtd {
			break
		}
		t /= 2
	}
	return fNew, gNew, t, evals, nil
}

func cubicInterpolate(x1, f1, g1, x2, f2, g2 float64, bounds *[2]float64) float64 {
	var lo, hi float64
	if bounds != nil {
		lo, hi = bounds[0], bounds[1]
	} else if x1 <= x2 {
		lo, hi = x1, x2
	} else {
		lo, hi = x2, x1
	}
	d1 := g1 + g2 - 3*(f1-f2)/(x1-x2)
	d2sq := d1*d1 - g1*g2
	if d2sq >= 0 {
		d2 := math.Sqrt(d2sq)
		var minPos float64
		if x1 <= x2 {
			minPos = x2 - (x2-x1)*((g2+d2-d1)/(g2-g1+2*d2))
		} else {
			minPos = x1 - (x1-x2)*((g1+d2-d1)/(g1-g2+2*d2))
		}
		return math.Min(math.Max(minPos, lo), hi)
	}
	return (lo + hi) / 2
}

// strongWolfe is PyTorch's _strong_wolfe: bracket a step satisfying the
// strong Wolfe conditions, then zoom with cubic interpolation.
func (o *LBFGS) strongWolfe(closure Closure, x []float64, t float64, d []float64, f float64, g []float64, gtd float64) (float64, []float64, float64, int, error) {
	const c1, c2, maxLS = 1e-4, 0.9, 25
	tolChange := o.cfg.TolChange
	dNorm := absMax(d)
	g = append([]float64(nil), g...)
	fNew, gNew, err := o.directional(closure, x, t, d)
	if err != nil {
		return 0, nil, 0, 0, err
	}
	evals := 1
	gtdNew := dot(gNew, d)
	tPrev, fPrev, gPrev, gtdPrev := 0.0, f, g, gtd
	done := false
	lsIter := 0
	var bracket, bracketF, bracketGtd []float64
	var bracketG [][]float64
	for lsIter < maxLS {
		if fNew > f+c1*t*gtd || (lsIter > 1 && fNew >= fPrev) {
			bracket, bracketF = []float64{tPrev, t}, []float64{fPrev, fNew}
			bracketG, bracketGtd = [][]float64{gPrev, gNew}, []float64{gtdPrev, gtdNew}
			break
		}
		if math.Abs(gtdNew) <= -c2*gtd {
			bracket, bracketF, bracketG = []float64{t}, []float64{fNew}, [][]float64{gNew}
			done = true
			break
		}
		if gtdNew >= 0 {
			bracket, bracketF = []float64{tPrev, t}, []float64{fPrev, fNew}
			bracketG, bracketGtd = [][]float64{gPrev, gNew}, []float64{gtdPrev, gtdNew}
			break
		}
		minStep := t + 0.01*(t-tPrev)
		maxStep := t * 10
		tmp := t
		t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, &[2]float64{minStep, maxStep})
		tPrev, fPrev, gPrev, gtdPrev = tmp, fNew, gNew, gtdNew
		fNew, gNew, err = o.directional(closure, x, t, d)
		if err != nil {
			return 0, nil, 0, evals, err
		}
		evals++
		gtdNew = dot(gNew, d)
		lsIter++
	}
	if lsIter == maxLS {
		bracket, bracketF, bracketG = []float64{0, t}, []float64{f, fNew}, [][]float64{g, gNew}
	}
	insufProgress := false
	lowPos, highPos := 0, 1
	if bracketF[0] > bracketF[len(bracketF)-1] {
		lowPos, highPos = 1, 0
	}
	for !done && lsIter < maxLS {
		if math.Abs(bracket[1]-bracket[0])*dNorm < tolChange {
			break
		}
		t = cubicInterpolate(bracket[0], bracketF[0], bracketGtd[0], bracket[1], bracketF[1], bracketGtd[1], nil)
		bmax, bmin := math.Max(bracket[0], bracket[1]), math.Min(bracket[0], bracket[1])
		eps := 0.1 * (bmax - bmin)
		if math.Min(bmax-t, t-bmin) < eps {
			if insufProgress || t >= bmax || t <= bmin {
				if math.Abs(t-bmax) < math.Abs(t-bmin) {
					t = bmax - eps
				} else {
					t = bmin + eps
				}
				insufProgress = false
			} else {
				insufProgress = true
			}
		} else {
			insufProgress = false
		}
		fNew, gNew, err = o.directional(closure, x, t, d)
		if err != nil {
			return 0, nil, 0, evals, err
		}
		evals++
		gtdNew = dot(gNew, d)
		lsIter++
		if fNew > f+c1*t*gtd || fNew >= bracketF[lowPos] {
			bracket[highPos], bracketF[highPos], bracketG[highPos], bracketGtd[highPos] = t, fNew, gNew, gtdNew
			if bracketF[0] <= bracketF[1] {
				lowPos, highPos = 0, 1
			} else {
				lowPos, highPos = 1, 0
			}
		} else {
			if math.Abs(gtdNew) <= -c2*gtd {
				done = true
			} else if gtdNew*(bracket[highPos]-bracket[lowPos]) >= 0 {
				bracket[highPos], bracketF[highPos] = bracket[lowPos], bracketF[lowPos]
				bracketG[highPos], bracketGtd[highPos] = bracketG[lowPos], bracketGtd[lowPos]
			}
			bracket[lowPos], bracketF[lowPos], bracketG[lowPos], bracketGtd[lowPos] = t, fNew, gNew, gtdNew
		}
	}
	return bracketF[lowPos], bracketG[lowPos], bracket[lowPos], evals, nil
}

func neg(a []float64) []float64 {
	out := make([]float64, len(a))
	for i, v := range a {
		out[i] = -v
	}
	return out
}

func sub(a, b []float64) []float64 {
	out := make([]float64, len(a))
	for i := range a {
		out[i] = a[i] - b[i]
	}
	return out
}

func scale(a []float64, s float64) []float64 {
	out := make([]float64, len(a))
	for i, v := range a {
		out[i] = v * s
	}
	return out
}

func axpy(dst []float64, alpha float64, x []float64) {
	for i := range dst {
		dst[i] += alpha * x[i]
	}
}
