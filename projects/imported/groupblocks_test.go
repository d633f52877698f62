package imported

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/graph"
)

func TestGroupBlocksFindsResidualBlocksAndNamesThem(t *testing.T) {
	for id, want := range map[string]string{
		"conv2_block1_1_conv":            "conv2_block1",
		"conv5_block3_out":               "conv5_block3",
		"res4f_branch2c":                 "res4f",
		"layer1.layer1.0.conv1.Conv":     "layer1.layer1.0",
		"features.features.3.conv.0.0.C": "features.features.3",
		"conv1_conv":                     "",
		"fc":                             "",
		"layer4.1":                       "",
	} {
		if got := blockKey(id); got != want {
			t.Errorf("blockKey(%q) = %q, want %q", id, got, want)
		}
	}
	// A stem, then residual blocks (two convolutions and a shortcut that
	// an add merges, then an activation), then a head.
	g := graph.Graph{Nodes: []graph.Node{{ID: "input", Op: "input"}, {ID: "conv1", Inputs: []string{"input"}}}}
	prev := "conv1"
	for b := 0; b < 10; b++ {
		p := fmt.Sprintf("res%d%c_branch", 2+b/3, 'a'+b%3)
		g.Nodes = append(g.Nodes, graph.Node{ID: p + "2a", Inputs: []string{prev}}, graph.Node{ID: p + "2b", Inputs: []string{p + "2a"}},
			graph.Node{ID: fmt.Sprintf("add_%d", b), Inputs: []string{p + "2b", prev}}, graph.Node{ID: fmt.Sprintf("act_%d", b), Op: "relu", Inputs: []string{fmt.Sprintf("add_%d", b)}})
		prev = fmt.Sprintf("act_%d", b)
	}
	g.Nodes = append(g.Nodes, graph.Node{ID: "pool", Inputs: []string{prev}}, graph.Node{ID: "fc", Inputs: []string{"pool"}})
	GroupBlocks(&g)
	if len(g.Blocks) != 10 || g.Blocks[0].Name != "res2a" || g.Blocks[9].Name != "res5a" {
		t.Fatalf("blocks %+v", g.Blocks)
	}
	for _, n := range g.Nodes {
		inBlock := strings.HasPrefix(n.ID, "res") || strings.HasPrefix(n.ID, "add") || strings.HasPrefix(n.ID, "act")
		if (n.Block != "") != inBlock {
			t.Errorf("%s is in block %q", n.ID, n.Block)
		}
	}
	if g.Find("act_0").Block != "res2a" || g.Find("res2b_branch2a").Block != "res2b" {
		t.Errorf("a block does not end with its activation")
	}
	small := graph.Graph{Nodes: g.Nodes[:10]}
	small.Nodes = slices.Clone(small.Nodes)
	for i := range small.Nodes {
		small.Nodes[i].Block = ""
	}
	if GroupBlocks(&small); len(small.Blocks) != 0 {
		t.Fatalf("a small graph was grouped")
	}
}
