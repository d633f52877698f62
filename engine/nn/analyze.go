package nn

import (
	"fmt"
	"sort"

	"github.com/workbench-cv/workbench/engine/graph"
)

// NodeInfo is what shape inference knows about one node.
type NodeInfo struct {
	ID     string
	Op     string
	In     [][]int
	Out    []int
	Params int64
	// Activations is the number of output values per example.
	Activations int64
	// MACs is the number of multiply-adds per example.
	MACs int64
	// RF is the receptive field (in input pixels) of one output unit, and
	// Jump the distance in input pixels between adjacent output units.
	// With rectangular windows they are the larger of the two axes, and
	// RFHW and JumpHW hold them per axis (height, width).
	RF, Jump     int
	RFHW, JumpHW [2]int
	Err          error
}

// NodeError is a problem attached to the node that causes it.
type NodeError struct {
	ID  string
	Err error
	// Fix is a suggested quick fix in words, when one is obvious.
	Fix string
}

func (e NodeError) Error() string { return fmt.Sprintf("node %s: %v", e.ID, e.Err) }

// Analysis is the result of shape inference over a whole graph.
type Analysis struct {
	Order  []string // topological order of the nodes that could be placed
	Nodes  map[string]*NodeInfo
	Input  string
	Output string
	Errors []NodeError
	// Totals per example.
	Params, MACs, Activations int64
}

// OK reports whether the graph can be built and trained.
func (a *Analysis) OK() bool { return len(a.Errors) == 0 }

// Err summarises the errors, or returns nil.
func (a *Analysis) Err() error {
	if a.OK() {
		return nil
	}
	e := a.Errors[0]
	if len(a.Errors) == 1 {
		return e
	}
	return fmt.Errorf("%v (and %d more problems)", e, len(a.Errors)-1)
}

