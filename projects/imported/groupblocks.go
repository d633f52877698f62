package imported

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
)

// minBlockGraph is the size from which an imported graph's layers are
// grouped into blocks: smaller graphs read well as they are.
const minBlockGraph = 40

// GroupBlocks groups a large imported graph's layers into blocks so that
// the Architecture pane can collapse each into one card: a 177-layer
// ResNet-50 becomes an overview of about twenty cards. A block is the
// stretch of layers between two layers that every path from the input to
// the output passes through (a residual block with its shortcut, an
// Inception module, a dense block), ending with the later of the two; a
// plain chain of layers forms none. Graphs that have blocks already, or
// are small, are left as they are.
func GroupBlocks(g *graph.Graph) {
	if len(g.Nodes) < minBlockGraph || len(g.Blocks) > 0 {
		return
	}
	order, ok := topoOrder(g)
	if !ok {
		return
	}
	pos := make(map[string]int, len(order))
	for i, k := range order {
		pos[g.Nodes[k].ID] = i
	}
	// spanned[i] > 0 when an edge jumps over position i.
	spanned := make([]int, len(order)+1)
	for _, n := range g.Nodes {
		b := pos[n.ID]
		for _, in := range n.Inputs {
			if a, ok := pos[in]; ok && b-a > 1 {
				spanned[a+1]++
				spanned[b]--
			}
		}
	}
	var blocks []graph.Block
	used := map[string]bool{}
	start, run := 0, 0
	for i := 0; i < len(order); i++ {
		run += spanned[i]
		if run > 0 {
			continue // inside a block
		}
		// order[i] is a cut: (start, i] is one layer, or a block.
		if i-start >= 2 {
			// The activation after a merge belongs to its block.
			for i+1 < len(order) && run+spanned[i+1] == 0 && isActivation(g.Nodes[order[i+1]], g.Nodes[order[i]].ID) {
				i++
			}
			members := order[start+1 : i+1]
			name := blockName(g, members, len(blocks)+1, used)
			blocks = append(blocks, graph.Block{Name: name})
			for _, k := range members {
				g.Nodes[k].Block = name
			}
		}
		start = i
	}
	if len(blocks) < 2 {
		for i := range g.Nodes {
			g.Nodes[i].Block = ""
		}
		return
	}
	g.Blocks = blocks
}

// isActivation reports whether n is an activation applied to the output
// of the node prev alone.
func isActivation(n graph.Node, prev string) bool {
	if len(n.Inputs) != 1 || n.Inputs[0] != prev {
		return false
	}
	for _, a := range []string{"relu", "elu", "sigmoid", "tanh", "swish", "silu", "gelu", "softplus"} {
		if strings.Contains(n.Op, a) {
			return true
		}
	}
	return false
}

// topoOrder returns the node indices in an order where inputs come first;
// false when the graph has a cycle.
func topoOrder(g *graph.Graph) ([]int, bool) {
	index := make(map[string]int, len(g.Nodes))
	for i, n := range g.Nodes {
		index[n.ID] = i
	}
	indeg := make([]int, len(g.Nodes))
	users := make([][]int, len(g.Nodes))
	for i, n := range g.Nodes {
		for _, in := range n.Inputs {
			if j, ok := index[in]; ok {
				indeg[i]++
				users[j] = append(users[j], i)
			}
		}
	}
	var order, queue []int
	for i := range g.Nodes {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		order = append(order, k)
		for _, u := range users[k] {
			if indeg[u]--; indeg[u] == 0 {
				queue = append(queue, u)
			}
		}
	}
	return order, len(order) == len(g.Nodes)
}

// Layer-name conventions that name a block: Keras' "conv2_block1_1_conv",
// keras-applications' older "res2a_branch2a", PyTorch module paths
// ("layer1.layer1.0.conv1.Conv", "features.features.3.conv…").
var (
	kerasBlock  = regexp.MustCompile(`^(.+?_block\d+)_`)
	kerasBranch = regexp.MustCompile(`^res(\d+[a-z]+)_branch`)
)

// blockKey names the block a layer belongs to from its name; "" when the
// name says nothing.
func blockKey(id string) string {
	if m := kerasBlock.FindStringSubmatch(id); m != nil {
		return m[1]
	}
	if m := kerasBranch.FindStringSubmatch(id); m != nil {
		return "res" + m[1]
	}
	parts := strings.Split(id, ".")
	for i, p := range parts {
		if i > 0 && i < len(parts)-1 && p != "" && strings.Trim(p, "0123456789") == "" {
			return strings.Join(parts[:i+1], ".")
		}
	}
	return ""
}

// blockName names a block after what its layers' names share, or "block
// N"; names are unique.
func blockName(g *graph.Graph, members []int, n int, used map[string]bool) string {
	name := ""
	for _, k := range members {
		if key := blockKey(g.Nodes[k].ID); key != "" {
			name = key
			break
		}
	}
	if name == "" || used[name] {
		name = fmt.Sprintf("block %d", n)
	}
	for used[name] {
		name += "'"
	}
	used[name] = true
	return name
}
