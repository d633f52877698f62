package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// TestConvBNFoldMatchesUnfolded: at inference (eval, NoGrad, batch 4 and
// more) a conv2d read only by a batchnorm2d runs as one convolution with
// folded weights; the logits match the unfolded pass (a Hook turns folding
// off) to float32 rounding, with and without conv bias and BN affine, and
// a conv read twice or the batch below foldMinBatch is left alone.
func TestConvBNFoldMatchesUnfolded(t *testing.T) {
	g := graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 3, "height": 12, "width": 12}},
		{ID: "c1", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 8, "kernel": 3, "pad": 1}},
		{ID: "b1", Op: "batchnorm2d", Inputs: []string{"c1"}},
		{ID: "r1", Op: "relu", Inputs: []string{"b1"}},
		{ID: "c2", Op: "conv2d", Inputs: []string{"r1"}, Attrs: map[string]float64{"out": 6, "kernel": 1, "bias": 0}},
		{ID: "b2", Op: "batchnorm2d", Inputs: []string{"c2"}, Attrs: map[string]float64{"affine": 0, "eps": 1e-3}},
		{ID: "c3", Op: "conv2d", Inputs: []string{"b2"}, Attrs: map[string]float64{"out": 5, "kernel": 3, "stride": 2, "pad": 1}},
		{ID: "b3", Op: "batchnorm2d", Inputs: []string{"c3"}},
		{ID: "side", Op: "globalavgpool", Inputs: []string{"c3"}},
		{ID: "gap", Op: "globalavgpool", Inputs: []string{"b3"}},
		{ID: "sum", Op: "add", Inputs: []string{"gap", "side"}},
		{ID: "flatten", Op: "flatten", Inputs: []string{"sum"}},
	}}
	pairs := convBNs(g, "flatten")
	if len(pairs) != 2 || pairs["b1"] != "c1" || pairs["b2"] != "c2" {
		t.Fatalf("pairs %v, want b1<-c1 and b2<-c2 (c3 is read twice)", pairs)
	}
	b := cpu.New()
	m, err := Build(g, nil, b, 4, "default")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	rnd := func(n int, scale float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * scale)
		}
		return v
	}
	// Running statistics and affine parameters away from 0 and 1.
	for _, p := range m.Params {
		p.V.Value.Set(rnd(p.V.Value.Len(), 0.5))
	}
	for id, c := range map[string]int{"b1": 8, "b2": 6, "b3": 5} {
		st := m.bnState(m.nodes[id], c)
		st.Mean.Set(rnd(c, 0.3))
		v := rnd(c, 1)
		for i := range v {
			v[i] = 0.2 + v[i]*v[i]
		}
		st.Var.Set(v)
	}
	for _, n := range []int{foldMinBatch, foldMinBatch + 1, 1} {
		xt := tensor.FromData(b, rnd(n*3*12*12, 1), n, 3, 12, 12)
		want := m.Forward(&Ctx{NoGrad: true, Hook: func(string, *autograd.Var) *autograd.Var { return nil }}, autograd.Const(xt)).Value.Data()
		p := autograd.StartProfile()
		got := m.Forward(&Ctx{NoGrad: true}, autograd.Const(xt)).Value.Data()
		p.Stop()
		folded := 0
		for _, r := range p.Rows() {
			if len(r.Kind) >= 7 && r.Kind[:7] == "conv+bn" {
				folded += r.Calls
			}
		}
		if wantFolded := map[bool]int{true: 2, false: 0}[n >= foldMinBatch]; folded != wantFolded {
			t.Errorf("batch %d: %d folded layers, want %d (%+v)", n, folded, wantFolded, p.Rows())
		}
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); !(d <= 1e-5+1e-5*math.Abs(float64(want[i]))) {
				t.Fatalf("batch %d: logit %d is %v folded, %v unfolded", n, i, got[i], want[i])
			}
		}
	}
}

