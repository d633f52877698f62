package nn

import (
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/graph"
)

// PyTorch parity of reflectpad2d (F.pad takes left, right, top, bottom).
func init() {
	moreLayerCases = append(moreLayerCases,
		one("reflectpad2d/asymmetric", "reflectpad2d", []int{3, 4, 5}, "out = F.pad(x, (2, 0, 1, 3), mode='reflect')", "top", 1, "bottom", 3, "left", 2),
		one("reflectpad2d/module", "reflectpad2d", []int{2, 6, 7}, "out = torch.nn.ReflectionPad2d(4)(x)", "top", 4, "bottom", 4, "left", 4, "right", 4),
		one("reflectpad2d/none", "reflectpad2d", []int{2, 3, 4}, "out = x"),
	)
}

// TestReflectPad2dRefusesASideAsWideAsTheMap: the analysis names the
// problem before anything runs.
func TestReflectPad2dRefusesASideAsWideAsTheMap(t *testing.T) {
	g := graph.Graph{Nodes: []graph.Node{node("x", "input", nil, "channels", 2, "height", 4, "width", 6),
		node("p", "reflectpad2d", []string{"x"}, "left", 6)}}
	a := Analyze(g, nil)
	if err := a.Err(); err == nil || !strings.Contains(err.Error(), "needs a map larger") {
		t.Fatalf("padding 6 columns of a 4×6 map: %v", err)
	}
	g.Nodes[1].Attrs["left"] = 5
	if err := Analyze(g, nil).Err(); err != nil {
		t.Fatal(err)
	}
	if out := Analyze(g, nil).Nodes["p"].Out; len(out) != 3 || out[2] != 11 {
		t.Fatalf("shape %v", out)
	}
}
