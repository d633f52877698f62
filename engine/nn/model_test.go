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

func refCNN(classes int) graph.Graph {
	return graph.Graph{Nodes: []graph.Node{
		{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 1, "height": 28, "width": 28}},
		{ID: "conv1", Op: "conv2d", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 32, "kernel": 3, "pad": 1}},
		{ID: "relu1", Op: "relu", Inputs: []string{"conv1"}},
		{ID: "pool1", Op: "maxpool2d", Inputs: []string{"relu1"}, Attrs: map[string]float64{"kernel": 2}},
		{ID: "conv2", Op: "conv2d", Inputs: []string{"pool1"}, Attrs: map[string]float64{"out": 64, "kernel": 3, "pad": 1}},
		{ID: "relu2", Op: "relu", Inputs: []string{"conv2"}},
		{ID: "pool2", Op: "maxpool2d", Inputs: []string{"relu2"}, Attrs: map[string]float64{"kernel": 2}},
		{ID: "flatten", Op: "flatten", Inputs: []string{"pool2"}},
		{ID: "fc1", Op: "linear", Inputs: []string{"flatten"}, Attrs: map[string]float64{"out": 128}},
		{ID: "relu3", Op: "relu", Inputs: []string{"fc1"}},
		{ID: "fc2", Op: "linear", Inputs: []string{"relu3"}, Attrs: map[string]float64{"out": float64(classes)}},
	}}
}

func TestAnalyzeRefCNN(t *testing.T) {
	a := Analyze(refCNN(10), nil)
	if !a.OK() {
		t.Fatal(a.Err())
	}
	// conv1 320 + conv2 18496 + fc1 401536 + fc2 1290 (PyTorch's count).
	if a.Params != 421642 {
		t.Errorf("params = %d, want 421642", a.Params)
	}
	if got := a.Nodes["pool2"].Out; !tensor.SameShape(got, []int{64, 7, 7}) {
		t.Errorf("pool2 shape %v", got)
	}
	// RF: conv3 (3) -> pool2 (4, jump 2) -> conv3 (8) -> pool2 (10, jump 4).
	if rf := a.Nodes["pool2"].RF; rf != 10 {
		t.Errorf("pool2 receptive field %d, want 10", rf)
	}
}

func TestAnalyzeErrorsOnTheRightNode(t *testing.T) {
	g := refCNN(10)
	g.Nodes[8].Inputs = []string{"pool2"} // linear fed a 3-D volume
	a := Analyze(g, nil)
	if a.Nodes["fc1"].Err == nil || a.Nodes["conv1"].Err != nil {
		t.Fatalf("want an error on fc1 only among the layers, got %v", a.Errors)
	}
	g = refCNN(10)
	g.Nodes[1].Inputs = []string{"relu1"} // cycle conv1 -> relu1 -> pool1? conv1 <- relu1 <- conv1
	if a := Analyze(g, nil); a.OK() {
		t.Fatal("cycle not detected")
	}
}

// The model learns a synthetic task: the class is which quadrant is bright.
func TestRefCNNLearns(t *testing.T) {
	b := cpu.New()
	m, err := Build(refCNN(4), nil, b, 1, "default")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	batch := func(n int) (*tensor.Tensor, []int32) {
		x := make([]float32, n*28*28)
		y := make([]int32, n)
		for i := range n {
			c := rng.IntN(4)
			y[i] = int32(c)
			for p := range 28 * 28 {
				r, col := p/28, p%28
				v := float32(rng.NormFloat64() * 0.3)
				if (r < 14) == (c < 2) && (col < 14) == (c%2 == 0) {
					v += 1
				}
				x[i*784+p] = v
			}
		}
		return tensor.FromData(b, x, n, 1, 28, 28), y
	}
	var first, last float32
	for step := range 40 {
		x, y := batch(32)
		out := m.Forward(&Ctx{Training: true}, autograd.Const(x))
		loss := autograd.CrossEntropy(out, autograd.OneHot(b, y, 4, 0))
		loss.Backward()
		for _, p := range m.Params {
			b.Axpy(p.V.Value.Buf, -0.05, p.V.Grad.Buf)
			p.V.ZeroGrad()
		}
		l := loss.Item()
		if math.IsNaN(float64(l)) {
			t.Fatal("NaN loss")
		}
		if step == 0 {
			first = l
		}
		last = l
	}
	if first < 1.2 || last > 0.3*first {
		t.Fatalf("loss %v -> %v: the model did not learn", first, last)
	}
}
