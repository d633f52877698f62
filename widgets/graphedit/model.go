package graphedit

import (
	"fmt"
	"image/color"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Node is one layer of the graph.
type Node struct {
	// ID is unique within the graph; Inputs refer to it.
	ID string `json:"id"`
	// Op names the operation ("conv2d", "relu"...); Style turns it into a
	// look and a number of inputs.
	Op string `json:"op"`
	// Name is an optional human label; the card shows ID when it is empty.
	Name string `json:"name,omitempty"`
	// Inputs are the IDs of the nodes this one reads, in order.
	Inputs []string `json:"inputs,omitempty"`
	// Attrs are the op's numeric hyper-parameters.
	Attrs map[string]float64 `json:"attrs,omitempty"`
	// X and Y are the centre of the node's card in canvas units.
	X float32 `json:"x"`
	Y float32 `json:"y"`
	// Block names the Block the node belongs to ("" for none).
	Block string `json:"block,omitempty"`
}

// Title is what the node's card is headed with.
func (n *Node) Title() string {
	if n.Name != "" {
		return n.Name
	}
	return n.ID
}

// clone returns a deep copy.
func (n Node) clone() Node {
	n.Inputs = slices.Clone(n.Inputs)
	n.Attrs = maps.Clone(n.Attrs)
	return n
}

func (n *Node) equal(m *Node) bool {
	return n.ID == m.ID && n.Op == m.Op && n.Name == m.Name && n.X == m.X && n.Y == m.Y &&
		n.Block == m.Block && slices.Equal(n.Inputs, m.Inputs) && maps.Equal(n.Attrs, m.Attrs)
}

// Block is a named group of nodes, drawn as a frame around them, or as one
// card when Collapsed.
type Block struct {
	Name      string `json:"name"`
	Collapsed bool   `json:"collapsed,omitempty"`
}

// Graph is what the editor edits.
type Graph struct {
	Nodes  []Node  `json:"nodes"`
	Blocks []Block `json:"blocks,omitempty"`
}

// Clone returns a deep copy of g.
func (g Graph) Clone() Graph {
	out := Graph{Nodes: make([]Node, len(g.Nodes)), Blocks: slices.Clone(g.Blocks)}
	for i, n := range g.Nodes {
		out.Nodes[i] = n.clone()
	}
	return out
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

// block returns the block with the given name, or nil.
func (g *Graph) block(name string) *Block {
	for i := range g.Blocks {
		if g.Blocks[i].Name == name {
			return &g.Blocks[i]
		}
	}
	return nil
}

// UniqueID returns base if no node has that ID, otherwise base followed by
// the smallest number that makes it unique ("conv" -> "conv1", "conv2"...;
// "conv1" -> "conv2").
func (g *Graph) UniqueID(base string) string {
	taken := make(map[string]bool, len(g.Nodes))
	for _, n := range g.Nodes {
		taken[n.ID] = true
	}
	return uniqueName(base, taken)
}

func uniqueName(base string, taken map[string]bool) string {
	if base == "" {
		base = "node"
	}
	if !taken[base] {
		return base
	}
	stem := strings.TrimRightFunc(base, func(r rune) bool { return r >= '0' && r <= '9' })
	start := 1
	if stem != base {
		if v, err := strconv.Atoi(base[len(stem):]); err == nil {
			start = v + 1
		}
	}
	if stem == "" {
		stem = base + "_"
	}
	for i := start; ; i++ {
		if c := fmt.Sprintf("%s%d", stem, i); !taken[c] {
			return c
		}
	}
}

// Annotation is what the app's analysis says about a node; the card shows
// it. Annotations are not part of the graph and are not undone.
type Annotation struct {
	// Shape is the output shape as text ("64×56×56").
	Shape string
	// Detail is a short second fact ("36.9k params").
	Detail string
	// Error is the problem this node causes, "" for none; Fix says how to
	// solve it when that is obvious.
	Error, Fix string
}

// Style is how an op looks and connects.
type Style struct {
	// Subtitle is the card's second line ("conv 3×3 /2 · 64").
	Subtitle string
	// Accent colours the card's stripe and ports.
	Accent color.Color
	// MinInputs and MaxInputs bound the inputs (MaxInputs < 0: any
	// number). A node with MaxInputs 0 has no input port.
	MinInputs, MaxInputs int
	// NoOutput hides the output port.
	NoOutput bool
}

// defaultStyle is used when the editor has no Style function: one input,
// one output.
func defaultStyle(n *Node) Style {
	return Style{Subtitle: n.Op, Accent: color.NRGBA{0x60, 0x7d, 0x8b, 0xff}, MinInputs: 1, MaxInputs: 1}
}
