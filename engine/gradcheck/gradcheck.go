package gradcheck

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Options tune a check. The zero value checks every element with the
// defaults below.
type Options struct {
	// Eps is the step h of the centred difference (f(x+h)-f(x-h))/2h.
	// Default 1e-3. A larger step has less float32 rounding noise (a
	// finer floor, see Floor) but more truncation error and, in networks
	// of ReLUs and max pools, more kinks crossed at once by one step.
	Eps float64
	// Samples is how many elements of each tensor are checked, chosen at
	// random (seeded) from larger tensors; 0 checks every element.
	Samples int
	// Seed chooses the sampled elements.
	Seed uint64
	// Pass and Fail are the relative-error thresholds of the verdict: at or
	// below Pass a gradient is right, above Fail it is wrong, in between it
	// is suspect. Defaults 1e-3 and 1e-2 (float32 values).
	Pass, Fail float64
	// Floor is the smallest denominator of the relative error
	// |a-n|/max(|a|, |n|, floor), so that gradients too small for finite
	// differences to resolve are compared absolutely. Default: 1e-5 times
	// the largest analytic gradient over all of wrt (a gradient that is
	// mathematically 0 comes out of float32 arithmetic as about 1e-8 of
	// the others). Each element's floor is raised further to its own
	// float32 noise level, Noise/Pass, so that a discrepancy within the
	// rounding noise of the numeric derivative never counts.
	Floor float64
	// Progress, when set, is called after each checked element.
	Progress func(done, total int)
	// Shrink lets the check tell kinks crossed within the step from wrong
	// gradients when many kinks are crossed at once. Elements above a
	// quarter of Pass get this second look, so that the step-dependent
	// error of kinks is not reported as the gradient's. A network of ReLUs
	// and max pools is piecewise linear in each parameter, so when no kink
	// lies within the step the centred differences at h and h/2 agree up to
	// rounding, and a wrong gradient disagrees with both. A step of a
	// first-layer weight moves hundreds of pre-activations and often crosses
	// several kinks at once, which the one-sided test cannot recognise. So
	// an element that fails is measured again at h/2: when the two differ
	// by less than a quarter of the discrepancy d with the analytic
	// gradient, and the one-sided differences at h/2 by less than d/2 (a
	// kink right next to x shifts both centred differences alike, but not
	// the one-sided ones), the failure stands; otherwise the step is divided by 4 and
	// the element measured again, at most Shrink times, and an element
	// whose differences never settle is reported as a kink. 0 measures each
	// element once.
	Shrink int
	// Cancel, when closed, stops the check before the next element; Check
	// then returns ErrCancelled with the tensors finished so far.
	Cancel <-chan struct{}
	// Winners, when set, is called after each evaluation of f and
	// identifies every non-differentiable choice f made (which ReLUs were
	// active, which input won each max pool; CheckModel records them). A
	// step whose choices at x+h or x-h differ from those at x crossed a
	// kink, as the course puts it: the element is measured again with the
	// step divided by 4, at most Shrink times (default 3 then), and left out
	// as a kink if every step crosses one. An element whose steps cross
	// none is graded as measured, without Shrink's second look.
	Winners func() uint64
	// Linear says that f is linear in each element of wrt between kinks
	// (convolutions, fully connected layers, ReLUs, max and average pools,
	// no normalisation or smooth nonlinearity: CheckModel sets it). Then a
	// one-sided difference on the side of x whose step crosses no kink is
	// exact up to rounding, and is used when only the other side crosses.
	Linear bool
}

// ErrCancelled is returned when Options.Cancel was closed.
var ErrCancelled = errors.New("gradcheck: cancelled")

// Verdict grades a relative error.
type Verdict int

// Verdicts, from best to worst.
const (
	Pass Verdict = iota
	Suspect
	Fail
)

func (v Verdict) String() string {
	switch v {
	case Pass:
		return "pass"
	case Suspect:
		return "suspect"
	}
	return "fail"
}

// Element is one checked element.
type Element struct {
	Index             int // flat index into the tensor
	Analytic, Numeric float64
	RelErr            float64
	// Kink is set when the centred difference straddles a point where the
	// function is not differentiable (a ReLU at 0, a max changing hands):
	// the analytic gradient matches the one-sided difference on one side.
	// Such elements do not count towards the verdict.
	Kink bool
	// Noise estimates the float32 rounding error of Numeric, and Floor is
	// the relative error's floor derived from it (see Options.Floor).
	Noise, Floor float64
	// Step is the h the element was measured with (smaller than
	// Options.Eps when Options.Shrink retried it).
	Step float64
	// Crossed is set when Options.Winners saw the step cross a kink, and
	// OneSided when the numeric derivative is the one-sided difference on
	// the side that crossed none (Options.Linear).
	Crossed, OneSided bool

	fwd, bwd, floor float64 // one-sided differences and the floor, for crossed
	crossP, crossM  bool    // the step to x+h, to x-h crossed a kink
	pass, fail      float64
}

