package interop

import (
	"fmt"
	"sort"
	"strings"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Tensor is a dense float32 array, row-major.
type Tensor struct {
	Shape []int
	Data  []float32
}

// Resize modes: how an image of another size is brought to the input size.
const (
	// ResizeCrop scales the image to cover the input and keeps the centre
	// (torchvision's Resize + CenterCrop; what dataset loading does).
	ResizeCrop = "crop"
	// ResizeStretch scales width and height apart to the input size
	// (Keras' load_img(target_size=...)).
	ResizeStretch = "stretch"
)

// Preprocess is the normalisation the network expects, on RGB pixels in
// [0, 1]: x' = (x - Mean[c]) / Std[c]. Empty Mean means none.
type Preprocess struct {
	Mean, Std []float32
	// Resize is ResizeCrop or ResizeStretch ("" reads as crop).
	Resize string
	// Source says in words where the preprocessing comes from (e.g. Keras'
	// "caffe" mode and how it was mapped).
	Source string
}

// Model is an imported network.
type Model struct {
	// Name is the source model's name.
	Name string
	// Format is the source format ("tfjs", "onnx").
	Format string
	Graph  graph.Graph
	// Input is the per-example input shape [C, H, W].
	Input []int
	// Weights hold every tensor of nn.Model.State by name
	// ("<node>.weight", "<node>.running_mean", ...).
	Weights    map[string]Tensor
	Classes    []string
	Preprocess Preprocess
	// SourceParams counts the values of the source model's weights as the
	// source framework counts parameters (Keras includes batch-norm moving
	// statistics); SourceLayers counts its layers.
	SourceParams int64
	SourceLayers int
	// Notes are remarks on the mapping worth showing (a final softmax left
	// out so that the graph gives logits, folded channel orders).
	Notes []string
}

// UnsupportedError lists what an importer could not map. Ops are the
// source's own names (Keras class names, ONNX op types), sorted and
// unique; Details say per occurrence what is missing.
type UnsupportedError struct {
	Format  string
	Ops     []string
	Details []string
}

func (e *UnsupportedError) Error() string {
	msg := fmt.Sprintf("the %s model uses what Workbench cannot import yet: %s", e.Format, strings.Join(e.Ops, ", "))
	if len(e.Details) > 0 {
		d := e.Details
		more := ""
		if len(d) > 5 {
			more = fmt.Sprintf(" and %d more", len(d)-5)
			d = d[:5]
		}
		msg += " (" + strings.Join(d, "; ") + more + ")"
	}
	return msg + "; nothing was imported"
}

// Unsupported collects unsupported ops while an importer walks a model.
type Unsupported struct {
	ops     map[string]bool
	details []string
}

// Add records one unsupported occurrence of op, with a detail in words.
func (u *Unsupported) Add(op, detail string) {
	if u.ops == nil {
		u.ops = map[string]bool{}
	}
	u.ops[op] = true
	if detail != "" {
		u.details = append(u.details, detail)
	}
}

// Err returns the UnsupportedError, or nil when nothing was recorded.
func (u *Unsupported) Err(format string) error {
	if len(u.ops) == 0 {
		return nil
	}
	ops := make([]string, 0, len(u.ops))
	for o := range u.ops {
		ops = append(ops, o)
	}
	sort.Strings(ops)
	return &UnsupportedError{Format: format, Ops: ops, Details: u.details}
}

// Check builds the model on the CPU and loads its weights, so an importer
// can prove that what it made is complete and consistent before anyone
// uses it. It returns the built model.
func (m *Model) Check() (*nn.Model, error) {
	built, err := nn.Build(m.Graph, m.Input, cpu.New(), 1, "default")
	if err != nil {
		return nil, fmt.Errorf("the imported graph does not build: %v", err)
	}
	for k, t := range m.Weights {
		if tensor.Numel(t.Shape) != len(t.Data) {
			return nil, fmt.Errorf("imported weight %s has %d values for shape %v", k, len(t.Data), t.Shape)
		}
	}
	state := built.State()
	for name, dst := range state {
		t, ok := m.Weights[name]
		if !ok {
			return nil, fmt.Errorf("the import has no weights for %s", name)
		}
		if !tensor.SameShape(t.Shape, dst.Shape) {
			return nil, fmt.Errorf("imported weight %s has shape %v, the layer needs %v", name, t.Shape, dst.Shape)
		}
		dst.Set(t.Data)
	}
	for name := range m.Weights {
		if _, ok := state[name]; !ok {
			return nil, fmt.Errorf("imported weight %s belongs to no layer", name)
		}
	}
	return built, nil
}
