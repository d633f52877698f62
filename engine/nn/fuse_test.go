package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// TestReLUPoolFusionMatchesUnfused: ReLU followed by max-pool runs as
// autograd.MaxPool2dReLU without a hook; with a hook (which must see the
// ReLU's output) it runs unfused. Logits and every parameter gradient are
// bit for bit the same either way, and only ReLUs whose sole consumer is a
// max-pool are fused.
func TestReLUPoolFusionMatchesUnfused(t *testing.T) {
	g := refCNN(10)
	// A ReLU read by two nodes must not be fused.
	g.Nodes = append(g.Nodes, graph.Node{ID: "relu2b", Op: "relu", Inputs: []string{"conv2"}},
		graph.Node{ID: "pool2b", Op: "maxpool2d", Inputs: []string{"relu2b"}, Attrs: map[string]float64{"kernel": 2}},
		graph.Node{ID: "side", Op: "globalavgpool", Inputs: []string{"relu2b"}})
	fused := fusedReLUs(g, "fc2")
	if len(fused) != 2 || fused["pool1"] != "relu1" || fused["pool2"] != "relu2" {
		t.Fatalf("fused pairs %v, want pool1<-relu1 and pool2<-relu2 only", fused)
	}

	b := cpu.New()
	m, err := Build(refCNN(10), nil, b, 3, "default")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, 8*784)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]int32, 8)
	for i := range y {
		y[i] = int32(i)
	}
	run := func(hook bool) (logits []float32, grads map[string][]float32) {
		c := &Ctx{Training: true}
		seen := map[string]bool{}
		if hook {
			c.Hook = func(id string, out *autograd.Var) *autograd.Var { seen[id] = true; return nil }
		}
		out := m.Forward(c, autograd.Const(tensor.FromData(b, x, 8, 1, 28, 28)))
		if hook && !seen["relu1"] {
			t.Error("with a hook, relu1's output was not computed")
		}
		autograd.CrossEntropy(out, autograd.OneHot(b, y, 10, 0)).Backward()
		grads = map[string][]float32{}
		for _, p := range m.Params {
			grads[p.Name] = p.V.Grad.Data()
			p.V.ZeroGrad()
		}
		return out.Value.Data(), grads
	}
	l0, g0 := run(false)
	l1, g1 := run(true)
	for i := range l0 {
		if l0[i] != l1[i] {
			t.Fatalf("logit %d: fused %v, unfused %v", i, l0[i], l1[i])
		}
	}
	for name, v := range g0 {
		for i := range v {
			if v[i] != g1[name][i] {
				t.Fatalf("%s gradient %d: fused %v, unfused %v", name, i, v[i], g1[name][i])
			}
		}
	}
}

// TestNoGradForwardFreesWithoutChangingResults: a NoGrad forward pass frees
// activations as their last reader finishes. On a graph with a view
// (flatten), a branch read twice (add), a concat and an identity, the
// logits match a pass that keeps everything (a Hook turns freeing off),
// repeatedly (recycled buffers), and the input and weights stay intact.
func TestNoGradForwardFreesWithoutChangingResults(t *testing.T) {
	g := graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 3, "height": 12, "width": 12}},
		{ID: "c1", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 8, "kernel": 3, "pad": 1}},
		{ID: "r1", Op: "relu", Inputs: []string{"c1"}},
		{ID: "p1", Op: "maxpool2d", Inputs: []string{"r1"}, Attrs: map[string]float64{"kernel": 2}},
		{ID: "c2", Op: "conv2d", Inputs: []string{"p1"}, Attrs: map[string]float64{"out": 8, "kernel": 3, "pad": 1}},
		{ID: "sum", Op: "add", Inputs: []string{"c2", "p1"}},
		{ID: "twice", Op: "add", Inputs: []string{"sum", "sum"}},
		{ID: "id", Op: "identity", Inputs: []string{"twice"}},
		{ID: "cat", Op: "concat", Inputs: []string{"id", "p1"}},
		{ID: "flatten", Op: "flatten", Inputs: []string{"cat"}},
		{ID: "fc", Op: "linear", Inputs: []string{"flatten"}, Attrs: map[string]float64{"out": 5}},
	}}
	b := cpu.New()
	m, err := Build(g, nil, b, 9, "default")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float32, 4*3*12*12)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	w0 := m.Params[0].V.Value.Data()
	xt := tensor.FromData(b, x, 4, 3, 12, 12)
	keep := func(id string, out *autograd.Var) *autograd.Var { return nil }
	want := m.Forward(&Ctx{NoGrad: true, Hook: keep}, autograd.Const(xt)).Value.Data()
	for round := range 3 {
		got := m.Forward(&Ctx{NoGrad: true}, autograd.Const(xt)).Value.Data()
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("round %d: logit %d is %v, want %v", round, i, got[i], want[i])
			}
		}
	}
	for i, v := range xt.Data() {
		if v != x[i] {
			t.Fatalf("input changed at %d", i)
		}
	}
	for i, v := range m.Params[0].V.Value.Data() {
		if v != w0[i] {
			t.Fatalf("weight changed at %d", i)
		}
	}
	// Stop at a view of a freed-able node: its buffer must survive.
	st := m.Forward(&Ctx{NoGrad: true, Stop: "flatten"}, autograd.Const(xt)).Value.Data()
	ref := m.Forward(&Ctx{NoGrad: true, Hook: keep, Stop: "flatten"}, autograd.Const(xt)).Value.Data()
	for i := range ref {
		if st[i] != ref[i] {
			t.Fatalf("Stop at flatten: value %d is %v, want %v", i, st[i], ref[i])
		}
	}
}