// TensorReport is the result for one tensor.
type TensorReport struct {
	Name  string
	Shape []int
	// Checked is the number of elements compared, of Size.
	Checked, Size int
	// Kinks counts checked elements excluded as non-differentiable points.
	Kinks int
	// Nudged counts elements measured with a smaller step than Eps to keep
	// a kink out of the step (Options.Winners).
	Nudged int
	// MaxRelErr and MeanRelErr are over the checked elements, kinks
	// excluded.
	MaxRelErr, MeanRelErr float64
	// Noise is the median estimated rounding error of the numeric
	// derivatives: gradients much smaller than it cannot be checked.
	Noise float64
	// Worst is the element with the largest relative error.
	Worst   Element
	Verdict Verdict
	// Elements lists every checked element, in index order.
	Elements []Element
}

// Report is the result of a check.
type Report struct {
	// Loss is f at the unperturbed values (reduced as described in the
	// package doc when f is not a scalar).
	Loss    float64
	Tensors []TensorReport
	// MaxRelErr is the largest over all tensors; Verdict the worst.
	MaxRelErr float64
	Verdict   Verdict
	// Evals counts the evaluations of f.
	Evals int
	// Eps is the step used and Floor the relative error's base floor.
	Eps, Floor float64
}

// Check compares the gradients that Backward computes for f with centred
// finite differences, for every tensor in wrt (leaves made with
// autograd.Param that f reads). f may return a loss or any tensor (see the
// package doc for how it is reduced). It must be a deterministic function
// of the values of wrt: fix dropout seeds; batch norm in training mode may
// update its running statistics on every call, which is harmless because
// they do not affect training outputs.
//
// Check leaves the analytic gradients in wrt[i].Grad and the values as they
// were. It returns an error when f panics, returns nil, changes its output
// size or returns non-finite values, or when wrt is unusable.
func Check(f func() *autograd.Var, wrt []*autograd.Var, opt Options) (rep Report, err error) {
	if opt.Eps <= 0 {
		opt.Eps = 1e-3
	}
	if opt.Pass <= 0 {
		opt.Pass = 1e-3
	}
	if opt.Fail <= 0 {
		opt.Fail = 1e-2
	}
	if opt.Fail < opt.Pass {
		return rep, fmt.Errorf("gradcheck: Fail threshold %g is below Pass %g", opt.Fail, opt.Pass)
	}
	if len(wrt) == 0 {
		return rep, errors.New("gradcheck: nothing to check: pass the parameters or inputs in wrt")
	}
	for i, v := range wrt {
		switch {
		case v == nil || v.Value == nil:
			return rep, fmt.Errorf("gradcheck: wrt[%d] is nil", i)
		case !v.RequiresGrad():
			return rep, fmt.Errorf("gradcheck: wrt[%d] (%s) does not require a gradient: make it with autograd.Param", i, name(v, i))
		}
		v.ZeroGrad()
	}
	// f's output is reduced to L = Σ wᵢ·yᵢ in float64: all ones for a
	// scalar, else seeded random weights (a random projection of the
	// Jacobian). Reducing here rather than in float32 inside f matters:
	// outputs that x does not affect come out bit-identical in both
	// evaluations and cancel exactly, so the only rounding noise left in
	// the difference is that of the outputs x touches.
	var weights []float64
	eval := func() (val float64, ys []float32, err error) {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("gradcheck: f panicked: %v", r)
			}
		}()
		y := f()
		if y == nil || y.Value == nil {
			return 0, nil, errors.New("gradcheck: f returned nil")
		}
		ys = y.Value.Data()
		if len(ys) != len(weights) {
			return 0, nil, fmt.Errorf("gradcheck: f returned %d values, then %d: it must be deterministic", len(weights), len(ys))
		}
		rep.Evals++
		for i, v := range ys {
			val += weights[i] * float64(v)
		}
		if math.IsNaN(val) || math.IsInf(val, 0) {
			return 0, nil, fmt.Errorf("gradcheck: f returned non-finite values (%v)", val)
		}
		return val, ys, nil
	}

	// The analytic pass.
	func() {
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("gradcheck: f or its backward pass panicked: %v", r)
			}
		}()
		y := f()
		if y == nil || y.Value == nil {
			err = errors.New("gradcheck: f returned nil")
			return
		}
		rep.Evals++
		weights = project(y.Value.Len(), opt.Seed)
		w32 := make([]float32, len(weights))
		for i, w := range weights {
			w32[i] = float32(w)
		}
		rep.Loss = 0
		for i, v := range y.Value.Data() {
			rep.Loss += weights[i] * float64(v)
		}
		y.BackwardWith(tensor.FromData(y.B(), w32, y.Shape()...))
	}()
	var choices uint64 // the winners at the unperturbed values
	if opt.Winners != nil {
		choices = opt.Winners()
		if opt.Shrink <= 0 {
			opt.Shrink = 3
		}
	}
	if err != nil {
		return rep, err
	}
	if math.IsNaN(rep.Loss) || math.IsInf(rep.Loss, 0) {
		return rep, fmt.Errorf("gradcheck: f returned non-finite values (%v)", rep.Loss)
	}
	rep.Eps = opt.Eps

	grads := make([][]float32, len(wrt))
	scale := 0.0
	for i, v := range wrt {
		if v.Grad != nil {
			grads[i] = v.Grad.Data()
		} else {
			grads[i] = make([]float32, v.Value.Len()) // f does not depend on v
		}
		for _, g := range grads[i] {
			scale = max(scale, math.Abs(float64(g)))
		}
	}
	if opt.Floor <= 0 {
		opt.Floor = max(1e-5*scale, 1e-30)
	}
	rep.Floor = opt.Floor

	rng := rand.New(rand.NewPCG(opt.Seed, 0x6ad))
	picks := make([][]int, len(wrt))
	total := 0
	for i, v := range wrt {
		picks[i] = choose(v.Value.Len(), opt.Samples, rng)
		total += len(picks[i])
	}
	done := 0
	for i, v := range wrt {
		t := v.Value
		x := t.Data()
		grad := grads[i]
		tr := TensorReport{Name: name(v, i), Shape: slices.Clone(t.Shape), Size: len(x)}
		one := make([]float32, 1)
		set := func(k int, val float32) {
			one[0] = val
			t.B.Write(t.Buf, k, one)
		}
		var sum float64
		// measure perturbs element k by ±h and grades the difference.
		measure := func(k int, h float64) (Element, error) {
			x0 := x[k]
			xp, xm := x0+float32(h), x0-float32(h)
			defer set(k, x0)
			set(k, xp)
			fp, yp, err := eval()
			if err != nil {
				return Element{}, err
			}
			crossP := opt.Winners != nil && opt.Winners() != choices
			set(k, xm)
			fm, ym, err := eval()
			if err != nil {
				return Element{}, err
			}
			crossM := opt.Winners != nil && opt.Winners() != choices
			noise := roundoff(yp, ym, weights) / (float64(xp) - float64(xm))
			if opt.Linear && !crossP && !crossM {
				// f is linear over the step: its second difference is
				// rounding alone, a measurement of the noise where the
				// model of roundoff underestimates it (deep sums).
				noise = max(noise, math.Abs(fp-2*rep.Loss+fm)/math.Sqrt(3)/(float64(xp)-float64(xm)))
			}
			floor := max(opt.Floor, noise/opt.Pass)
			e := compare(float64(grad[k]), fp, fm, rep.Loss, float64(xp), float64(x0), float64(xm), floor, opt.Pass, opt.Fail)
			e.Index, e.Noise, e.Floor, e.Step = k, noise, floor, h
			if opt.Winners != nil { // the choices say it, not the one-sided guess
				e.Kink, e.Crossed, e.crossP, e.crossM = false, crossP || crossM, crossP, crossM
				e.pass, e.fail = opt.Pass, opt.Fail
				if opt.Linear && crossP != crossM {
					e = e.oneSided()
				}
			}
			return e, nil
		}
		for _, k := range picks[i] {
			select {
			case <-opt.Cancel:
				return rep, ErrCancelled
			default:
			}
			e, err := measure(k, opt.Eps)
			switch {
			case err != nil:
			case opt.Winners != nil:
				e, err = around(e, opt, measure)
				if err == nil && !e.Kink && e.Step != opt.Eps {
					tr.Nudged++
				}
			case opt.Shrink > 0 && e.RelErr > opt.Pass/4:
				e, err = shrink(e, opt, measure)
			}
			if err != nil {
				return rep, fmt.Errorf("%v (while perturbing %s at flat index %d)", err, tr.Name, k)
			}
			tr.Elements = append(tr.Elements, e)
			tr.Checked++
			if e.Kink {
				tr.Kinks++
			} else {
				sum += e.RelErr
				if e.RelErr >= tr.MaxRelErr {
					tr.MaxRelErr, tr.Worst = e.RelErr, e
				}
			}
			done++
			if opt.Progress != nil {
				opt.Progress(done, total)
			}
		}
		if n := tr.Checked - tr.Kinks; n > 0 {
			tr.MeanRelErr = sum / float64(n)
		}
		noise := make([]float64, len(tr.Elements))
		for j, e := range tr.Elements {
			noise[j] = e.Noise
		}
		if len(noise) > 0 {
			slices.Sort(noise)
			tr.Noise = noise[len(noise)/2]
		}
		tr.Verdict = grade(tr.MaxRelErr, opt)
		rep.Tensors = append(rep.Tensors, tr)
		rep.MaxRelErr = max(rep.MaxRelErr, tr.MaxRelErr)
		rep.Verdict = max(rep.Verdict, tr.Verdict)
	}
	return rep, nil
}

