package gradcheck

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

func param(seed uint64, shape ...int) *autograd.Var {
	rng := rand.New(rand.NewPCG(seed, 5))
	return autograd.Param(tensor.FromData(be, normal(1)(rng, tensor.Numel(shape)), shape...), "x")
}

// corrupt is a "custom op" with a deliberately wrong backward: it computes
// tanh(x) but edits the gradient flowing into it.
func corrupt(x *autograd.Var, edit func(g []float32)) *autograd.Var {
	y := autograd.Tanh(x)
	y.OnGrad(func(g *tensor.Tensor) *tensor.Tensor {
		d := g.Data()
		edit(d)
		return tensor.FromData(g.B, d, g.Shape...)
	})
	return y
}

func TestCheckDetectsWrongGradients(t *testing.T) {
	cases := []struct {
		name string
		edit func(g []float32)
		want Verdict
	}{
		{"scaled by 1.5", func(g []float32) {
			for i := range g {
				g[i] *= 1.5
			}
		}, Fail},
		{"sign flipped", func(g []float32) {
			for i := range g {
				g[i] = -g[i]
			}
		}, Fail},
		{"dropped", func(g []float32) { clear(g) }, Fail},
		{"one element 5% off", func(g []float32) { g[3] *= 1.05 }, Fail},
		{"one element 0.3% off", func(g []float32) { g[3] *= 1.003 }, Suspect},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := param(1, 4, 6)
			rep, err := Check(func() *autograd.Var {
				return autograd.Mul(corrupt(x, c.edit), autograd.Sigmoid(x))
			}, []*autograd.Var{x}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Verdict != c.want {
				t.Fatalf("verdict %s, want %s\n%s", rep.Verdict, c.want, rep)
			}
			if rep.Tensors[0].Kinks != 0 {
				t.Errorf("a wrong gradient was excused as a kink\n%s", rep)
			}
		})
	}
}

// In a batch-normalised ReLU network one step of a first-layer weight
// moves every activation of its channel, so a few steps cross several
// kinks at once and score "suspect" (about 5e-3 here); a wrong layer still
// fails.
func TestCheckDetectsAWrongLayerInsideAReLUModel(t *testing.T) {
	m, x := smallModel(t, "relu", "maxpool2d")
	wrt := []*autograd.Var{m.Params[0].V}
	// Scale the gradient leaving the second conv layer: everything before
	// it (conv1's weights) is then wrong.
	broken := func(id string, out *autograd.Var) *autograd.Var {
		if id == "conv2" {
			out.OnGrad(func(g *tensor.Tensor) *tensor.Tensor {
				d := g.Data()
				for i := range d {
					d[i] *= 0.8
				}
				return tensor.FromData(g.B, d, g.Shape...)
			})
		}
		return nil
	}
	for _, c := range []struct {
		hook func(string, *autograd.Var) *autograd.Var
		want Verdict
	}{{nil, Suspect}, {broken, Fail}} {
		rep, err := Check(func() *autograd.Var {
			return m.Forward(&nn.Ctx{Training: true, Hook: c.hook}, x)
		}, wrt, Options{Samples: 30, Seed: 2})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict > c.want || c.hook != nil && rep.Verdict != Fail {
			t.Fatalf("broken %v: verdict %s, want %s\n%s", c.hook != nil, rep.Verdict, c.want, rep)
		}
	}
}

func smallModel(t *testing.T, act, pool string) (*nn.Model, *autograd.Var) {
	t.Helper()
	g := graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 3, "height": 7, "width": 9}},
		{ID: "conv1", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 4, "kernel": 3, "pad": 1, "stride": 2}},
		{ID: "bn1", Op: "batchnorm2d", Inputs: []string{"conv1"}},
		{ID: "act1", Op: act, Inputs: []string{"bn1"}},
		{ID: "conv2", Op: "conv2d", Inputs: []string{"act1"}, Attrs: map[string]float64{"out": 6, "kernel": 3, "pad": 1, "groups": 2}},
		{ID: "act2", Op: "tanh", Inputs: []string{"conv2"}},
		{ID: "pool", Op: pool, Inputs: []string{"act2"}, Attrs: map[string]float64{"kernel": 2}},
		{ID: "flat", Op: "flatten", Inputs: []string{"pool"}},
		{ID: "fc", Op: "linear", Inputs: []string{"flat"}, Attrs: map[string]float64{"out": 5}},
	}}
	m, err := nn.Build(g, nil, be, 3, "default")
	if err != nil {
		t.Fatal(err)
	}
	return m, param(9, 3, 3, 7, 9)
}