// Analyze infers every node's shape, parameters, multiply-adds and receptive
// field, and attaches errors to the nodes that cause them. input, when not
// nil, overrides the input node's shape ([C,H,W] or [F]).
func Analyze(g graph.Graph, input []int) *Analysis {
	a := &Analysis{Nodes: map[string]*NodeInfo{}}
	fail := func(id string, fix string, format string, args ...any) {
		a.Errors = append(a.Errors, NodeError{ID: id, Err: fmt.Errorf(format, args...), Fix: fix})
	}
	byID := map[string]*graph.Node{}
	consumers := map[string]int{}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.ID == "" {
			fail(fmt.Sprintf("#%d", i), "give the node a name", "node %d has no id", i)
			continue
		}
		if _, dup := byID[n.ID]; dup {
			fail(n.ID, "rename one of them", "two nodes are called %q", n.ID)
			continue
		}
		byID[n.ID] = n
	}
	indeg := map[string]int{}
	for id, n := range byID {
		op, ok := ops[n.Op]
		if !ok {
			fail(id, "pick a layer from the palette", "unknown layer type %q", n.Op)
			continue
		}
		if err := op.check(n); err != nil {
			fail(id, "", "%v", err)
		}
		if len(n.Inputs) < op.MinIn || (op.MaxIn >= 0 && len(n.Inputs) > op.MaxIn) {
			want := fmt.Sprint(op.MinIn)
			if op.MaxIn < 0 {
				want = fmt.Sprintf("at least %d", op.MinIn)
			} else if op.MaxIn != op.MinIn {
				want = fmt.Sprintf("%d to %d", op.MinIn, op.MaxIn)
			}
			fail(id, "connect its input port", "%s needs %s input(s), has %d", n.Op, want, len(n.Inputs))
		}
		for _, in := range n.Inputs {
			if _, ok := byID[in]; !ok {
				fail(id, "reconnect the input", "input %q does not exist", in)
				continue
			}
			consumers[in]++
			indeg[id]++
		}
		if n.Op == "input" {
			if a.Input != "" {
				fail(id, "delete one input node", "the graph has two inputs (%s and %s); Workbench models take one image", a.Input, id)
			}
			a.Input = id
		}
	}
	if a.Input == "" {
		a.Errors = append(a.Errors, NodeError{ID: "", Err: fmt.Errorf("the graph has no input node"), Fix: "add an Input from the palette"})
	}
	// Kahn's algorithm, in ID order for determinism.
	var ready []string
	for id := range byID {
		if indeg[id] == 0 {
			ready = append(ready, id)
		}
	}
	sort.Strings(ready)
	out := map[string][]string{}
	for id, n := range byID {
		for _, in := range n.Inputs {
			out[in] = append(out[in], id)
		}
	}
	for k := range out {
		sort.Strings(out[k])
	}
	for len(ready) > 0 {
		id := ready[0]
		ready = ready[1:]
		a.Order = append(a.Order, id)
		for _, c := range out[id] {
			indeg[c]--
			if indeg[c] == 0 {
				ready = append(ready, c)
			}
		}
	}
	if len(a.Order) < len(byID) {
		placed := map[string]bool{}
		for _, id := range a.Order {
			placed[id] = true
		}
		var cyc []string
		for id := range byID {
			if !placed[id] {
				cyc = append(cyc, id)
			}
		}
		sort.Strings(cyc)
		for _, id := range cyc {
			fail(id, "remove one of the connections that loop back", "node is part of a cycle (%v)", cyc)
		}
	}
	var sinks []string
	for _, id := range a.Order {
		if consumers[id] == 0 && byID[id].Op != "input" {
			sinks = append(sinks, id)
		}
	}
	switch {
	case len(sinks) == 1:
		a.Output = sinks[0]
	case len(sinks) > 1:
		for _, s := range sinks[:len(sinks)-1] {
			fail(s, "connect it onward or delete it", "output of %s is not used: a model has one output", s)
		}
		a.Output = sinks[len(sinks)-1]
	}
	// Shapes in topological order.
	for _, id := range a.Order {
		n := byID[id]
		op, ok := ops[n.Op]
		info := &NodeInfo{ID: id, Op: n.Op, RF: 1, Jump: 1, RFHW: [2]int{1, 1}, JumpHW: [2]int{1, 1}}
		a.Nodes[id] = info
		if !ok {
			continue
		}
		bad := false
		for _, in := range n.Inputs {
			p := a.Nodes[in]
			if p == nil || p.Out == nil {
				bad = true
				break
			}
			info.In = append(info.In, p.Out)
			for i := range 2 {
				info.RFHW[i] = max(info.RFHW[i], p.RFHW[i])
			}
			if len(info.In) == 1 {
				info.JumpHW = p.JumpHW
			}
		}
		info.RF, info.Jump = max(info.RFHW[0], info.RFHW[1]), max(info.JumpHW[0], info.JumpHW[1])
		// A node with too few or too many inputs has its error already;
		// its shape rules would index inputs it does not have.
		if bad || len(n.Inputs) < op.MinIn || (op.MaxIn >= 0 && len(n.Inputs) > op.MaxIn) {
			continue
		}
		var s []int
		var err error
		if n.Op == "input" && input != nil {
			s = append([]int(nil), input...)
		} else {
			s, err = op.Infer(n, info.In)
		}
		if err != nil {
			info.Err = err
			fail(id, "", "%v", err)
			continue
		}
		info.Out = s
		info.Activations = numel(s)
		info.MACs = op.MACs(n, info.In, s)
		if op.Params != nil {
			for _, p := range op.Params(n, info.In) {
				info.Params += numel(p.Shape)
			}
		}
		switch {
		case op.WindowHW != nil:
			k, st, d := op.WindowHW(n)
			for i := range 2 {
				info.RFHW[i] += (k[i] - 1) * d[i] * info.JumpHW[i]
				info.JumpHW[i] *= st[i]
			}
		case op.Window != nil:
			k, st, d := op.Window(n)
			for i := range 2 {
				info.RFHW[i] += (k - 1) * d * info.JumpHW[i]
				info.JumpHW[i] *= st
			}
		}
		info.RF, info.Jump = max(info.RFHW[0], info.RFHW[1]), max(info.JumpHW[0], info.JumpHW[1])
		a.Params += info.Params
		a.MACs += info.MACs
		if n.Op != "input" {
			a.Activations += info.Activations
		}
	}
	for i := range a.Errors {
		if info := a.Nodes[a.Errors[i].ID]; info != nil && info.Err == nil {
			info.Err = a.Errors[i].Err
		}
	}
	return a
}