// around re-measures an element with the step that keeps kinks out, as
// Options.Winners describes: smaller steps while the step crosses a kink.
// And since float32 rounding noise in the centred difference falls as the
// step grows, an element above a quarter of Pass whose step crossed none is
// measured again with steps 4 and 16 times larger, as long as those cross
// none either, keeping the smallest error: a wrong gradient is wrong at
// every step, rounding noise is not.
func around(e Element, opt Options, measure func(k int, h float64) (Element, error)) (Element, error) {
	var err error
	for try := 0; e.Crossed && !e.OneSided; try++ {
		if try == opt.Shrink {
			e.Kink = true
			return e, nil
		}
		if e, err = measure(e.Index, e.Step/4); err != nil {
			return e, err
		}
	}
	for try := 0; try < 2 && e.RelErr > opt.Pass/4 && e.Step >= opt.Eps; try++ {
		g, err := measure(e.Index, e.Step*4)
		if err != nil {
			return e, err
		}
		if g.Crossed && !g.OneSided {
			break
		}
		if g.RelErr < e.RelErr {
			e = g
		}
	}
	return e, nil
}

// oneSided takes the difference on the side of x whose step crossed no
// kink (Options.Linear), with the floor of a one-sided difference: half the
// step, twice the rounding noise.
func (e Element) oneSided() Element {
	n := e.fwd
	if e.crossP {
		n = e.bwd
	}
	e.Numeric, e.OneSided = n, true
	e.Floor *= 2
	e.RelErr = RelErr(e.Analytic, n, e.Floor)
	return e
}