// The checker works on a whole model: every parameter and the input
// image, through batch norm in training mode, against logits and against
// a cross-entropy loss.
func TestCheckWholeModel(t *testing.T) {
	m, x := smallModel(t, "gelu", "avgpool2d")
	wrt := []*autograd.Var{x}
	for _, p := range m.Params {
		wrt = append(wrt, p.V)
	}
	ctx := func() *nn.Ctx { return &nn.Ctx{Training: true} }
	labels := []int32{0, 4, 2}
	for _, c := range []struct {
		name string
		f    func() *autograd.Var
	}{
		{"logits", func() *autograd.Var { return m.Forward(ctx(), x) }},
		{"loss", func() *autograd.Var {
			return autograd.CrossEntropy(m.Forward(ctx(), x), autograd.OneHot(be, labels, 5, 0))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := x.Value.Data()
			rep, err := Check(c.f, wrt, Options{Samples: 12, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", rep)
			if rep.Verdict != Pass {
				t.Errorf("verdict %s", rep.Verdict)
			}
			if len(rep.Tensors) != len(wrt) || rep.Tensors[1].Name != "conv1.weight" || rep.Tensors[1].Checked != 12 {
				t.Errorf("report covers %d tensors, first param %q with %d elements checked", len(rep.Tensors), rep.Tensors[1].Name, rep.Tensors[1].Checked)
			}
			for i, v := range x.Value.Data() {
				if v != before[i] {
					t.Fatalf("input element %d not restored: %v, was %v", i, v, before[i])
				}
			}
			if wrt[1].Grad == nil {
				t.Error("the analytic gradients should be left in Grad")
			}
		})
	}
}

func TestCheckExcusesKinksButReportsThem(t *testing.T) {
	// Values within h of ReLU's kink: the centred difference straddles it.
	x := autograd.Param(tensor.FromData(be, []float32{0.0004, -0.0003, 1, -1, 0.5}, 5), "x")
	rep, err := Check(func() *autograd.Var { return autograd.ReLU(x) }, []*autograd.Var{x}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tr := rep.Tensors[0]
	if rep.Verdict != Pass || tr.Kinks != 2 || !tr.Elements[0].Kink || !tr.Elements[1].Kink || tr.Elements[2].Kink {
		t.Fatalf("want the two elements near 0 flagged as kinks and a pass\n%s", rep)
	}
	// A wrong gradient at a kink is still wrong.
	y := autograd.Param(tensor.FromData(be, []float32{0.0004, 1}, 2), "y")
	rep, err = Check(func() *autograd.Var {
		return corrupt(autograd.ReLU(y), func(g []float32) { g[0] = -3 * g[0] })
	}, []*autograd.Var{y}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Verdict != Fail || rep.Tensors[0].Kinks != 0 {
		t.Fatalf("a wrong gradient at a kink was excused\n%s", rep)
	}
}

func TestCheckSamplesLargeTensorsBySeed(t *testing.T) {
	x := param(4, 50, 40)
	f := func() *autograd.Var { return autograd.Tanh(x) }
	picks := func(seed uint64) []int {
		rep, err := Check(f, []*autograd.Var{x}, Options{Samples: 10, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != Pass || rep.Tensors[0].Checked != 10 || rep.Evals != 21 {
			t.Fatalf("checked %d elements in %d evaluations, verdict %s", rep.Tensors[0].Checked, rep.Evals, rep.Verdict)
		}
		var idx []int
		for _, e := range rep.Tensors[0].Elements {
			idx = append(idx, e.Index)
		}
		return idx
	}
	a, b, c := picks(1), picks(1), picks(2)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("same seed, different elements: %v vs %v", a, b)
		}
		if i > 0 && a[i] <= a[i-1] {
			t.Fatalf("elements not distinct and sorted: %v", a)
		}
	}
	if same := func() bool {
		for i := range a {
			if a[i] != c[i] {
				return false
			}
		}
		return true
	}(); same {
		t.Fatalf("seeds 1 and 2 chose the same elements %v", a)
	}
}

func TestCheckReportsMisuseAsErrors(t *testing.T) {
	x := param(1, 3)
	k := autograd.Const(tensor.FromData(be, []float32{1, 2, 3}, 3))
	cases := []struct {
		name string
		f    func() *autograd.Var
		wrt  []*autograd.Var
		want string
	}{
		{"no wrt", func() *autograd.Var { return x }, nil, "nothing to check"},
		{"constant wrt", func() *autograd.Var { return k }, []*autograd.Var{k}, "does not require a gradient"},
		{"panicking f", func() *autograd.Var { return autograd.MatMul(x, x) }, []*autograd.Var{x}, "panicked"},
		{"nil output", func() *autograd.Var { return nil }, []*autograd.Var{x}, "returned nil"},
		{"non-finite", func() *autograd.Var { return autograd.Log(autograd.Scale(x, 0)) }, []*autograd.Var{x}, "non-finite"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Check(c.f, c.wrt, Options{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

func TestRelErr(t *testing.T) {
	for _, c := range []struct{ a, n, floor, want float64 }{
		{1, 1, 0, 0},
		{1, 0.99, 0, 0.01},
		{-2, 2, 0, 2},
		{1e-9, 2e-9, 1e-6, 1e-3},
		{0, 0, 0, 0},
	} {
		if got := RelErr(c.a, c.n, c.floor); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("RelErr(%g, %g, %g) = %g, want %g", c.a, c.n, c.floor, got, c.want)
		}
	}
}
