package optim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// problem is a small two-layer network with a cross-entropy loss on fixed
// data: x [8,5] -> linear 6 -> tanh -> linear 3.
type problem struct {
	X      []float32            `json:"x"`
	Y      []int32              `json:"y"`
	Params map[string][]float32 `json:"params"`
}

var problemShapes = []struct {
	name  string
	shape []int
	decay bool
}{{"fc1.weight", []int{6, 5}, true}, {"fc1.bias", []int{6}, false},
	{"fc2.weight", []int{3, 6}, true}, {"fc2.bias", []int{3}, false}}

func newProblem() problem {
	rng := rand.New(rand.NewPCG(7, 11))
	p := problem{Params: map[string][]float32{}}
	for range 8 * 5 {
		p.X = append(p.X, float32(rng.NormFloat64()))
	}
	for range 8 {
		p.Y = append(p.Y, int32(rng.IntN(3)))
	}
	for _, s := range problemShapes {
		v := make([]float32, tensor.Numel(s.shape))
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.5)
		}
		p.Params[s.name] = v
	}
	return p
}

func (p problem) build() []*nn.Param {
	b := cpu.New()
	var out []*nn.Param
	for _, s := range problemShapes {
		v := autograd.Param(tensor.FromData(b, append([]float32(nil), p.Params[s.name]...), s.shape...), s.name)
		out = append(out, &nn.Param{Name: s.name, V: v, Decay: s.decay})
	}
	return out
}

// lossAndGrad runs forward and backward, replacing the gradients.
func (p problem) lossAndGrad(ps []*nn.Param) float32 {
	b := cpu.New()
	for _, q := range ps {
		q.V.ZeroGrad()
	}
	x := autograd.Const(tensor.FromData(b, p.X, 8, 5))
	h := autograd.Tanh(autograd.Linear(x, ps[0].V, ps[1].V))
	logits := autograd.Linear(h, ps[2].V, ps[3].V)
	loss := autograd.CrossEntropy(logits, autograd.OneHot(b, p.Y, 3, 0))
	loss.Backward()
	return loss.Item()
}

type optCase struct {
	Name      string  `json:"name"`
	Opt       string  `json:"opt"`
	LR        float32 `json:"lr"`
	Momentum  float32 `json:"momentum"`
	WD        float32 `json:"wd"`
	Alpha     float32 `json:"alpha"`
	Centered  bool    `json:"centered"`
	ClipNorm  float32 `json:"clip_norm"`
	ClipValue float32 `json:"clip_value"`
}

var optCases = []optCase{
	{Name: "sgd", Opt: "sgd", LR: 0.1, WD: 0.01},
	{Name: "momentum", Opt: "momentum", LR: 0.1, Momentum: 0.9, WD: 0.01},
	{Name: "nesterov", Opt: "nesterov", LR: 0.1, Momentum: 0.9, WD: 0.01},
	{Name: "adagrad", Opt: "adagrad", LR: 0.1, WD: 0.01},
	{Name: "rmsprop", Opt: "rmsprop", LR: 0.01, Alpha: 0.99, WD: 0.01},
	{Name: "rmsprop-centered-momentum", Opt: "rmsprop", LR: 0.01, Alpha: 0.9, Momentum: 0.5, Centered: true},
	{Name: "adam", Opt: "adam", LR: 0.01, WD: 0.01},
	{Name: "adamw", Opt: "adamw", LR: 0.01, WD: 0.1},
	{Name: "adam-clipnorm", Opt: "adam", LR: 0.05, ClipNorm: 0.3},
	{Name: "momentum-clipvalue", Opt: "momentum", LR: 0.1, Momentum: 0.9, ClipValue: 0.02},
}

