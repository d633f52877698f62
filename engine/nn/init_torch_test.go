package nn

import (
	"fmt"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
)

// initScaleCases checks the initialisers' scales against torch.nn.init's
// fan computation (fan_in = in_channels/groups·kh·kw, fan_out =
// out_channels·kh·kw): the sample standard deviation of each weight must
// match the formula's. The cases run in TestTorchParityLayers's Python
// process; check compares.
func initScaleCases(t *testing.T) (cases []torchref.Case, check func(t *testing.T, res map[string]*torchref.Result)) {
	g := graph.Graph{Nodes: []graph.Node{
		node("x", "input", nil, "channels", 16, "height", 8, "width", 8),
		node("conv", "conv2d", []string{"x"}, "out", 64, "kernel", 5, "pad", 2),
		node("dw", "conv2d", []string{"conv"}, "out", 64, "kernel", 3, "pad", 1, "groups", 16),
		node("flat", "flatten", []string{"dw"}),
		node("fc", "linear", []string{"flat"}, "out", 300),
	}}
	inits := map[Init]string{
		"he":     "math.sqrt(2.0 / fan_in)",
		"xavier": "math.sqrt(2.0 / (fan_in + fan_out))",
		// kaiming_uniform_(a=√5): uniform ±1/√fan_in, std 1/√(3·fan_in).
		"default": "1 / math.sqrt(3.0 * fan_in)",
	}
	models := map[string]*Model{}
	for init, std := range inits {
		m, err := Build(g, nil, cpu.New(), 1, init)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range m.Params {
			if p.V.Value.Dim() < 2 {
				continue
			}
			name := fmt.Sprintf("%s %s", init, p.Name)
			models[name] = m
			cases = append(cases, torchref.Case{Name: name, Inputs: []torchref.Input{{Name: "w", Shape: p.V.Shape(), Data: make([]float32, p.V.Value.Len())}},
				Code: "fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(w)\nout = torch.tensor([" + std + "])"})
		}
	}
	return cases, func(t *testing.T, res map[string]*torchref.Result) {
		for _, c := range cases {
			r := res[c.Name]
			if r == nil {
				continue
			}
			want := r.Out.Data[0]
			var p *Param
			for _, q := range models[c.Name].Params {
				if c.Name[len(c.Name)-len(q.Name):] == q.Name {
					p = q
				}
			}
			v := p.V.Value.Data()
			var ss float64
			for _, x := range v {
				ss += float64(x) * float64(x)
			}
			got := math.Sqrt(ss / float64(len(v)))
			// The sample std of n normals is within 4/sqrt(2n) of the true one.
			if tolerance := 4 / math.Sqrt(2*float64(len(v))); math.Abs(got/want-1) > tolerance {
				t.Errorf("%s: std %.4g, torch.nn.init's formula gives %.4g (%d values)", c.Name, got, want, len(v))
			}
		}
	}
}