// TestBNReLUFusionMatchesUnfused: a batchnorm2d read only by a relu runs
// as autograd.BatchNormReLU without a hook; logits, every parameter
// gradient and the running statistics are bit for bit those of the
// unfused pass (a Hook, which must see the batch norm's output), in
// training and in eval mode.
func TestBNReLUFusionMatchesUnfused(t *testing.T) {
	g := graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 3, "height": 10, "width": 10}},
		{ID: "c1", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 6, "kernel": 3, "pad": 1}},
		{ID: "b1", Op: "batchnorm2d", Inputs: []string{"c1"}},
		{ID: "r1", Op: "relu", Inputs: []string{"b1"}},
		{ID: "c2", Op: "conv2d", Inputs: []string{"r1"}, Attrs: map[string]float64{"out": 5, "kernel": 3, "pad": 1}},
		{ID: "b2", Op: "batchnorm2d", Inputs: []string{"c2"}},
		{ID: "r2", Op: "relu", Inputs: []string{"b2"}},
		{ID: "side", Op: "globalavgpool", Inputs: []string{"b2"}},
		{ID: "gap", Op: "globalavgpool", Inputs: []string{"r2"}},
		{ID: "sum", Op: "add", Inputs: []string{"gap", "side"}},
		{ID: "rs", Op: "relu", Inputs: []string{"sum"}},
		{ID: "flatten", Op: "flatten", Inputs: []string{"rs"}},
	}}
	if pairs := bnReLUs(g, "flatten"); len(pairs) != 2 || pairs["b1"] != "r1" || pairs["sum"] != "rs" {
		t.Fatalf("pairs %v, want only b1->r1 and sum->rs (b2 is read twice)", pairs)
	}
	b := cpu.New()
	rng := rand.New(rand.NewPCG(11, 12))
	x := make([]float32, 3*3*10*10)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	run := func(training, hook bool) (out []float32, grads map[string][]float32, stats []float32) {
		m, err := Build(g, nil, b, 5, "default")
		if err != nil {
			t.Fatal(err)
		}
		c := &Ctx{Training: training}
		if hook {
			c.Hook = func(string, *autograd.Var) *autograd.Var { return nil }
		}
		prof := autograd.StartProfile()
		y := m.Forward(c, autograd.Const(tensor.FromData(b, x, 3, 3, 10, 10)))
		prof.Stop()
		fused := 0
		for _, r := range prof.Rows() {
			if r.Kind == "bn+relu" || r.Kind == "add+relu" {
				fused += r.Calls
			}
		}
		if want := map[bool]int{false: 2, true: 0}[hook]; fused != want {
			t.Errorf("hook %v: %d fused bn+relu layers, want %d", hook, fused, want)
		}
		autograd.Sum(autograd.Mul(y, y)).Backward()
		grads = map[string][]float32{}
		for _, p := range m.Params {
			grads[p.Name] = p.V.Grad.Data()
		}
		st := m.bnState(m.nodes["b1"], 6)
		return y.Value.Data(), grads, append(st.Mean.Data(), st.Var.Data()...)
	}
	for _, training := range []bool{true, false} {
		o0, g0, s0 := run(training, false)
		o1, g1, s1 := run(training, true)
		same := func(what string, a, b []float32) {
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
					t.Fatalf("training %v: %s[%d]: fused %v, unfused %v", training, what, i, a[i], b[i])
				}
			}
		}
		same("output", o0, o1)
		same("running stats", s0, s1)
		for name, v := range g0 {
			same(name+" gradient", v, g1[name])
		}
	}
}

