package train

import (
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
)

func TestSpeedrunLR(t *testing.T) {
	// np.interp(step, [0, int(0.2*T), T], [0.2, 1, 0]) with T = 100.
	for _, c := range []struct {
		step int
		want float64
	}{{0, 0.2}, {10, 0.6}, {20, 1}, {60, 0.5}, {99, 1.0 / 80}, {100, 0}} {
		if g := SpeedrunLR(c.step, 100); math.Abs(g-c.want) > 1e-12 {
			t.Errorf("SpeedrunLR(%d, 100) = %g, want %g", c.step, g, c.want)
		}
	}
}

// TestLookahead follows PyTorch's lerp_ semantics: slow += (1-decay)(net-slow),
// then net = slow.
func TestLookahead(t *testing.T) {
	g := graph.Graph{Nodes: []graph.Node{{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 1}},
		{ID: "fc", Op: "linear", Inputs: []string{"input"}, Attrs: map[string]float64{"out": 2, "bias": 0}}}}
	m, err := nn.Build(g, []int{1}, cpu.New(), 1, "default")
	if err != nil {
		t.Fatal(err)
	}
	v := m.Params[0].V
	v.Value.Set([]float32{1, 2})
	l := NewLookahead(m)
	v.Value.Set([]float32{3, 6})
	l.Update(0.75)
	if g := v.Value.Data(); g[0] != 1.5 || g[1] != 3 {
		t.Errorf("after decay 0.75: %v, want [1.5 3]", g)
	}
	v.Value.Set([]float32{10, 10})
	l.Update(1)
	if g := v.Value.Data(); g[0] != 1.5 || g[1] != 3 {
		t.Errorf("decay 1 must reset to the slow weights: %v", g)
	}
	l.Free()
}
