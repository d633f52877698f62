package style

import "github.com/workbench-cv/workbench/engine/attrib"

// ReLULayers picks k ReLU outputs with spatial maps spread evenly over the
// first frac of the network, from the first (the default layers of the
// pane: four over the first half for style and texture, one at half depth
// for DeepDream and inversion). Fewer come back when the network has fewer.
func ReLULayers(n attrib.Net, k int, frac float64) []string {
	var relus []string
	a := n.Model.Analysis
	for _, id := range a.Order {
		if info := a.Nodes[id]; info != nil && len(info.Out) == 3 && info.Out[1] > 1 && n.Model.Node(id).Op == "relu" {
			relus = append(relus, id)
		}
	}
	if len(relus) == 0 || k <= 0 {
		return nil
	}
	last := max(0, int(frac*float64(len(relus)))-1)
	var out []string
	for i := range k {
		j := last
		if k > 1 {
			j = last * i / (k - 1)
		}
		if len(out) == 0 || out[len(out)-1] != relus[j] {
			out = append(out, relus[j])
		}
	}
	return out
}
