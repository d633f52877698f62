package app

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/inspect"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
)

// inspectModel is a project's trained network as the inspection panes
// (Filters & Activations, Embeddings) use it: the graph, the input shape,
// the weights and the preprocessing it was trained with. Each job builds
// its own engine model from it (net), so that jobs on goroutines never
// share one.
type inspectModel struct {
	graph   graph.Graph
	in      []int // C, H, W
	weights map[string]train.Tensor
	stats   *data.Stats
	// first is the model built to check the weights; the pane's own quick
	// work (activations of one image) uses it, one call at a time.
	first inspect.Net
	// sig identifies the project state this model was read from.
	sig string
}

// inspectSignature changes when the architecture or the weights of p do:
// the weight tensors' names, sizes and storage.
func inspectSignature(p *projects.Project) string {
	var b strings.Builder
	for _, n := range p.Graph.Nodes {
		fmt.Fprintf(&b, "%s %s %v %v;", n.ID, n.Op, n.Inputs, n.Attrs)
	}
	w := p.Group(projects.GroupWeights)
	names := make([]string, 0, len(w))
	for k := range w {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		t := w[k]
		fmt.Fprintf(&b, "%s %v %p;", k, t.Shape, firstElem(t.Data))
	}
	fmt.Fprintf(&b, "pre %s %v", p.Preprocess.Mode, p.Dataset)
	return b.String()
}

func firstElem(v []float32) *float32 {
	if len(v) == 0 {
		return nil
	}
	return &v[0]
}

// inputShape is the shape the project's network takes: the dataset's as
// last loaded, else the graph's input node's.
func inputShape(p *projects.Project) ([]int, error) {
	if d := p.Dataset; d.C > 0 && d.H > 0 && d.W > 0 {
		return []int{d.C, d.H, d.W}, nil
	}
	for _, n := range p.Graph.Nodes {
		if n.Op == "input" {
			c, h, w := int(n.Attrs["channels"]), int(n.Attrs["height"]), int(n.Attrs["width"])
			if c > 0 && h > 0 && w > 0 {
				return []int{c, h, w}, nil
			}
		}
	}
	return nil, fmt.Errorf("the project does not say what size its images are: load its dataset in the Data pane")
}

// loadInspectModel reads p's trained network and checks that its weights
// fit the architecture.
func loadInspectModel(p *projects.Project) (*inspectModel, error) {
	in, err := inputShape(p)
	if err != nil {
		return nil, err
	}
	m := &inspectModel{graph: p.Graph, in: in, sig: inspectSignature(p)}
	m.weights = p.Group(projects.GroupWeights)
	m.stats, err = runs.Stats(p, in[0], in[1], in[2])
	if err != nil {
		return nil, err
	}
	m.first, err = m.net()
	if err != nil {
		return nil, err
	}
	return m, nil
}

// net builds an engine model with the trained weights.
func (m *inspectModel) net() (inspect.Net, error) {
	model, err := nn.Build(m.graph, m.in, cpu.New(), 1, "default")
	if err != nil {
		return inspect.Net{}, fmt.Errorf("the network does not fit %d×%d×%d images: %v", m.in[0], m.in[1], m.in[2], err)
	}
	if loaded, skipped := train.LoadMatching(model, m.weights); len(skipped) > 0 {
		return inspect.Net{}, fmt.Errorf("the saved weights do not fit the architecture (%d tensors loaded; missing or of another shape: %s)",
			len(loaded), strings.Join(skipped, ", "))
	}
	return inspect.Net{Model: model, Stats: m.stats}, nil
}

// layersOf lists the network's layers in evaluation order with their
// output shapes.
func (m *inspectModel) layers() []inspectLayer {
	var out []inspectLayer
	for _, id := range m.first.Layers() {
		shape, err := m.first.Shape(id)
		if err != nil {
			continue
		}
		out = append(out, inspectLayer{id: id, op: m.first.Model.Node(id).Op, shape: shape})
	}
	return out
}

// inspectLayer is a layer and its output shape ([C,H,W] or [F]).
type inspectLayer struct {
	id, op string
	shape  []int
}

func (l inspectLayer) spatial() bool { return len(l.shape) == 3 }

// title names a layer with its shape: "conv2 · 64×16×16".
func (l inspectLayer) title() string {
	parts := make([]string, len(l.shape))
	for i, v := range l.shape {
		parts[i] = fmt.Sprint(v)
	}
	return l.id + " · " + strings.Join(parts, "×")
}