const optScript = `
import json, sys, torch
torch.set_num_threads(1)
d = json.load(sys.stdin)
shapes = {"fc1.weight": (6, 5), "fc1.bias": (6,), "fc2.weight": (3, 6), "fc2.bias": (3,)}
decay = {"fc1.weight": True, "fc1.bias": False, "fc2.weight": True, "fc2.bias": False}
x = torch.tensor(d["x"], dtype=torch.float32).reshape(8, 5)
y = torch.tensor(d["y"], dtype=torch.long)
out = {}
for c in d["cases"]:
    ps = {k: torch.tensor(v, dtype=torch.float32).reshape(shapes[k]).requires_grad_() for k, v in d["params"].items()}
    dec = [ps[k] for k in shapes if decay[k]]
    nodec = [ps[k] for k in shapes if not decay[k]]
    groups = [{"params": dec, "weight_decay": c["wd"]}, {"params": nodec, "weight_decay": 0.0}]
    o, lr = c["opt"], c["lr"]
    if o == "sgd": opt = torch.optim.SGD(groups, lr=lr)
    elif o == "momentum": opt = torch.optim.SGD(groups, lr=lr, momentum=c["momentum"])
    elif o == "nesterov": opt = torch.optim.SGD(groups, lr=lr, momentum=c["momentum"], nesterov=True)
    elif o == "adagrad": opt = torch.optim.Adagrad(groups, lr=lr)
    elif o == "rmsprop": opt = torch.optim.RMSprop(groups, lr=lr, alpha=c["alpha"], momentum=c["momentum"], centered=c["centered"])
    elif o == "adam": opt = torch.optim.Adam(groups, lr=lr)
    elif o == "adamw": opt = torch.optim.AdamW(groups, lr=lr)
    for _ in range(d["steps"]):
        opt.zero_grad()
        h = torch.tanh(torch.nn.functional.linear(x, ps["fc1.weight"], ps["fc1.bias"]))
        loss = torch.nn.functional.cross_entropy(torch.nn.functional.linear(h, ps["fc2.weight"], ps["fc2.bias"]), y)
        loss.backward()
        if c["clip_norm"] > 0: torch.nn.utils.clip_grad_norm_(list(ps.values()), c["clip_norm"])
        if c["clip_value"] > 0: torch.nn.utils.clip_grad_value_(list(ps.values()), c["clip_value"])
        opt.step()
    out[c["name"]] = {k: v.detach().reshape(-1).tolist() for k, v in ps.items()}
print(json.dumps(out))
`

func closeTo(got, want, atol, rtol float64) bool {
	return math.Abs(got-want) <= atol+rtol*math.Abs(want)
}

// TestOptimizersMatchTorch compares the parameters after 10 steps of every
// optimizer with torch.optim's.
func TestOptimizersMatchTorch(t *testing.T) {
	const steps = 10
	p := newProblem()
	var want map[string]map[string][]float64
	runTorch(t, optScript, map[string]any{"x": p.X, "y": p.Y, "params": p.Params, "cases": optCases, "steps": steps}, &want)
	for _, c := range optCases {
		t.Run(c.Name, func(t *testing.T) {
			o, err := New(c.Opt, Config{LR: c.LR, Momentum: c.Momentum, WeightDecay: c.WD, Alpha: c.Alpha,
				Centered: c.Centered, ClipNorm: c.ClipNorm, ClipValue: c.ClipValue})
			if err != nil {
				t.Fatal(err)
			}
			ps := p.build()
			for range steps {
				p.lossAndGrad(ps)
				if err := o.Step(ps); err != nil {
					t.Fatal(err)
				}
			}
			moved := false
			for _, q := range ps {
				got, w := q.V.Value.Data(), want[c.Name][q.Name]
				for i := range got {
					if !closeTo(float64(got[i]), w[i], 1e-4, 1e-3) {
						t.Fatalf("%s[%d] = %.7f, torch %.7f", q.Name, i, got[i], w[i])
					}
					if got[i] != p.Params[q.Name][i] {
						moved = true
					}
				}
			}
			if !moved {
				t.Fatal("parameters did not move")
			}
		})
	}
}

// TestStateRoundTrip: saving the state after 5 steps and loading it into a
// fresh optimizer gives bit-identical parameters after 5 more steps.
func TestStateRoundTrip(t *testing.T) {
	p := newProblem()
	for _, c := range optCases {
		t.Run(c.Name, func(t *testing.T) {
			cfg := Config{LR: c.LR, Momentum: c.Momentum, WeightDecay: c.WD, Alpha: c.Alpha, Centered: c.Centered}
			a, _ := New(c.Opt, cfg)
			pa := p.build()
			for range 10 {
				p.lossAndGrad(pa)
				a.Step(pa)
			}
			b1, _ := New(c.Opt, cfg)
			pb := p.build()
			for range 5 {
				p.lossAndGrad(pb)
				b1.Step(pb)
			}
			saved := map[string]*tensor.Tensor{}
			for k, v := range b1.State() {
				saved[k] = v.Clone()
			}
			b2, _ := New(c.Opt, cfg)
			if err := b2.LoadState(saved); err != nil {
				t.Fatal(err)
			}
			if len(b2.State()) != len(saved) {
				t.Fatalf("loaded state has %d tensors before a step, want %d", len(b2.State()), len(saved))
			}
			for range 5 {
				p.lossAndGrad(pb)
				if err := b2.Step(pb); err != nil {
					t.Fatal(err)
				}
			}
			for i := range pa {
				ga, gb := pa[i].V.Value.Data(), pb[i].V.Value.Data()
				for j := range ga {
					if ga[j] != gb[j] {
						t.Fatalf("%s[%d]: resumed %v, uninterrupted %v", pa[i].Name, j, gb[j], ga[j])
					}
				}
			}
		})
	}
}

