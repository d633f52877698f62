package onnx

import (
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// A zoo model exported and imported back computes what it computed, and
// the export carries every intermediate shape.
func TestExportThenImportRoundTrip(t *testing.T) {
	for k, c := range []struct {
		name  string
		input []int
	}{{"ref-cnn", []int{1, 28, 28}}, {"resnet18", []int{3, 32, 32}}, {"densenet121", []int{3, 32, 32}}} {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && c.name != "ref-cnn" {
				t.Skip("the full run covers the larger models")
			}
			g, err := models.Graph(c.name, c.input, 10)
			if err != nil {
				t.Fatal(err)
			}
			b := cpu.New()
			m, err := nn.Build(g, c.input, b, uint64(k+7), "default")
			if err != nil {
				t.Fatal(err)
			}
			perturb(m, uint64(k+7))
			data, err := Export(g, c.input, stateOf(m), "test")
			if err != nil {
				t.Fatal(err)
			}
			pm, err := Decode(data)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := len(pm.GetGraph().GetValueInfo()), len(m.Analysis.Order)-2; got < want {
				t.Errorf("value_info has %d shapes for %d intermediate layers", got, want)
			}
			im, err := Import(data)
			if err != nil {
				t.Fatal(err)
			}
			if im.Params() != m.Analysis.Params {
				t.Errorf("params %d after the round trip, %d before", im.Params(), m.Analysis.Params)
			}
			back, err := im.Build(b)
			if err != nil {
				t.Fatal(err)
			}
			shape := append([]int{2}, c.input...)
			x := autograd.Const(tensor.FromData(b, torchref.Normal(3, numel(shape), 1), shape...))
			want := m.Forward(&nn.Ctx{NoGrad: true}, x).Value.Data()
			got := back.Forward(&nn.Ctx{NoGrad: true}, x).Value.Data()
			for i := range want {
				if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
					t.Fatalf("logit %d: %g after the round trip, %g before", i, got[i], want[i])
				}
			}
		})
	}
}
