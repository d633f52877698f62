package inspection

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
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

// Model is a project's trained network as the inspection panes
// (Filters & Activations, Embeddings) use it: the graph, the input shape,
// the weights and the preprocessing it was trained with. Each job builds
// its own engine model from it (Net), so that jobs on goroutines never
// share one.
type Model struct {
	Graph   graph.Graph
	In      []int // C, H, W
	Weights map[string]train.Tensor
	Stats   *data.Stats
	// First is the model built to check the weights; the pane's own quick
	// work (activations of one image) uses it, one call at a time.
	First inspect.Net
	// sig identifies the project state this model was read from.
	sig string
}

// Signature changes when the architecture or the weights of p do:
// the weight tensors' names, sizes and storage.
func Signature(p *projects.Project) string {
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

// LoadModel reads p's trained network and checks that its weights
// fit the architecture.
func LoadModel(p *projects.Project) (*Model, error) {
	in, err := inputShape(p)
	if err != nil {
		return nil, err
	}
	m := &Model{Graph: p.Graph, In: in, sig: Signature(p)}
	m.Weights = p.Group(projects.GroupWeights)
	m.Stats, err = runs.Stats(p, in[0], in[1], in[2])
	if err != nil {
		return nil, err
	}
	m.First, err = m.Net()
	if err != nil {
		return nil, err
	}
	return m, nil
}

// Net builds an engine model with the trained weights.
func (m *Model) Net() (inspect.Net, error) {
	model, err := nn.Build(m.Graph, m.In, cpu.New(), 1, "default")
	if err != nil {
		return inspect.Net{}, fmt.Errorf("the network does not fit %d×%d×%d images: %v", m.In[0], m.In[1], m.In[2], err)
	}
	if loaded, skipped := train.LoadMatching(model, m.Weights); len(skipped) > 0 {
		return inspect.Net{}, fmt.Errorf("the saved weights do not fit the architecture (%d tensors loaded; missing or of another shape: %s)",
			len(loaded), strings.Join(skipped, ", "))
	}
	return inspect.Net{Model: model, Stats: m.Stats}, nil
}

// layersOf lists the network's layers in evaluation order with their
// output shapes.
func (m *Model) Layers() []Layer {
	var out []Layer
	for _, id := range m.First.Layers() {
		shape, err := m.First.Shape(id)
		if err != nil {
			continue
		}
		out = append(out, Layer{ID: id, Op: m.First.Model.Node(id).Op, Shape: shape})
	}
	return out
}

// Layer is a layer and its output shape ([C,H,W] or [F]).
type Layer struct {
	ID, Op string
	Shape  []int
}

// Spatial reports a layer with [C,H,W] maps.
func (l Layer) Spatial() bool { return len(l.Shape) == 3 }

// Title names a layer with its shape: "conv2 · 64×16×16".
func (l Layer) Title() string {
	parts := make([]string, len(l.Shape))
	for i, v := range l.Shape {
		parts[i] = fmt.Sprint(v)
	}
	return l.ID + " · " + strings.Join(parts, "×")
}

// PenultimateLayer is the input of the last fully connected layer (the
// features a classifier reads), else the layer before the output.
func (m *Model) PenultimateLayer() string {
	a := m.First.Model.Analysis
	for i := len(a.Order) - 1; i >= 0; i-- {
		if node := m.First.Model.Node(a.Order[i]); node.Op == "linear" && len(node.Inputs) == 1 {
			return node.Inputs[0]
		}
	}
	if len(a.Order) > 1 {
		return a.Order[len(a.Order)-2]
	}
	return a.Output
}

// FilterSnapshot is one saved set of weights to show filters of.
type FilterSnapshot struct {
	Label   string
	Weights map[string]projects.Tensor
}

// FilterSnapshots lists the weights a project holds, oldest first:
// every run's checkpoints in run order and by epoch, then the current
// weights when no checkpoint holds them. Checkpoints of one run at the
// same epoch hold the same weights and are shown once.
func FilterSnapshots(p *projects.Project) []FilterSnapshot {
	var out []FilterSnapshot
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
				out[k].Label += ", " + ck.Name
				continue
			}
			byEpoch[ck.Epoch] = len(out)
			out = append(out, FilterSnapshot{Label: fmt.Sprintf("%s · epoch %d · %s", runTitle(r), ck.Epoch, ck.Name), Weights: w})
		}
	}
	for _, s := range out {
		if sameTensors(s.Weights, current) {
			coversCurrent = true
		}
	}
	if !coversCurrent && len(current) > 0 {
		out = append(out, FilterSnapshot{Label: "current weights", Weights: current})
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

// Split returns the named split of ds ("test" or "train"), falling
// back to the other one when it is empty.
func Split(ds *data.Dataset, name string) *data.Set {
	if name == "train" && ds.Train != nil && ds.Train.Len() > 0 {
		return ds.Train
	}
	if ds.Test != nil && ds.Test.Len() > 0 {
		return ds.Test
	}
	return ds.Train
}

// CheckData reports whether the loaded dataset fits the network.
func (m *Model) CheckData(ds *data.Dataset) error {
	if ds == nil {
		return fmt.Errorf("no dataset is loaded")
	}
	s := Split(ds, "test")
	if s == nil || s.Len() == 0 {
		return fmt.Errorf("the dataset has no images")
	}
	if err := m.First.Check(s); err != nil {
		return fmt.Errorf("%v: load the dataset the model was trained on", err)
	}
	return nil
}

// ClassName is image i's class name.
func ClassName(s *data.Set, i int) string {
	c := int(s.Labels[i])
	if c >= 0 && c < len(s.Classes) {
		return s.Classes[c]
	}
	return strconv.Itoa(c)
}

// SplitKey maps a split chooser's text to Split's name.
func SplitKey(choice string) string {
	if choice == "Training" {
		return "train"
	}
	return "test"
}

// LayerChoices are the titles of the model's layers for a chooser, and the
// one to start with: the penultimate layer (the features a classifier
// reads), else the last.
func (m *Model) LayerChoices() (titles []string, def string) {
	pen := m.PenultimateLayer()
	for _, l := range m.Layers() {
		titles = append(titles, l.Title())
		if l.ID == pen {
			def = l.Title()
		}
	}
	if def == "" && len(titles) > 0 {
		def = titles[len(titles)-1]
	}
	return titles, def
}
