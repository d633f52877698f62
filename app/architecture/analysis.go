package architecture

import (
	"fmt"
	"slices"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/widgets/graphedit"
)

// problem is one thing wrong with the graph, on the node that causes it
// ("" for the graph as a whole).
type problem struct {
	id, msg, fix string
}

// result is what shape inference says about one version of the graph.
type result struct {
	g        graph.Graph
	an       *nn.Analysis
	sum      *models.Summary
	ann      map[string]graphedit.Annotation
	problems []problem
	// dataset is the dataset's input shape the graph was checked against
	// (nil when unknown).
	dataset []int
}

// ok reports whether the graph can be trained.
func (r *result) ok() bool { return len(r.problems) == 0 }

// problemsOf returns the problems of node id.
func (r *result) problemsOf(id string) []problem {
	var out []problem
	for _, p := range r.problems {
		if p.id == id {
			out = append(out, p)
		}
	}
	return out
}

// analyze runs shape inference and the summary on g, and checks its input
// against the dataset's shape (C,H,W; nil when unknown).
func analyze(g graph.Graph, dataset []int) (r *result) {
	r = &result{g: g, dataset: dataset, ann: map[string]graphedit.Annotation{}}
	defer func() {
		// A bug in a shape rule must not take the editor down with it: the
		// graph is shown as not trainable, with the reason.
		if e := recover(); e != nil {
			r = &result{g: g, dataset: dataset, ann: map[string]graphedit.Annotation{},
				an: &nn.Analysis{Nodes: map[string]*nn.NodeInfo{}}, sum: &models.Summary{},
				problems: []problem{{msg: fmt.Sprintf("Shape inference failed on this graph (%v).", e),
					fix: "Undo the last edit and report the problem."}}}
		}
	}()
	r.sum, _ = models.Summarize(g, nil)
	r.an = nn.Analyze(g, nil)
	for _, e := range r.an.Errors {
		msg, fix := splitFix(e.Err.Error())
		if e.Fix != "" {
			fix = e.Fix
		}
		r.problems = append(r.problems, problem{id: e.ID, msg: sentence(msg), fix: sentence(fix)})
	}
	if p, ok := inputMismatch(g, r.an, dataset); ok {
		r.problems = append(r.problems, p)
	}
	for id, info := range r.an.Nodes {
		a := graphedit.Annotation{Shape: ShapeText(info.Out)}
		if info.Params > 0 {
			a.Detail = compact(info.Params) + " params"
		}
		r.ann[id] = a
	}
	for _, p := range r.problems {
		a := r.ann[p.id]
		if a.Error == "" {
			a.Error, a.Fix = p.msg, p.fix
		} else {
			a.Error += " Also: " + p.msg
		}
		r.ann[p.id] = a
	}
	r.annotateBlocks()
	return r
}

// annotateBlocks gives each block's card its output shape (the member read
// from outside the block) and its parameters.
func (r *result) annotateBlocks() {
	members := map[string][]int{}
	for i, n := range r.g.Nodes {
		if n.Block != "" {
			members[n.Block] = append(members[n.Block], i)
		}
	}
	for _, b := range r.g.Blocks {
		ms := members[b.Name]
		if len(ms) == 0 {
			continue
		}
		var params int64
		exit := ms[len(ms)-1]
		for _, m := range ms {
			if info := r.an.Nodes[r.g.Nodes[m].ID]; info != nil {
				params += info.Params
			}
			for _, n := range r.g.Nodes {
				if n.Block != b.Name && slices.Contains(n.Inputs, r.g.Nodes[m].ID) {
					exit = m
				}
			}
		}
		a := graphedit.Annotation{Shape: r.ann[r.g.Nodes[exit].ID].Shape}
		if params > 0 {
			a.Detail = compact(params) + " params"
		}
		r.ann[b.Name] = a
	}
}

// inputMismatch reports an input node whose shape is not the dataset's.
func inputMismatch(g graph.Graph, a *nn.Analysis, dataset []int) (problem, bool) {
	if len(dataset) != 3 || a.Input == "" {
		return problem{}, false
	}
	info := a.Nodes[a.Input]
	if info == nil || info.Out == nil {
		return problem{}, false
	}
	want := dataset
	if len(info.Out) == 1 {
		want = []int{dataset[0] * dataset[1] * dataset[2]}
	}
	if slices.Equal(info.Out, want) {
		return problem{}, false
	}
	return problem{id: a.Input,
		msg: fmt.Sprintf("The dataset's images are %s but this input takes %s.", ShapeText(want), ShapeText(info.Out)),
		fix: fmt.Sprintf("Set the input to %s.", ShapeText(want))}, true
}

// fixVerbs start the quick-fix part of the engine's messages ("...: add a
// Flatten or check the previous layer").
var fixVerbs = []string{"add ", "move ", "remove ", "use ", "pad ", "check ", "connect ", "delete ", "give ", "pick ",
	"rename ", "choose ", "set ", "make ", "reconnect "}

// splitFix separates an engine message from the advice at its end.
func splitFix(msg string) (string, string) {
	i := strings.LastIndex(msg, ": ")
	if i < 0 {
		return msg, ""
	}
	tail := msg[i+2:]
	for _, v := range fixVerbs {
		if strings.HasPrefix(tail, v) {
			head := msg[:i]
			tail = strings.TrimSuffix(tail, ")")
			if strings.Count(head, "(") > strings.Count(head, ")") {
				head += ")"
			}
			return head, tail
		}
	}
	return msg, ""
}

// sentence capitalises s and ends it with a full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	s = strings.ToUpper(s[:1]) + s[1:]
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

// Problems lists what stops g from being trained on a dataset of the given
// image shape (C,H,W; nil when unknown), one line per problem ("conv2:
// message. Fix: advice."); it is empty when g can be trained. An empty
// graph has one problem.
func Problems(g graph.Graph, dataset []int) []string {
	if len(g.Nodes) == 0 {
		return []string{"The network has no layers: design one in the Architecture pane."}
	}
	r := analyze(g, dataset)
	var out []string
	for _, p := range r.problems {
		s := p.msg
		if p.id != "" {
			s = p.id + ": " + s
		}
		if p.fix != "" {
			s += " Fix: " + p.fix
		}
		out = append(out, s)
	}
	return out
}
