package nn

import (
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/graph"
)

// TestAnalyzeUnconnectedNodesReportInsteadOfPanicking guards the editor's
// everyday case: a layer just dropped on the canvas has no inputs yet (or a
// merge has one), and shape inference must say so on that node, not index
// inputs that are missing.
func TestAnalyzeUnconnectedNodesReportInsteadOfPanicking(t *testing.T) {
	for _, o := range Ops() {
		if o.Name == "input" {
			continue
		}
		for _, ins := range [][]string{nil, {"input"}, {"input", "input", "input"}} {
			if len(ins) >= o.MinIn && (o.MaxIn < 0 || len(ins) <= o.MaxIn) {
				continue
			}
			g := graph.Graph{Nodes: []graph.Node{
				{ID: "input", Op: "input", Attrs: map[string]float64{"channels": 4, "height": 8, "width": 8}},
				{ID: "x", Op: o.Name, Inputs: ins},
			}}
			a := Analyze(g, nil)
			if a.OK() || a.Errors[0].ID != "x" || !strings.Contains(a.Errors[0].Error(), "input(s)") {
				t.Errorf("%s with %d inputs: errors %v", o.Name, len(ins), a.Errors)
			}
			if info := a.Nodes["x"]; info == nil || info.Out != nil || info.Err == nil {
				t.Errorf("%s with %d inputs: node info %+v", o.Name, len(ins), info)
			}
		}
	}
}