// shrink re-measures a failing element as Options.Shrink describes.
func shrink(e Element, opt Options, measure func(k int, h float64) (Element, error)) (Element, error) {
	h := e.Step
	for try := 0; e.RelErr > opt.Pass/4; try++ {
		half, err := measure(e.Index, h/2)
		if err != nil {
			return e, err
		}
		// The discrepancy does not depend on the step and the slope does
		// not change within it (no kink next to x): the failure stands.
		d := math.Abs(e.Analytic - e.Numeric)
		if math.Abs(e.Numeric-half.Numeric) < d/4 && math.Abs(half.fwd-half.bwd) < d/2 {
			return e, nil
		}
		if try == opt.Shrink {
			e.Kink = true
			return e, nil
		}
		h /= 4
		if e, err = measure(e.Index, h); err != nil {
			return e, err
		}
	}
	return e, nil
}

// crossed reports whether the slope changes within the step by more than
// the relative tolerance: the one-sided differences disagree beyond their
// rounding noise.
func (e Element) crossed(tol float64) bool {
	return RelErr(e.fwd, e.bwd, 2*e.floor) > tol
}

// RelErr is |a-n| / max(|a|, |n|, floor), CS231n's relative error with a
// floor for values too small to resolve.
func RelErr(a, n, floor float64) float64 {
	d := max(math.Abs(a), math.Abs(n), floor)
	if d == 0 {
		return 0
	}
	return math.Abs(a-n) / d
}