func TestLoadStateRejectsForeignState(t *testing.T) {
	a, _ := New("adam", Config{})
	p := newProblem()
	ps := p.build()
	p.lossAndGrad(ps)
	a.Step(ps)
	s, _ := New("momentum", Config{})
	if err := s.LoadState(a.State()); err == nil {
		t.Fatal("momentum accepted Adam's state")
	}
	// Right names, wrong shape: reported at the next step.
	bad := map[string]*tensor.Tensor{"fc1.weight.exp_avg": tensor.New(cpu.New(), 2, 2)}
	b, _ := New("adam", Config{})
	if err := b.LoadState(bad); err != nil {
		t.Fatal(err)
	}
	if err := b.Step(ps); err == nil {
		t.Fatal("state of the wrong shape accepted")
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{{"adam", Config{LR: -1}}, {"sgd", Config{LR: float32(math.NaN())}}, {"momentum", Config{Momentum: 1.5}}, {"lion", Config{}}} {
		if _, err := New(tc.name, tc.cfg); err == nil {
			t.Errorf("New(%q, %+v) accepted", tc.name, tc.cfg)
		}
	}
}

// Weight decay touches only parameters marked Decay unless DecayAll.
func TestWeightDecayOnlyDecayParams(t *testing.T) {
	b := cpu.New()
	mk := func() []*nn.Param {
		w := autograd.Param(tensor.Full(b, 1, 3), "w")
		bias := autograd.Param(tensor.Full(b, 1, 3), "b")
		w.Grad, bias.Grad = tensor.New(b, 3), tensor.New(b, 3)
		return []*nn.Param{{Name: "w", V: w, Decay: true}, {Name: "b", V: bias}}
	}
	for _, all := range []bool{false, true} {
		ps := mk()
		o, _ := New("sgd", Config{LR: 0.5, WeightDecay: 0.1, DecayAll: all})
		o.Step(ps)
		if w := ps[0].V.Value.Data()[0]; w != 1-0.5*0.1 {
			t.Errorf("DecayAll=%v: decayed weight %v, want 0.95", all, w)
		}
		want := float32(1)
		if all {
			want = 0.95
		}
		if bv := ps[1].V.Value.Data()[0]; bv != want {
			t.Errorf("DecayAll=%v: bias %v, want %v", all, bv, want)
		}
	}
}

func TestClipGradNorm(t *testing.T) {
	b := cpu.New()
	v := autograd.Param(tensor.New(b, 2), "v")
	v.Grad = tensor.FromData(b, []float32{3, 4}, 2)
	ps := []*nn.Param{{Name: "v", V: v}}
	if n := ClipGradNorm(ps, 1); math.Abs(n-5) > 1e-6 {
		t.Fatalf("norm before clipping %v, want 5", n)
	}
	if n := GradNorm(ps); math.Abs(n-1) > 1e-5 {
		t.Fatalf("norm after clipping %v, want 1", n)
	}
	ClipGradValue(ps, 0.7)
	g := v.Grad.Data()
	if math.Abs(float64(g[0])-0.6) > 1e-5 || math.Abs(float64(g[1])-0.7) > 1e-6 {
		t.Fatalf("after clamping %v, want [0.6 0.7]", g)
	}
}

func Example() {
	b := cpu.New()
	w := autograd.Param(tensor.FromData(b, []float32{2}, 1), "w")
	params := []*nn.Param{{Name: "w", V: w, Decay: true}}
	opt, _ := New("sgd", Config{LR: 0.1})
	for range 100 {
		w.ZeroGrad()
		loss := autograd.Square(w) // minimise w²
		loss.Backward()
		opt.Step(params)
	}
	fmt.Printf("w = %.2f\n", w.Value.Item())
	// Output: w = 0.00
}
