package imported

import (
	"path/filepath"
	"testing"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/projects"
)

// An imported model saves as an ordinary project and opens again with its
// graph, weights, classes, input size and preprocessing.
func TestImportedModelRoundTripsThroughAProjectFile(t *testing.T) {
	m := &interop.Model{Name: "tiny", Format: "tfjs", Input: []int{3, 2, 2},
		Graph: graph.Graph{Nodes: []graph.Node{{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 3, "height": 2, "width": 2}},
			{ID: "gap", Op: "globalavgpool", Inputs: []string{"input"}},
			{ID: "fc", Op: "linear", Inputs: []string{"gap"}, Attrs: map[string]float64{"out": 2}}}},
		Weights: map[string]interop.Tensor{"fc.weight": {Shape: []int{2, 3}, Data: []float32{1, 2, 3, 4, 5, 6}},
			"fc.bias": {Shape: []int{2}, Data: []float32{-1, 1}}},
		Classes:    []string{"bald eagle", "kite"},
		Preprocess: interop.Preprocess{Mean: []float32{0.5, 0.4, 0.3}, Std: []float32{0.1, 0.2, 0.3}, Resize: interop.ResizeStretch, Source: "test"},
	}
	if _, err := m.Check(); err != nil {
		t.Fatal(err)
	}
	p, err := Project(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "tiny.wbproj")
	if err := projects.Save(p, path); err != nil {
		t.Fatal(err)
	}
	q, err := projects.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if q.Name != "tiny" || len(q.Graph.Nodes) != 3 || q.Dataset.C != 3 || q.Dataset.H != 2 || q.Dataset.W != 2 ||
		len(q.Dataset.Classes) != 2 || q.Dataset.Classes[0] != "bald eagle" {
		t.Errorf("project %q: graph %d nodes, dataset %+v", q.Name, len(q.Graph.Nodes), q.Dataset)
	}
	if q.Preprocess.Mode != projects.PreprocessChannelMeanStd || q.Preprocess.Resize != "stretch" || q.Preprocess.Source != "test" {
		t.Errorf("preprocess %+v", q.Preprocess)
	}
	if s := q.Tensors[projects.TensorPreprocessStd]; len(s.Data) != 3 || s.Data[2] != 0.3 {
		t.Errorf("std %v", s)
	}
	if w := q.Tensors["weights/fc.weight"]; len(w.Data) != 6 || w.Data[5] != 6 || w.Shape[0] != 2 || w.Shape[1] != 3 {
		t.Errorf("weights %v", w)
	}

	m.Preprocess.Std = m.Preprocess.Std[:2]
	if _, err := Project(m); err == nil {
		t.Error("two standard deviations for three channels were accepted")
	}
}