// compare grades one element. The steps are the float32 values actually
// used, so the rounding of x±h does not bias the quotient.
func compare(a, fp, fm, f0, xp, x0, xm, floor, pass, fail float64) Element {
	n := (fp - fm) / (xp - xm)
	fwd, bwd := (fp-f0)/(xp-x0), (f0-fm)/(x0-xm)
	e := Element{Analytic: a, Numeric: n, RelErr: RelErr(a, n, floor), fwd: fwd, bwd: bwd, floor: floor}
	if e.RelErr <= pass {
		return e
	}
	// A kink between x-h and x+h: the one-sided differences disagree and
	// the analytic gradient is one of them. One-sided differences carry an
	// O(h) error, hence the looser threshold.
	floor *= 2 // half the step, twice the noise
	if RelErr(fwd, bwd, floor) > fail && min(RelErr(a, fwd, floor), RelErr(a, bwd, floor)) <= fail {
		e.Kink = true
	}
	return e
}

func grade(rel float64, opt Options) Verdict {
	switch {
	case rel <= opt.Pass:
		return Pass
	case rel <= opt.Fail:
		return Suspect
	}
	return Fail
}

// noiseUlps is how many float32 half-units in the last place of rounding
// error each output is assumed to carry (measured on the engine's ops: up
// to about 4 for losses reduced in float32).
const noiseUlps = 16

// roundoff estimates the rounding error in Σ wᵢ(ypᵢ - ymᵢ): noiseUlps
// half-units in the last place of float32 for every output that changed,
// and, in quadrature, half a unit for every output that did not (its true
// change, if any, was rounded away). Outputs that x does not affect are
// bit-identical and contribute only through that second term.
func roundoff(yp, ym []float32, w []float64) float64 {
	var changed, hidden float64
	for i, a := range yp {
		m := math.Abs(w[i]) * max(math.Abs(float64(a)), math.Abs(float64(ym[i])))
		if a != ym[i] {
			changed += m
		} else {
			hidden += m * m
		}
	}
	return (noiseUlps*changed + math.Sqrt(hidden)) * 0x1p-24
}

// project returns the weights of the reduction: 1 for a scalar, else
// seeded values uniform in ±[0.5, 1.5] (bounded away from 0 so that every
// output counts).
func project(n int, seed uint64) []float64 {
	if n == 1 {
		return []float64{1}
	}
	rng := rand.New(rand.NewPCG(seed, 0x9a0))
	w := make([]float64, n)
	for i := range w {
		w[i] = float64(float32(0.5 + rng.Float64())) // exact in float32 too
		if rng.IntN(2) == 0 {
			w[i] = -w[i]
		}
	}
	return w
}

// choose returns the sorted flat indices to check: all n, or k distinct
// random ones.
func choose(n, k int, rng *rand.Rand) []int {
	if k <= 0 || k >= n {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx
	}
	seen := make(map[int]bool, k)
	idx := make([]int, 0, k)
	for len(idx) < k {
		i := rng.IntN(n)
		if !seen[i] {
			seen[i] = true
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	return idx
}

func name(v *autograd.Var, i int) string {
	if v.Name != "" {
		return v.Name
	}
	return fmt.Sprintf("wrt[%d]", i)
}

// String is a table of the tensors with their worst elements.
func (r Report) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "gradient check: %s, max relative error %.2e (f %.6g, h %g, floor %.1e, %d evaluations)\n",
		r.Verdict, r.MaxRelErr, r.Loss, r.Eps, r.Floor, r.Evals)
	fmt.Fprintf(&sb, "%-20s %-14s %9s %5s %6s %9s %9s %9s  %s\n", "tensor", "shape", "checked", "kinks", "nudged", "noise", "max rel", "mean rel", "worst element: analytic vs numeric")
	for _, t := range r.Tensors {
		worst := "-"
		if t.Checked > t.Kinks {
			worst = fmt.Sprintf("%s: %.6g vs %.6g", index(t.Shape, t.Worst.Index), t.Worst.Analytic, t.Worst.Numeric)
		}
		fmt.Fprintf(&sb, "%-20s %-14s %9s %5d %6d %9.1e %9.2e %9.2e  %s  %s\n", t.Name, fmt.Sprint(t.Shape),
			fmt.Sprintf("%d/%d", t.Checked, t.Size), t.Kinks, t.Nudged, t.Noise, t.MaxRelErr, t.MeanRelErr, worst, t.Verdict)
	}
	return sb.String()
}

func index(shape []int, flat int) string {
	idx := make([]string, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] > 0 {
			idx[i] = fmt.Sprint(flat % shape[i])
			flat /= shape[i]
		}
	}
	return "[" + strings.Join(idx, ",") + "]"
}
