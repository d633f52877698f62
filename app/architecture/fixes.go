package architecture

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/widgets/graphedit"
)

// quickFix is a one-click repair of a problem.
type quickFix struct {
	label string
	apply func(ed *graphedit.Editor) error
}

// fixFor returns the quick fix for a problem of node id, or nil when none
// is obvious.
func fixFor(r *result, ed *graphedit.Editor, p problem) *quickFix {
	msg := p.msg
	id := p.id
	if id == "" {
		if strings.Contains(msg, "no input node") {
			return &quickFix{label: "Add an input", apply: func(ed *graphedit.Editor) error { return addInput(ed, r.dataset) }}
		}
		return nil
	}
	n, ok := ed.Node(id)
	if !ok {
		return nil
	}
	info := r.an.Nodes[id]
	setAttrs := func(label string, kv map[string]float64) *quickFix { return setAttrsFix(id, label, kv) }
	switch {
	case strings.Contains(msg, "dataset's images are") && len(r.dataset) == 3:
		d := r.dataset
		if info != nil && len(info.Out) == 1 {
			return setAttrs("Set the input to "+ShapeText([]int{d[0] * d[1] * d[2]}),
				map[string]float64{"channels": float64(d[0] * d[1] * d[2]), "height": 0, "width": 0})
		}
		return setAttrs("Set the input to "+ShapeText(d),
			map[string]float64{"channels": float64(d[0]), "height": float64(d[1]), "width": float64(d[2])})

	case strings.Contains(msg, "needs a 1-D input") && len(n.Inputs) == 1:
		return &quickFix{label: "Insert a Flatten before " + id, apply: func(ed *graphedit.Editor) error {
			_, err := ed.Splice(graphedit.Node{Op: "flatten"}, n.Inputs[0], id)
			return err
		}}

	case strings.Contains(msg, "channel mismatch at a residual add") && info != nil:
		return projectionFix(r, ed, id)

	case strings.Contains(msg, "input(s), has 0"):
		src := nearestAbove(ed, r, id)
		if src == "" {
			return nil
		}
		return &quickFix{label: "Connect " + src + " → " + id, apply: func(ed *graphedit.Editor) error { return ed.Connect(src, id) }}

	case strings.Contains(msg, "is not used"), strings.Contains(msg, "two inputs"),
		strings.Contains(msg, "is larger than its"):
		return &quickFix{label: "Delete " + id, apply: func(ed *graphedit.Editor) error { ed.Delete(id); return nil }}

	case strings.Contains(msg, "part of a cycle"):
		cyc := map[string]bool{}
		for _, q := range r.problems {
			if strings.Contains(q.msg, "part of a cycle") {
				cyc[q.id] = true
			}
		}
		for _, in := range slices.Backward(n.Inputs) {
			if cyc[in] {
				return &quickFix{label: "Disconnect " + in + " → " + id, apply: func(ed *graphedit.Editor) error {
					ed.Disconnect(in, id)
					return nil
				}}
			}
		}

	case strings.Contains(msg, "does not exist"):
		return &quickFix{label: "Remove the missing input", apply: func(ed *graphedit.Editor) error {
			return ed.Edit("Remove missing inputs of "+id, func(g *graphedit.Graph) error {
				m := g.Find(id)
				m.Inputs = slices.DeleteFunc(m.Inputs, func(s string) bool { return g.Find(s) == nil })
				return nil
			})
		}}

	case strings.Contains(msg, "does not fit the") && n.Op == "conv2d":
		k, d := attrOf(n, "kernel"), attrOf(n, "dilation")
		pad := math.Ceil(d * (k - 1) / 2)
		if pad > attrOf(n, "pad") {
			return setAttrs(fmt.Sprintf("Set padding to %g", pad), map[string]float64{"pad": pad})
		}

	case (strings.Contains(msg, "groups") || strings.Contains(msg, "pieces")) && strings.Contains(msg, "must divide") && info != nil && len(info.In) == 1:
		key := "groups"
		if n.Op == "maxout" {
			key = "pieces"
		}
		c := info.In[0][0]
		cur := int(attrOf(n, key))
		for v := min(cur, c); v >= 1; v-- {
			if c%v == 0 && (n.Op != "conv2d" || int(attrOf(n, "out"))%v == 0) {
				return setAttrs(fmt.Sprintf("Set %s to %d", key, v), map[string]float64{key: float64(v)})
			}
		}

	case strings.Contains(msg, "has no attribute"), strings.Contains(msg, "is outside ["), strings.Contains(msg, "must be a whole number"):
		return attributeFix(n, id, msg)
	}
	return nil
}

// setAttrsFix sets attributes of node id.
func setAttrsFix(id, label string, kv map[string]float64) *quickFix {
	return &quickFix{label: label, apply: func(ed *graphedit.Editor) error {
		return ed.Edit(label, func(g *graphedit.Graph) error {
			m := g.Find(id)
			if m.Attrs == nil {
				m.Attrs = map[string]float64{}
			}
			for k, v := range kv {
				m.Attrs[k] = v
			}
			return nil
		})
	}}
}