// penultimateLayer is the input of the last fully connected layer (the
// features a classifier reads), else the layer before the output.
func (m *inspectModel) penultimateLayer() string {
	a := m.first.Model.Analysis
	for i := len(a.Order) - 1; i >= 0; i-- {
		if node := m.first.Model.Node(a.Order[i]); node.Op == "linear" && len(node.Inputs) == 1 {
			return node.Inputs[0]
		}
	}
	if len(a.Order) > 1 {
		return a.Order[len(a.Order)-2]
	}
	return a.Output
}

// filterSnapshot is one saved set of weights to show filters of.
type filterSnapshot struct {
	label   string
	weights map[string]projects.Tensor
}

// projectFilterSnapshots lists the weights a project holds, oldest first:
// every run's checkpoints in run order and by epoch, then the current
// weights when no checkpoint holds them. Checkpoints of one run at the
// same epoch hold the same weights and are shown once.
func projectFilterSnapshots(p *projects.Project) []filterSnapshot {
	var out []filterSnapshot
	current := p.Group(projects.GroupWeights)
	coversCurrent := false
	for ri, r := range p.Runs {
		cks := slices.Clone(r.Checkpoints)
		sort.SliceStable(cks, func(i, j int) bool { return cks[i].Epoch < cks[j].Epoch })
		byEpoch := map[int]int{} // epoch -> index in out
		for _, ck := range cks {
			w := p.Group(ck.Group + "/weights")
			if len(w) == 0 && ck.Name == train.KindLast && ri == len(p.Runs)-1 {
				// The newest run's last checkpoint keeps its weights in
				// the project's current weights.
				w, coversCurrent = current, true
			}
			if len(w) == 0 {
				continue
			}
			if k, dup := byEpoch[ck.Epoch]; dup {
				out[k].label += ", " + ck.Name
				continue
			}
			byEpoch[ck.Epoch] = len(out)
			out = append(out, filterSnapshot{label: fmt.Sprintf("%s · epoch %d · %s", runTitle(r), ck.Epoch, ck.Name), weights: w})
		}
	}
	for _, s := range out {
		if sameTensors(s.weights, current) {
			coversCurrent = true
		}
	}
	if !coversCurrent && len(current) > 0 {
		out = append(out, filterSnapshot{label: "current weights", weights: current})
	}
	return out
}

func runTitle(r projects.Run) string {
	if r.Name != "" {
		return r.Name
	}
	return "run " + r.ID
}

// sameTensors reports whether a and b hold the same storage.
func sameTensors(a, b map[string]projects.Tensor) bool {
	if len(a) != len(b) {
		return false
	}
	for k, t := range a {
		u, ok := b[k]
		if !ok || len(t.Data) != len(u.Data) || firstElem(t.Data) != firstElem(u.Data) {
			return false
		}
	}
	return true
}

// inspectSplit returns the named split of ds ("test" or "train"), falling
// back to the other one when it is empty.
func inspectSplit(ds *data.Dataset, name string) *data.Set {
	if name == "train" && ds.Train != nil && ds.Train.Len() > 0 {
		return ds.Train
	}
	if ds.Test != nil && ds.Test.Len() > 0 {
		return ds.Test
	}
	return ds.Train
}

// checkData reports whether the loaded dataset fits the network.
func (m *inspectModel) checkData(ds *data.Dataset) error {
	if ds == nil {
		return fmt.Errorf("no dataset is loaded")
	}
	s := inspectSplit(ds, "test")
	if s == nil || s.Len() == 0 {
		return fmt.Errorf("the dataset has no images")
	}
	if err := m.first.Check(s); err != nil {
		return fmt.Errorf("%v: load the dataset the model was trained on", err)
	}
	return nil
}

// loadInspectData loads the project's dataset for an inspection pane on
// job's goroutine and shares it with every pane.
func loadInspectData(s *State, job *jobBar, failed func(error)) {
	spec := datasetSpec(s)
	opt := loadOptions(s, spec, 0)
	var ds *data.Dataset
	job.start("Loading "+datasetTitle(spec)+"…", func(ctx context.Context, progress report) error {
		opt.Progress = func(done, total int) { progress(done, total, "") }
		var err error
		ds, err = data.Load(ctx, spec, opt)
		return err
	}, func(err error) {
		switch {
		case cancelled(err):
		case err != nil:
			failed(err)
		default:
			setProjectDataset(s, spec, ds, 0)
		}
	})
}
