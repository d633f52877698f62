package graph

// Node is one layer (or the input) of an architecture.
type Node struct {
	// ID is unique within the graph; Inputs refer to it.
	ID string `json:"id"`
	// Op is the operation, e.g. "input", "conv2d", "relu", "maxpool2d",
	// "linear", "flatten", "add", "concat", "batchnorm2d", "softmax".
	Op string `json:"op"`
	// Name is a human label; empty means use ID.
	Name string `json:"name,omitempty"`
	// Inputs lists the IDs of the producers of this node's inputs, in order.
	Inputs []string `json:"inputs,omitempty"`
	// Attrs are the numeric hyper-parameters of the op, e.g. "out", "kernel",
	// "stride", "pad", "dilation", "groups", "bias" (0/1), "p", "alpha".
	Attrs map[string]float64 `json:"attrs,omitempty"`
	// X and Y place the node on the editor canvas.
	X float32 `json:"x"`
	Y float32 `json:"y"`
	// Block names the block (see Graph.Blocks) this node belongs to, if any.
	Block string `json:"block,omitempty"`
}

// Block is a named group of nodes (an Inception module, a residual block) that
// the editor can collapse, expand and reuse.
type Block struct {
	Name      string `json:"name"`
	Collapsed bool   `json:"collapsed,omitempty"`
}

// Graph is a whole architecture.
type Graph struct {
	Nodes  []Node  `json:"nodes"`
	Blocks []Block `json:"blocks,omitempty"`
}

// Attr returns the attribute k of n, or def when it is absent.
func (n *Node) Attr(k string, def float64) float64 {
	if v, ok := n.Attrs[k]; ok {
		return v
	}
	return def
}

// IntAttr is Attr rounded to an int.
func (n *Node) IntAttr(k string, def int) int {
	return int(n.Attr(k, float64(def)))
}

// Find returns the node with the given ID, or nil.
func (g *Graph) Find(id string) *Node {
	for i := range g.Nodes {
		if g.Nodes[i].ID == id {
			return &g.Nodes[i]
		}
	}
	return nil
}
