package optim

import (
	"fmt"
	"math"
	"strings"
)

// Schedule gives the learning rate of each step of a run.
type Schedule interface {
	// Rate is the learning rate for step (0-based) of a run of total steps.
	Rate(step, total int) float32
}

// ScheduleNames lists the schedules NewSchedule knows.
var ScheduleNames = []string{"constant", "step", "cosine", "linear", "invsqrt"}

// ScheduleOptions tune the schedules; zero fields take the defaults given.
type ScheduleOptions struct {
	// Gamma is the factor of the step schedule (default 0.1).
	Gamma float32
	// Every is the step schedule's period in steps (default: a third of
	// the run after warm-up).
	Every int
	// MinLR is the rate cosine decays to (default 0).
	MinLR float32
}

// NewSchedule returns the schedule called name around the base rate:
//
//	constant  base
//	step      base * gamma^floor(s/every)
//	cosine    min + (base-min) * (1+cos(pi*s/T))/2, T the steps after warm-up
//	linear    base * (1 - s/T), decaying to 0 at the end of the run
//	invsqrt   base * sqrt(max(warmup,1)/(step+1)) after warm-up
//
// where s counts the steps after warm-up. During the first warmup steps the
// rate rises linearly, base*(step+1)/warmup (PyTorch's LinearLR with
// start_factor 1/warmup), and the schedule proper starts after it.
func NewSchedule(name string, base float32, warmup int, opt ScheduleOptions) (Schedule, error) {
	if base < 0 || math.IsNaN(float64(base)) || math.IsInf(float64(base), 0) {
		return nil, fmt.Errorf("learning rate %g must be a finite number >= 0", base)
	}
	if warmup < 0 {
		return nil, fmt.Errorf("warm-up of %d steps is negative; use 0 for none", warmup)
	}
	if opt.Gamma < 0 || opt.Every < 0 || opt.MinLR < 0 {
		return nil, fmt.Errorf("schedule %s: gamma, period and minimum rate must not be negative", name)
	}
	if opt.Gamma == 0 {
		opt.Gamma = 0.1
	}
	s := &sched{name: strings.ToLower(name), base: base, warmup: warmup, opt: opt}
	switch s.name {
	case "", "constant":
		s.name = "constant"
	case "step", "cosine", "linear", "invsqrt":
	case "inverse-sqrt", "inverse_sqrt", "rsqrt":
		s.name = "invsqrt"
	default:
		return nil, fmt.Errorf("unknown schedule %q: use one of %s", name, strings.Join(ScheduleNames, ", "))
	}
	return s, nil
}

type sched struct {
	name   string
	base   float32
	warmup int
	opt    ScheduleOptions
}

func (s *sched) Rate(step, total int) float32 {
	base := float64(s.base)
	if step < s.warmup {
		return float32(base * float64(step+1) / float64(s.warmup))
	}
	k := step - s.warmup
	T := max(total-s.warmup, 1)
	var r float64
	switch s.name {
	case "constant":
		r = base
	case "step":
		every := s.opt.Every
		if every <= 0 {
			every = max(T/3, 1)
		}
		r = base * math.Pow(float64(s.opt.Gamma), float64(k/every))
	case "cosine":
		lo := float64(s.opt.MinLR)
		kk := min(k, T)
		r = lo + (base-lo)*(1+math.Cos(math.Pi*float64(kk)/float64(T)))/2
	case "linear":
		r = base * math.Max(0, 1-float64(k)/float64(T))
	case "invsqrt":
		r = base * math.Sqrt(float64(max(s.warmup, 1))/float64(step+1))
	}
	return float32(r)
}

// Curve samples a schedule at points steps spread evenly over a run of
// total steps (for plotting the rate over the run), first and last step
// included.
func Curve(s Schedule, total, points int) (steps []int, rates []float32) {
	if total <= 0 || points <= 0 {
		return nil, nil
	}
	points = min(points, total)
	for i := range points {
		st := 0
		if points > 1 {
			st = int(math.Round(float64(i) * float64(total-1) / float64(points-1)))
		}
		steps = append(steps, st)
		rates = append(rates, s.Rate(st, total))
	}
	return steps, rates
}
