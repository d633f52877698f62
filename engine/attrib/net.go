package attrib

import (
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Net is a trained classifier with the preprocessing it was trained with.
type Net struct {
	Model *nn.Model
	// Stats normalise [0, 1] pixels as in training (nil: none).
	Stats *data.Stats
}

// Input is the model's input shape C,H,W.
func (n Net) Input() []int { return n.Model.Analysis.Nodes[n.Model.Analysis.Input].Out }

// size is the number of values of one image.
func (n Net) size() int { return tensor.Numel(n.Input()) }

// Progress is called after each step of a long method with the steps done
// and the total.
type Progress func(done, total int)

func (p Progress) report(done, total int) {
	if p != nil {
		p(done, total)
	}
}

// Target is what a gradient is taken of: the unnormalised score of Class
// (Layer empty), or the mean activation of channel Unit of Layer (a unit of
// any intermediate layer; Unit -1 takes the mean over the whole layer).
type Target struct {
	Class int
	Layer string
	Unit  int
}

// ClassTarget is the score of class k.
func ClassTarget(k int) Target { return Target{Class: k} }

// check validates t against the model.
func (n Net) check(t Target) error {
	if t.Layer == "" {
		k := n.Classes()
		if t.Class < 0 || t.Class >= k {
			return fmt.Errorf("class %d is outside the model's %d classes (0 to %d)", t.Class, k, k-1)
		}
		return nil
	}
	info := n.Model.Analysis.Nodes[t.Layer]
	if info == nil || info.Out == nil {
		return fmt.Errorf("the model has no layer %q", t.Layer)
	}
	if t.Unit >= info.Out[0] || t.Unit < -1 {
		return fmt.Errorf("layer %s has units 0 to %d, not %d", t.Layer, info.Out[0]-1, t.Unit)
	}
	return nil
}

// Classes is the number of outputs of the model.
func (n Net) Classes() int {
	out := n.Model.Analysis.Nodes[n.Model.Analysis.Output].Out
	return tensor.Numel(out)
}

// normalise returns the model input for pixels x (N images).
func (n Net) normalise(x []float32, N int) []float32 {
	y := append([]float32(nil), x...)
	n.Stats.Apply(y, N)
	return y
}

// pullback maps a gradient with respect to the model input back to pixels.
// Every preprocessing scheme is affine, y = A·x + b, with A symmetric
// (a diagonal scale, or U·S·Uᵀ for whitening), so Aᵀ·g = Apply(g) − Apply(0);
// pullbackAt divides per-channel scales out directly instead.
func (n Net) pullback(g []float32, N int) {
	if n.Stats == nil {
		return
	}
	d := n.size()
	for i := range N {
		pullbackAt(n.Stats, g[i*d:(i+1)*d])
	}
}

// Logits runs N images through the model in evaluation mode and returns
// the scores, N×K.
func (n Net) Logits(x []float32, N int) []float32 {
	xt := tensor.FromData(n.Model.B, n.normalise(x, N), append([]int{N}, n.Input()...)...)
	out := n.Model.Forward(&nn.Ctx{NoGrad: true}, autograd.Const(xt))
	return out.Value.Data()
}

// Predict returns the most probable class of each image.
func (n Net) Predict(x []float32, N int) []int {
	return Argmax(n.Logits(x, N), N)
}

// Argmax is the index of the largest of each of the N rows of v.
func Argmax(v []float32, N int) []int {
	k := len(v) / max(N, 1)
	out := make([]int, N)
	for i := range N {
		row := v[i*k : (i+1)*k]
		for j, s := range row {
			if s > row[out[i]] {
				out[i] = j
			}
		}
	}
	return out
}

// Softmax returns the probabilities of the N rows of logits.
func Softmax(v []float32, N int) []float32 {
	k := len(v) / max(N, 1)
	out := make([]float32, len(v))
	for i := range N {
		row := v[i*k : (i+1)*k]
		mx := row[0]
		for _, s := range row {
			mx = max(mx, s)
		}
		var sum float64
		for j, s := range row {
			e := math.Exp(float64(s - mx))
			out[i*k+j] = float32(e)
			sum += e
		}
		for j := range row {
			out[i*k+j] /= float32(sum)
		}
	}
	return out
}

// pass describes one forward and backward pass.
type pass struct {
	// guided clamps the gradient reaching every ReLU output at zero
	// (guided backpropagation).
	guided bool
	// retain is a layer whose activation and gradient are kept (Grad-CAM).
	retain string
	// seed returns the gradient of the objective with respect to the
	// output (N×outputs of the last layer run): the objective is
	// sum(seed · output). nil: targets.
	seed func(out []float32, shape []int) []float32
}

// result is what a pass returns.
type result struct {
	grad   []float32 // d objective / d pixels, N×C×H×W
	out    []float32 // the output of the last layer run
	act    []float32 // the retained layer's activation
	actG   []float32 // and its gradient
	actDim []int
}

// run does one pass on N images x. targets gives each image's objective
// when p.seed is nil (all must share Layer).
func (n Net) run(x []float32, N int, targets []Target, p pass) (*result, error) {
	if len(x) != N*n.size() {
		return nil, fmt.Errorf("%d values for %d images of %v", len(x), N, n.Input())
	}
	stop := ""
	if len(targets) > 0 {
		if len(targets) != N {
			return nil, fmt.Errorf("%d targets for %d images", len(targets), N)
		}
		for _, t := range targets {
			if err := n.check(t); err != nil {
				return nil, err
			}
			if t.Layer != targets[0].Layer {
				return nil, fmt.Errorf("targets of one batch must share a layer (%q and %q)", targets[0].Layer, t.Layer)
			}
		}
		stop = targets[0].Layer
	}
	if p.retain != "" {
		if info := n.Model.Analysis.Nodes[p.retain]; info == nil || info.Out == nil {
			return nil, fmt.Errorf("the model has no layer %q", p.retain)
		}
	}
	b := n.Model.B
	xv := autograd.Param(tensor.FromData(b, n.normalise(x, N), append([]int{N}, n.Input()...)...), "input")
	var kept *autograd.Var
	ctx := &nn.Ctx{NoGrad: true, Stop: stop, Hook: func(id string, out *autograd.Var) *autograd.Var {
		if p.guided && n.Model.Node(id).Op == "relu" {
			out.OnGrad(func(g *tensor.Tensor) *tensor.Tensor {
				d := g.Data()
				for i, v := range d {
					if v < 0 {
						d[i] = 0
					}
				}
				return tensor.FromData(g.B, d, g.Shape...)
			})
		}
		if id == p.retain {
			out.RetainGrad()
			kept = out
		}
		return nil
	}}
	out := n.Model.Forward(ctx, xv)
	defer autograd.Release(out)
	od := out.Value.Data()
	var seed []float32
	if p.seed != nil {
		seed = p.seed(od, out.Shape())
	} else {
		seed = targetSeed(out.Shape(), targets)
	}
	out.BackwardWith(tensor.FromData(b, seed, out.Shape()...))
	r := &result{out: od}
	if xv.Grad == nil {
		r.grad = make([]float32, len(x))
	} else {
		r.grad = xv.Grad.Data()
	}
	n.pullback(r.grad, N)
	if kept != nil {
		r.act = kept.Value.Data()
		r.actDim = append([]int(nil), kept.Shape()...)
		if kept.Grad != nil {
			r.actG = kept.Grad.Data()
		} else {
			r.actG = make([]float32, len(r.act))
		}
	}
	return r, nil
}

// targetSeed is the output gradient of sum over images of their target:
// a one-hot row for a class, 1/(H·W) over a channel for a unit.
func targetSeed(shape []int, targets []Target) []float32 {
	N := shape[0]
	per := tensor.Numel(shape[1:])
	seed := make([]float32, N*per)
	for i, t := range targets {
		row := seed[i*per : (i+1)*per]
		if t.Layer == "" {
			row[t.Class] = 1
			continue
		}
		if t.Unit < 0 {
			for j := range row {
				row[j] = 1 / float32(per)
			}
			continue
		}
		plane := per / shape[1]
		for j := range plane {
			row[t.Unit*plane+j] = 1 / float32(plane)
		}
	}
	return seed
}

// Gradient returns d target / d pixels for each of the N images x
// (N×C×H×W) and the model's outputs (N×K for class targets).
func (n Net) Gradient(x []float32, N int, targets []Target) (grad, out []float32, err error) {
	r, err := n.run(x, N, targets, pass{})
	if err != nil {
		return nil, nil, err
	}
	return r.grad, r.out, nil
}

// LossGradient returns the gradient with respect to the pixels of the
// summed cross-entropy of the N images against labels, and the logits.
func (n Net) LossGradient(x []float32, N int, labels []int) (grad, logits []float32, err error) {
	if len(labels) != N {
		return nil, nil, fmt.Errorf("%d labels for %d images", len(labels), N)
	}
	r, err := n.run(x, N, nil, pass{seed: func(out []float32, shape []int) []float32 {
		p := Softmax(out, N)
		k := len(out) / N
		for i, y := range labels {
			p[i*k+y]--
		}
		return p
	}})
	if err != nil {
		return nil, nil, err
	}
	return r.grad, r.out, nil
}
