package optim

import (
	"math"
	"testing"
)

type schedCase struct {
	Name   string  `json:"name"`
	Kind   string  `json:"kind"`
	Warmup int     `json:"warmup"`
	Gamma  float32 `json:"gamma"`
	Every  int     `json:"every"`
	MinLR  float32 `json:"min_lr"`
}

var schedCases = []schedCase{
	{Name: "constant", Kind: "constant"},
	{Name: "step", Kind: "step", Gamma: 0.5, Every: 7},
	{Name: "cosine", Kind: "cosine", MinLR: 0.001},
	{Name: "linear", Kind: "linear"},
	{Name: "constant-warmup", Kind: "constant", Warmup: 5},
	{Name: "cosine-warmup", Kind: "cosine", Warmup: 5, MinLR: 0.001},
	{Name: "step-warmup", Kind: "step", Warmup: 4, Gamma: 0.3, Every: 6},
}

const schedScript = `
import json, sys, torch, warnings
warnings.filterwarnings("ignore")
from torch.optim import lr_scheduler as L
d = json.load(sys.stdin)
base, total = d["base"], d["total"]
out = {}
for c in d["cases"]:
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base)
    W = c["warmup"]
    T = total - W
    k = c["kind"]
    if k == "constant": main = L.ConstantLR(opt, factor=1.0, total_iters=0)
    elif k == "step": main = L.StepLR(opt, step_size=c["every"], gamma=c["gamma"])
    elif k == "cosine": main = L.CosineAnnealingLR(opt, T_max=T, eta_min=c["min_lr"])
    elif k == "linear": main = L.LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=T)
    s = main
    if W > 0:
        warm = L.LinearLR(opt, start_factor=1.0 / W, end_factor=1.0, total_iters=W - 1)
        s = L.SequentialLR(opt, [warm, main], milestones=[W])
    lrs = []
    for _ in range(total):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        s.step()
    out[c["name"]] = lrs
print(json.dumps(out))
`

// TestSchedulesMatchTorch compares the rate at every step with
// torch.optim.lr_scheduler (SequentialLR of LinearLR and the schedule for
// warm-up).
func TestSchedulesMatchTorch(t *testing.T) {
	const base, total = 0.1, 30
	var want map[string][]float64
	runTorch(t, schedScript, map[string]any{"base": base, "total": total, "cases": schedCases}, &want)
	for _, c := range schedCases {
		s, err := NewSchedule(c.Kind, base, c.Warmup, ScheduleOptions{Gamma: c.Gamma, Every: c.Every, MinLR: c.MinLR})
		if err != nil {
			t.Fatal(err)
		}
		for i, w := range want[c.Name] {
			if got := s.Rate(i, total); !closeTo(float64(got), w, 1e-7, 1e-5) {
				t.Errorf("%s: step %d rate %.8g, torch %.8g", c.Name, i, got, w)
			}
		}
	}
}

// Inverse square root has no torch scheduler; check its closed form.
func TestInverseSqrtSchedule(t *testing.T) {
	s, _ := NewSchedule("invsqrt", 1, 4, ScheduleOptions{})
	for _, tc := range []struct {
		step int
		want float64
	}{{0, 0.25}, {3, 1}, {15, 0.5}, {63, 0.25}} {
		if got := s.Rate(tc.step, 100); math.Abs(float64(got)-tc.want) > 1e-7 {
			t.Errorf("step %d: %v, want %v", tc.step, got, tc.want)
		}
	}
	s, _ = NewSchedule("invsqrt", 1, 0, ScheduleOptions{})
	if got := s.Rate(3, 100); got != 0.5 {
		t.Errorf("no warm-up, step 3: %v, want 0.5", got)
	}
}

func TestCurve(t *testing.T) {
	s, _ := NewSchedule("linear", 1, 0, ScheduleOptions{})
	steps, rates := Curve(s, 101, 11)
	if len(steps) != 11 || steps[0] != 0 || steps[10] != 100 || steps[5] != 50 {
		t.Fatalf("steps %v", steps)
	}
	if rates[0] != 1 || math.Abs(float64(rates[10])-1.0/101) > 1e-6 {
		t.Fatalf("rates %v", rates)
	}
	if _, err := NewSchedule("exp", 1, 0, ScheduleOptions{}); err == nil {
		t.Fatal("unknown schedule accepted")
	}
	if _, err := NewSchedule("cosine", 1, -1, ScheduleOptions{}); err == nil {
		t.Fatal("negative warm-up accepted")
	}
}