// attributeFix removes the attributes a layer does not have, or brings
// its values into their ranges.
func attributeFix(n graphedit.Node, id, msg string) *quickFix {
	switch {
	case strings.Contains(msg, "has no attribute"):
		o, ok := nn.Lookup(n.Op)
		if !ok {
			return nil
		}
		return &quickFix{label: "Remove the unknown attributes", apply: func(ed *graphedit.Editor) error {
			return ed.Edit("Remove unknown attributes of "+id, func(g *graphedit.Graph) error {
				m := g.Find(id)
				for k := range m.Attrs {
					if !slices.ContainsFunc(o.Attrs, func(a nn.Attr) bool { return a.Name == k }) {
						delete(m.Attrs, k)
					}
				}
				return nil
			})
		}}

	case strings.Contains(msg, "is outside ["), strings.Contains(msg, "must be a whole number"):
		o, ok := nn.Lookup(n.Op)
		if !ok {
			return nil
		}
		kv := map[string]float64{}
		for _, a := range o.Attrs {
			v := attrOf(n, a.Name)
			w := math.Max(a.Min, math.Min(a.Max, v))
			if a.Int {
				w = math.Round(w)
			}
			if w != v {
				kv[a.Name] = w
			}
		}
		if len(kv) > 0 {
			return setAttrsFix(id, "Bring the values into range", kv)
		}
	}
	return nil
}

func attrOf(n graphedit.Node, name string) float64 {
	if v, ok := n.Attrs[name]; ok {
		return v
	}
	if o, ok := nn.Lookup(n.Op); ok {
		for _, a := range o.Attrs {
			if a.Name == name {
				return a.Default
			}
		}
	}
	return 0
}

// projectionFix puts a 1×1 convolution and a BatchNorm on each input of a
// residual add whose shape differs from the first input's (the shortcut of
// a block that changes channels or resolution), as ResNet's downsample
// branches do.
func projectionFix(r *result, ed *graphedit.Editor, id string) *quickFix {
	n, _ := ed.Node(id)
	info := r.an.Nodes[id]
	if len(info.In) < 2 || len(info.In[0]) != 3 {
		return nil
	}
	want := info.In[0]
	type proj struct {
		src    string
		stride int
	}
	var projs []proj
	for i, s := range info.In[1:] {
		if slices.Equal(s, want) {
			continue
		}
		if len(s) != 3 || s[1]%want[1] != 0 || s[2]%want[2] != 0 || s[1]/want[1] != s[2]/want[2] {
			return nil
		}
		projs = append(projs, proj{n.Inputs[i+1], s[1] / want[1]})
	}
	if len(projs) == 0 {
		return nil
	}
	label := "Project the shortcut with a 1×1 convolution"
	return &quickFix{label: label, apply: func(ed *graphedit.Editor) error {
		var added []string
		err := ed.Edit(label, func(g *graphedit.Graph) error {
			dst := g.Find(id)
			for _, p := range projs {
				src := g.Find(p.src)
				conv := graphedit.Node{ID: g.UniqueID(id + ".downsample.conv"), Op: "conv2d",
					Attrs:  map[string]float64{"out": float64(want[0]), "kernel": 1, "stride": float64(p.stride), "pad": 0, "bias": 0},
					Inputs: []string{p.src}, X: dst.X - 180, Y: (src.Y+dst.Y)/2 - graphedit.RowSpacing/2, Block: dst.Block}
				g.Nodes = append(g.Nodes, conv)
				bn := graphedit.Node{ID: g.UniqueID(id + ".downsample.bn"), Op: "batchnorm2d", Inputs: []string{conv.ID},
					X: conv.X, Y: conv.Y + graphedit.RowSpacing, Block: dst.Block}
				g.Nodes = append(g.Nodes, bn)
				dst = g.Find(id)
				for j, in := range dst.Inputs {
					if in == p.src && j > 0 {
						dst.Inputs[j] = bn.ID
					}
				}
				added = append(added, conv.ID, bn.ID)
			}
			return nil
		})
		if err == nil {
			ed.Select(added...)
		}
		return err
	}}
}

// nearestAbove returns the closest node above id whose output could feed
// it (one that does not depend on id), or "".
func nearestAbove(ed *graphedit.Editor, r *result, id string) string {
	g := ed.Graph()
	me := g.Find(id)
	// Nodes downstream of id would close a cycle.
	down := map[string]bool{id: true}
	for changed := true; changed; {
		changed = false
		for _, n := range g.Nodes {
			if down[n.ID] {
				continue
			}
			for _, in := range n.Inputs {
				if down[in] {
					down[n.ID] = true
					changed = true
					break
				}
			}
		}
	}
	best, bestD := "", math.Inf(1)
	for _, n := range g.Nodes {
		if down[n.ID] || n.Y >= me.Y {
			continue
		}
		if info := r.an.Nodes[n.ID]; info == nil || info.Out == nil {
			continue
		}
		dx, dy := float64(n.X-me.X), float64(n.Y-me.Y)
		if d := dx*dx + dy*dy; d < bestD {
			best, bestD = n.ID, d
		}
	}
	return best
}

// addInput adds an input node for the dataset's shape above the topmost
// node, feeding every node that has no input.
func addInput(ed *graphedit.Editor, dataset []int) error {
	c, h, w := 3.0, 32.0, 32.0
	if len(dataset) == 3 {
		c, h, w = float64(dataset[0]), float64(dataset[1]), float64(dataset[2])
	}
	return ed.Edit("Add an input", func(g *graphedit.Graph) error {
		top, x := float32(0), float32(0)
		for i, n := range g.Nodes {
			if i == 0 || n.Y < top {
				top, x = n.Y, n.X
			}
		}
		id := g.UniqueID("input")
		for i := range g.Nodes {
			if len(g.Nodes[i].Inputs) == 0 {
				g.Nodes[i].Inputs = []string{id}
			}
		}
		g.Nodes = append([]graphedit.Node{{ID: id, Op: "input", X: x, Y: top - graphedit.RowSpacing,
			Attrs: map[string]float64{"channels": c, "height": h, "width": w}}}, g.Nodes...)
		return nil
	})
}
