package architecture

import (
	"fmt"
	"slices"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/widgets/graphedit"
)

// blockKind is a ready-made block of the palette.
type blockKind struct {
	id, label, doc, prefix string
	insert                 func(g *graph.Graph, after, prefix string) (string, error)
}

var blockKinds = []blockKind{
	{"residual", "Residual block (basic)",
		"ResNet-18/34's block: 3×3 conv, BatchNorm, ReLU, 3×3 conv, BatchNorm, added to the block's input, ReLU.", "res",
		func(g *graph.Graph, after, p string) (string, error) { return residual(g, after, p, false) }},
	{"bottleneck", "Residual block (bottleneck)",
		"ResNet-50's block: 1×1 conv to a quarter of the channels, 3×3 conv, 1×1 conv back, each with BatchNorm, added to the input, ReLU.", "bottleneck",
		func(g *graph.Graph, after, p string) (string, error) { return residual(g, after, p, true) }},
	{"se", "Squeeze-and-excitation",
		"Hu et al. 2018: global average pool, fully connected C/16, ReLU, fully connected C, sigmoid, scaling the input's channels.", "se",
		func(g *graph.Graph, after, p string) (string, error) { return models.SEBlock(g, after, 16, p) }},
	{"se-mobilenet_v3", "Squeeze-and-excitation (MobileNet v3)",
		"MobileNet v3's block: average pool, 1×1 conv to a quarter of the channels (a multiple of 8), ReLU, 1×1 conv back, hard-sigmoid, scaling the input's channels.", "se",
		func(g *graph.Graph, after, p string) (string, error) {
			return models.MobileSEBlock(g, after, "mobilenet_v3", p)
		}},
	{"se-efficientnet", "Squeeze-and-excitation (EfficientNet)",
		"EfficientNet's block: average pool, 1×1 conv to a quarter of the channels, SiLU, 1×1 conv back, sigmoid, scaling the input's channels.", "se",
		func(g *graph.Graph, after, p string) (string, error) {
			return models.MobileSEBlock(g, after, "efficientnet", p)
		}},
	{"inception-naive", "Inception module (naive)",
		"The course's naive module: 1×1 conv 128, 3×3 conv 192, 5×5 conv 96 and a 3×3 max-pool side by side, concatenated.", "inception",
		func(g *graph.Graph, after, p string) (string, error) {
			return models.Inception(g, after, p, models.CourseNaive)
		}},
	{"inception-reduced", "Inception module (1×1 reductions)",
		"The course's module with 64-filter 1×1 convolutions before the 3×3 and 5×5 and after the pool: the same depth of output for a third of the multiply-adds.", "inception",
		func(g *graph.Graph, after, p string) (string, error) {
			return models.Inception(g, after, p, models.CourseReduced)
		}},
}

func blockKindByID(id string) (blockKind, bool) {
	i := slices.IndexFunc(blockKinds, func(b blockKind) bool { return b.id == id })
	if i < 0 {
		return blockKind{}, false
	}
	return blockKinds[i], true
}

// insertBlock inserts a ready-made block after node after as one undoable
// step, makes room for it by moving what follows down, and selects it.
func insertBlock(ed *graphedit.Editor, kind blockKind, after string) error {
	if after == "" {
		return fmt.Errorf("select the layer to insert the %s after", kind.label)
	}
	g := fromEditor(ed.Graph())
	src := g.Find(after)
	if src == nil {
		return fmt.Errorf("no layer %q", after)
	}
	taken := map[string]bool{}
	for _, n := range g.Nodes {
		taken[n.ID] = true
		taken[n.Block] = true
	}
	prefix := ""
	for i := 1; ; i++ {
		prefix = fmt.Sprintf("%s%d", kind.prefix, i)
		clash := taken[prefix]
		for id := range taken {
			if len(id) > len(prefix) && id[:len(prefix)+1] == prefix+"." {
				clash = true
			}
		}
		if !clash {
			break
		}
	}
	old := map[string]bool{}
	for _, n := range g.Nodes {
		old[n.ID] = true
	}
	down := downstreamOf(g, after)
	ay := src.Y
	if _, err := kind.insert(&g, after, prefix); err != nil {
		return err
	}
	var added []string
	maxY := ay
	for _, n := range g.Nodes {
		if !old[n.ID] {
			added = append(added, n.ID)
			maxY = max(maxY, n.Y)
		}
	}
	for i := range g.Nodes {
		if down[g.Nodes[i].ID] && g.Nodes[i].Y > ay {
			g.Nodes[i].Y += maxY - ay
		}
	}
	err := ed.Edit("Insert "+kind.label, func(eg *graphedit.Graph) error {
		*eg = toEditor(g)
		return nil
	})
	if err == nil {
		ed.Select(added...)
	}
	return err
}

// downstreamOf returns the nodes that depend on id (not id itself).
func downstreamOf(g graph.Graph, id string) map[string]bool {
	down := map[string]bool{}
	frontier := []string{id}
	for len(frontier) > 0 {
		cur := frontier[0]
		frontier = frontier[1:]
		for _, n := range g.Nodes {
			if !down[n.ID] && slices.Contains(n.Inputs, cur) {
				down[n.ID] = true
				frontier = append(frontier, n.ID)
			}
		}
	}
	return down
}

// residual inserts a residual block named p after node after, keeping its
// C×H×W shape (an identity shortcut), and returns the block's output.
func residual(g *graph.Graph, after, p string, bottleneck bool) (string, error) {
	a := nn.Analyze(*g, nil)
	info := a.Nodes[after]
	if info == nil || info.Out == nil {
		return "", fmt.Errorf("%s has no known output shape: fix its errors first", after)
	}
	if len(info.Out) != 3 {
		return "", fmt.Errorf("a residual block needs a C×H×W volume, and %s gives %s", after, ShapeText(info.Out))
	}
	c := info.Out[0]
	src := g.Find(after)
	x, y := src.X, src.Y
	var nodes []graph.Node
	prev := after
	add := func(id, op string, attrs map[string]float64, in ...string) string {
		y += graphedit.RowSpacing
		nodes = append(nodes, graph.Node{ID: p + "." + id, Op: op, Attrs: attrs, Inputs: in, X: x, Y: y, Block: p})
		return p + "." + id
	}
	conv := func(id string, out, k int, in string) string {
		return add(id, "conv2d", map[string]float64{"out": float64(out), "kernel": float64(k), "stride": 1, "pad": float64(k / 2), "bias": 0}, in)
	}
	bn := func(id, in string) string { return add(id, "batchnorm2d", nil, in) }
	relu := func(id, in string) string { return add(id, "relu", nil, in) }
	if bottleneck {
		w := max(1, c/4)
		prev = relu("relu1", bn("bn1", conv("conv1", w, 1, prev)))
		prev = relu("relu2", bn("bn2", conv("conv2", w, 3, prev)))
		prev = bn("bn3", conv("conv3", c, 1, prev))
	} else {
		prev = relu("relu1", bn("bn1", conv("conv1", c, 3, prev)))
		prev = bn("bn2", conv("conv2", c, 3, prev))
	}
	sum := add("add", "add", nil, prev, after)
	out := relu("relu", sum)
	for i := range g.Nodes {
		for j, in := range g.Nodes[i].Inputs {
			if in == after {
				g.Nodes[i].Inputs[j] = out
			}
		}
	}
	at := slices.IndexFunc(g.Nodes, func(n graph.Node) bool { return n.ID == after }) + 1
	g.Nodes = slices.Insert(g.Nodes, at, nodes...)
	g.Blocks = append(g.Blocks, graph.Block{Name: p})
	return out, nil
}
