package inspect

import (
	"context"
	"fmt"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Net is a trained model with the preprocessing it was trained with: what
// every inspection method runs images through.
type Net struct {
	Model *nn.Model
	// Stats normalise images as in training (nil: pixels in [0, 1]).
	Stats *data.Stats
}

// Input returns the model's input shape ([C,H,W] or [F]).
func (n Net) Input() []int { return n.Model.Analysis.Nodes[n.Model.Analysis.Input].Out }

// Check reports whether s's images fit the model.
func (n Net) Check(s *data.Set) error {
	in := n.Input()
	switch {
	case len(in) == 3 && (in[0] != s.C || in[1] != s.H || in[2] != s.W):
		return fmt.Errorf("the model takes %dx%dx%d images but the dataset has %dx%dx%d", in[0], in[1], in[2], s.C, s.H, s.W)
	case len(in) == 1 && in[0] != s.Size():
		return fmt.Errorf("the model takes %d values but the dataset's images have %d", in[0], s.Size())
	}
	return nil
}

// Layers lists the model's nodes that can be inspected (all but the
// input), in evaluation order.
func (n Net) Layers() []string {
	var out []string
	for _, id := range n.Model.Analysis.Order {
		if id != n.Model.Analysis.Input {
			out = append(out, id)
		}
	}
	return out
}

// Shape returns a layer's output shape, or an error naming the layers.
func (n Net) Shape(layer string) ([]int, error) {
	info := n.Model.Analysis.Nodes[layer]
	if info == nil || info.Out == nil {
		return nil, fmt.Errorf("the model has no layer %q; its layers are %v", layer, n.Layers())
	}
	return info.Out, nil
}

// batch converts images idx of s to the model's input, normalised.
func (n Net) batch(s *data.Set, idx []int) *autograd.Var {
	d := s.Size()
	x := make([]float32, len(idx)*d)
	for j, i := range idx {
		for p, v := range s.Image(i) {
			x[j*d+p] = float32(v) / 255
		}
	}
	n.Stats.Apply(x, len(idx))
	shape := append([]int{len(idx)}, n.Input()...)
	return autograd.Const(tensor.FromData(n.Model.B, x, shape...))
}

// FeatureOptions tune [Net.Features].
type FeatureOptions struct {
	Batch int // images per forward pass (128)
	// Progress is called after each batch with images done and the total.
	Progress func(done, total int)
}

// Features runs the images idx of s (nil: all) through the model in
// evaluation mode up to layer and returns its outputs flattened, one row
// of D values per image (row-major, len(idx)×D).
func (n Net) Features(ctx context.Context, s *data.Set, idx []int, layer string, opt FeatureOptions) ([]float32, int, error) {
	shape, err := n.Shape(layer)
	if err != nil {
		return nil, 0, err
	}
	if err := n.Check(s); err != nil {
		return nil, 0, err
	}
	if idx == nil {
		idx = make([]int, s.Len())
		for i := range idx {
			idx[i] = i
		}
	}
	for _, i := range idx {
		if i < 0 || i >= s.Len() {
			return nil, 0, fmt.Errorf("image %d is outside the %d images of the split", i, s.Len())
		}
	}
	if opt.Batch <= 0 {
		opt.Batch = 128
	}
	d := 1
	for _, v := range shape {
		d *= v
	}
	out := make([]float32, len(idx)*d)
	for lo := 0; lo < len(idx); lo += opt.Batch {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		hi := min(lo+opt.Batch, len(idx))
		y := n.Model.Forward(&nn.Ctx{NoGrad: true, Stop: layer}, n.batch(s, idx[lo:hi]))
		copy(out[lo*d:hi*d], y.Value.Data())
		if opt.Progress != nil {
			opt.Progress(hi, len(idx))
		}
	}
	return out, d, nil
}

// Activation is one layer's output for one image.
type Activation struct {
	Layer, Op string
	Shape     []int // [C,H,W] or [F]
	Data      []float32
}

// Activations runs image i of s through the model and returns every
// layer's output (the input node's too, after preprocessing), in
// evaluation order.
func (n Net) Activations(s *data.Set, i int) ([]Activation, error) {
	if err := n.Check(s); err != nil {
		return nil, err
	}
	if i < 0 || i >= s.Len() {
		return nil, fmt.Errorf("image %d is outside the %d images of the split", i, s.Len())
	}
	var out []Activation
	n.Model.Forward(&nn.Ctx{NoGrad: true, Hook: func(id string, v *autograd.Var) *autograd.Var {
		out = append(out, Activation{Layer: id, Op: n.Model.Node(id).Op,
			Shape: append([]int(nil), n.Model.Analysis.Nodes[id].Out...), Data: v.Value.Data()})
		return nil
	}}, n.batch(s, []int{i}))
	return out, nil
}