// TestBNAddReLUFusionMatchesUnfused: a residual block's end (batch norm,
// the shortcut added, ReLU) runs as autograd.BatchNormAddReLU without a
// hook, whichever input of the add the batch norm is; logits, every
// parameter gradient and the running statistics are bit for bit those of
// the separate ops, in training and in eval mode, with and without a
// graph.
func TestBNAddReLUFusionMatchesUnfused(t *testing.T) {
	block := func(bnFirst bool) graph.Graph {
		add := []string{"b2", "r1"}
		if !bnFirst {
			add = []string{"r1", "b2"}
		}
		return graph.Graph{Nodes: []graph.Node{
			{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 3, "height": 8, "width": 8}},
			{ID: "c1", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 6, "kernel": 3, "pad": 1}},
			{ID: "b1", Op: "batchnorm2d", Inputs: []string{"c1"}},
			{ID: "r1", Op: "relu", Inputs: []string{"b1"}},
			{ID: "c2", Op: "conv2d", Inputs: []string{"r1"}, Attrs: map[string]float64{"out": 6, "kernel": 3, "pad": 1}},
			{ID: "b2", Op: "batchnorm2d", Inputs: []string{"c2"}},
			{ID: "sum", Op: "add", Inputs: add},
			{ID: "rs", Op: "relu", Inputs: []string{"sum"}},
			{ID: "gap", Op: "globalavgpool", Inputs: []string{"rs"}},
			{ID: "flatten", Op: "flatten", Inputs: []string{"gap"}},
		}}
	}
	b := cpu.New()
	rng := rand.New(rand.NewPCG(13, 14))
	x := make([]float32, 3*3*8*8)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	for _, bnFirst := range []bool{true, false} {
		g := block(bnFirst)
		if pairs := bnAdds(g, "flatten", bnReLUs(g, "flatten")); len(pairs) != 1 || pairs["sum"] != "b2" {
			t.Fatalf("pairs %v, want sum -> b2", pairs)
		}
		run := func(training, noGrad, hook bool) (out []float32, grads map[string][]float32, stats []float32) {
			m, err := Build(g, nil, b, 5, "default")
			if err != nil {
				t.Fatal(err)
			}
			c := &Ctx{Training: training, NoGrad: noGrad}
			if hook {
				c.Hook = func(string, *autograd.Var) *autograd.Var { return nil }
			}
			prof := autograd.StartProfile()
			y := m.Forward(c, autograd.Const(tensor.FromData(b, x, 3, 3, 8, 8)))
			prof.Stop()
			fused := 0
			for _, r := range prof.Rows() {
				if r.Kind == "bn+add+relu" {
					fused += r.Calls
				}
			}
			if want := map[bool]int{false: 1, true: 0}[hook]; fused != want {
				t.Errorf("hook %v: %d fused bn+add+relu layers, want %d", hook, fused, want)
			}
			grads = map[string][]float32{}
			if !noGrad {
				autograd.Sum(autograd.Mul(y, y)).Backward()
				for _, p := range m.Params {
					grads[p.Name] = p.V.Grad.Data()
				}
			}
			st := m.bnState(m.nodes["b2"], 6)
			return y.Value.Data(), grads, append(st.Mean.Data(), st.Var.Data()...)
		}
		for _, mode := range []struct{ training, noGrad bool }{{true, false}, {false, false}, {false, true}} {
			o0, g0, s0 := run(mode.training, mode.noGrad, false)
			o1, g1, s1 := run(mode.training, mode.noGrad, true)
			same := func(what string, a, b []float32) {
				if len(a) != len(b) {
					t.Fatalf("%+v bn first %v: %s: %d values fused, %d unfused", mode, bnFirst, what, len(a), len(b))
				}
				for i := range a {
					if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
						t.Fatalf("%+v bn first %v: %s[%d]: fused %v, unfused %v", mode, bnFirst, what, i, a[i], b[i])
					}
				}
			}
			same("output", o0, o1)
			same("running stats", s0, s1)
			if !mode.noGrad && len(g0) != len(m0params(g)) {
				t.Fatalf("%d parameter gradients, want %d", len(g0), len(m0params(g)))
			}
			for name, v := range g0 {
				same(name+" gradient", v, g1[name])
			}
		}
	}
}

// m0params lists the parameter names a graph's model has.
func m0params(g graph.Graph) []string {
	m, err := Build(g, nil, cpu.New(), 1, "default")
	if err != nil {
		panic(err)
	}
	var names []string
	for _, p := range m.Params {
		names = append(names, p.Name)
	}
	return names
}
