package graphedit

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
)

// clipFormat marks the editor's clipboard text, so that pasting other text
// does nothing.
const clipFormat = "workbench-graph/1"

type clipData struct {
	Format string  `json:"format"`
	Nodes  []Node  `json:"nodes"`
	Blocks []Block `json:"blocks,omitempty"`
}

func errNoConnection(src, dst string) error {
	return fmt.Errorf("there is no connection %s → %s", src, dst)
}

func (e *Editor) clipboard() fyne.Clipboard {
	if a := fyne.CurrentApp(); a != nil {
		return a.Clipboard()
	}
	return nil
}

// Copy puts the selected nodes (and their blocks) on the clipboard as
// JSON.
func (e *Editor) Copy() {
	sel := setOf(e.Selected())
	if len(sel) == 0 {
		return
	}
	d := clipData{Format: clipFormat}
	blocks := map[string]bool{}
	for _, n := range e.g.Nodes {
		if sel[n.ID] {
			d.Nodes = append(d.Nodes, n.clone())
			if n.Block != "" && !blocks[n.Block] {
				blocks[n.Block] = true
				if b := e.g.block(n.Block); b != nil {
					d.Blocks = append(d.Blocks, *b)
				}
			}
		}
	}
	buf, err := json.Marshal(d)
	if err != nil {
		return
	}
	e.clip = buf
	if c := e.clipboard(); c != nil {
		c.SetContent(string(buf))
	}
	e.message("Copied %s", plural(len(d.Nodes), "node"))
}

// Cut copies the selection and deletes it.
func (e *Editor) Cut() {
	sel := e.Selected()
	if len(sel) == 0 {
		return
	}
	e.Copy()
	e.Delete(sel...)
}

// Paste adds the nodes on the clipboard with fresh IDs (and fresh names
// for their blocks, so a copied block is reused as a new one). Connections
// among them are kept. With one node selected, the pasted nodes follow it:
// those that read a node outside the copy read the selected node, and
// when the copy has one output, what read the selected node reads that
// output. Otherwise they land beside the originals, unconnected to the
// rest.
func (e *Editor) Paste() {
	var d clipData
	text := ""
	if c := e.clipboard(); c != nil {
		text = c.Content()
	}
	if err := json.Unmarshal([]byte(text), &d); err != nil || d.Format != clipFormat {
		if len(e.clip) == 0 || json.Unmarshal(e.clip, &d) != nil {
			return
		}
	}
	if len(d.Nodes) == 0 {
		return
	}
	anchor := ""
	if sel := e.Selected(); len(sel) == 1 {
		anchor = sel[0]
	} else if b := e.SelectedBlock(); b != "" {
		anchor = blockExit(&e.g, b)
	}
	collapsed := slices.ContainsFunc(d.Blocks, func(b Block) bool { return b.Collapsed })
	var pasted []string
	err := e.Edit("Paste "+plural(len(d.Nodes), "node"), func(g *Graph) error {
		var err error
		pasted, err = pasteInto(g, e.style, d, anchor)
		if err == nil && anchor != "" && collapsed {
			// A collapsed block is one card: lay the graph out again so
			// that it sits right under the card it follows.
			e.layout(g)
		}
		return err
	})
	if err != nil {
		e.message("%v", err)
		return
	}
	e.Select(pasted...)
}

func pasteInto(g *Graph, style func(*Node) Style, d clipData, anchor string) ([]string, error) {
	taken := map[string]bool{}
	for _, n := range g.Nodes {
		taken[n.ID] = true
	}
	blockTaken := map[string]bool{}
	for _, b := range g.Blocks {
		blockTaken[b.Name] = true
		taken[b.Name] = true
	}
	// New block names first, so that node IDs can follow them
	// ("layer1.0.conv1" in block "layer1.0" becomes "layer1.2.conv1" in
	// "layer1.2").
	blockName := map[string]string{}
	for _, b := range d.Blocks {
		nb := uniqueName(b.Name, blockTaken)
		for taken[nb] {
			blockTaken[nb] = true
			nb = uniqueName(b.Name, blockTaken)
		}
		blockTaken[nb] = true
		blockName[b.Name] = nb
	}
	rename := map[string]string{}
	for _, n := range d.Nodes {
		base := n.ID
		if nb, ok := blockName[n.Block]; ok && strings.HasPrefix(n.ID, n.Block+".") {
			base = nb + n.ID[len(n.Block):]
		}
		id := uniqueName(base, taken)
		taken[id] = true
		rename[n.ID] = id
	}
	src := g.Find(anchor)
	if src != nil && style(src).NoOutput {
		src = nil
	}
	// Exits: pasted nodes no other pasted node reads.
	read := map[string]bool{}
	for _, n := range d.Nodes {
		for _, in := range n.Inputs {
			read[in] = true
		}
	}
	var exits []string
	minX, minY := float32(1e30), float32(1e30)
	for _, n := range d.Nodes {
		if !read[n.ID] {
			exits = append(exits, rename[n.ID])
		}
		minX, minY = min(minX, n.X), min(minY, n.Y)
	}
	var maxY float32
	var out []Node
	for _, n := range d.Nodes {
		n = n.clone()
		// Inputs from inside the copy follow it; the first from outside
		// becomes the anchor (others are dropped).
		var ins []string
		anchored := false
		for _, in := range n.Inputs {
			if r, ok := rename[in]; ok {
				ins = append(ins, r)
			} else if src != nil && !anchored {
				ins = append(ins, src.ID)
				anchored = true
			}
		}
		if src != nil && len(n.Inputs) == 0 && style(&n).MaxInputs != 0 {
			ins = []string{src.ID}
		}
		n.ID, n.Inputs = rename[n.ID], ins
		n.Block = blockName[n.Block]
		if src != nil {
			n.X = src.X + (n.X - minX)
			n.Y = src.Y + RowSpacing + (n.Y - minY)
		} else {
			n.X += 40
			n.Y += 40
		}
		maxY = max(maxY, n.Y)
		out = append(out, n)
	}
	if src != nil && len(exits) == 1 {
		// Make room, then hand the anchor's readers to the copy's output.
		shiftDown(g, src.ID, maxY-src.Y)
		for i := range g.Nodes {
			for j, in := range g.Nodes[i].Inputs {
				if in == src.ID {
					g.Nodes[i].Inputs[j] = exits[0]
				}
			}
		}
		at := slices.IndexFunc(g.Nodes, func(m Node) bool { return m.ID == src.ID }) + 1
		g.Nodes = slices.Insert(g.Nodes, at, out...)
	} else {
		g.Nodes = append(g.Nodes, out...)
	}
	for _, b := range d.Blocks {
		g.Blocks = append(g.Blocks, Block{Name: blockName[b.Name], Collapsed: b.Collapsed})
	}
	pruneBlocks(g)
	var ids []string
	for _, n := range out {
		ids = append(ids, n.ID)
	}
	return ids, nil
}

// blockExit is the member of block b whose output leaves it (read by a node
// outside), or its last member.
func blockExit(g *Graph, b string) string {
	exit, last := "", ""
	for _, n := range g.Nodes {
		if n.Block != b {
			continue
		}
		last = n.ID
		for _, m := range g.Nodes {
			if m.Block != b && slices.Contains(m.Inputs, n.ID) {
				exit = n.ID
			}
		}
	}
	if exit == "" {
		return last
	}
	return exit
}
