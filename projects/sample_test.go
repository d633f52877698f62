package projects

import (
	"reflect"
	"testing"
)

func TestSampleIsTheFashionMNISTReferenceCNN(t *testing.T) {
	p, err := Sample()
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "Fashion-MNIST sample" || p.Dataset.Spec != "sample" || p.Dataset.C != 1 || p.Dataset.H != 28 || p.Dataset.W != 28 {
		t.Fatalf("sample head: %q %+v", p.Name, p.Dataset)
	}
	if len(p.Dataset.Classes) != 10 || p.Dataset.Classes[0] != "T-shirt/top" || p.Dataset.Classes[9] != "Ankle boot" {
		t.Fatalf("classes = %v", p.Dataset.Classes)
	}
	if h := p.Hyper; h.Optimizer != "adam" || h.LR != 1e-3 || h.Batch != 64 || h.Epochs != 2 {
		t.Fatalf("hyper = %+v", h)
	}
	if len(p.Tensors) != 0 || len(p.Runs) != 0 {
		t.Fatal("the sample should have no weights and no runs yet")
	}
	var ops []string
	ids := map[string]bool{}
	for i, n := range p.Graph.Nodes {
		ops = append(ops, n.Op)
		if ids[n.ID] {
			t.Fatalf("duplicate node id %q", n.ID)
		}
		ids[n.ID] = true
		if i > 0 && (len(n.Inputs) != 1 || n.Inputs[0] != p.Graph.Nodes[i-1].ID) {
			t.Fatalf("node %q inputs %v: not a chain", n.ID, n.Inputs)
		}
		if i > 0 && n.Y <= p.Graph.Nodes[i-1].Y {
			t.Fatalf("node %q is not laid out below its input", n.ID)
		}
	}
	want := []string{"input", "conv2d", "relu", "maxpool2d", "conv2d", "relu", "maxpool2d", "flatten", "linear", "relu", "linear"}
	if !reflect.DeepEqual(ops, want) {
		t.Fatalf("ops = %v", ops)
	}
	g := p.Graph
	if g.Find("conv1").Attrs["out"] != 32 || g.Find("conv2").Attrs["out"] != 64 || g.Find("conv1").Attrs["pad"] != 1 ||
		g.Find("fc1").Attrs["out"] != 128 || g.Find("fc2").Attrs["out"] != 10 || g.Find("input").Attrs["channels"] != 1 {
		t.Fatal("layer sizes differ from the reference CNN")
	}
	// Each call is independent, and the sample survives a save.
	q, _ := Sample()
	q.Graph.Nodes[1].Attrs["out"] = 1
	q.Dataset.Classes[0] = "x"
	if r, _ := Sample(); r.Graph.Nodes[1].Attrs["out"] != 32 || r.Dataset.Classes[0] != "T-shirt/top" {
		t.Fatal("Sample returns shared data")
	}
	if s := saveOpen(t, p); !reflect.DeepEqual(p, s) {
		t.Fatal("sample changes on save")
	}
}
