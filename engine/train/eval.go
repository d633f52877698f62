package train

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/augment"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// EvalOptions tune Evaluate.
type EvalOptions struct {
	// Batch is the evaluation batch size (256).
	Batch int
	// Stats normalise the images as in training (nil: pixels in [0,1]).
	Stats *data.Stats
	// Loss is the reported loss: LossSoftmax (cross-entropy, default) or
	// LossSVM. Ensembles and TTA always report the cross-entropy of the
	// averaged probabilities.
	Loss string
	// TTA averages the predictions over test-time views: the image, the
	// four corner crops of it padded by TTAPad pixels (default 2; negative
	// for none) and, with TTAFlips, their mirror images.
	TTA      bool
	TTAPad   int
	TTAFlips bool
	// Misclassified is how many misclassified images to keep, in set
	// order (default 64; negative for none); TopK the predictions kept
	// for each (3).
	Misclassified int
	TopK          int
}

// ClassProb is a class and its predicted probability.
type ClassProb struct {
	Class int
	Prob  float64
}

// Mistake is a misclassified image: its index in the set, its true label
// and the top predictions.
type Mistake struct {
	Index int
	Label int
	Top   []ClassProb
}

// EvalResult is a model's performance on a split.
type EvalResult struct {
	N         int
	Acc, Loss float64
	// Confusion[i][j] counts images of class i predicted as j.
	Confusion [][]int
	// PerClass is each class's accuracy (NaN for a class with no image).
	PerClass      []float64
	Misclassified []Mistake
}

// Evaluate runs m on every image of s in evaluation mode.
func Evaluate(ctx context.Context, m *nn.Model, s *data.Set, opt EvalOptions) (*EvalResult, error) {
	return EvaluateEnsemble(ctx, []*nn.Model{m}, s, opt)
}

// EvaluateEnsemble averages the class probabilities of several models
// (trained on the same classes and image size) and evaluates the average.
func EvaluateEnsemble(ctx context.Context, models []*nn.Model, s *data.Set, opt EvalOptions) (*EvalResult, error) {
	if len(models) == 0 {
		return nil, errors.New("no model to evaluate")
	}
	if s == nil || s.Len() == 0 {
		return nil, errors.New("the split to evaluate is empty")
	}
	for _, m := range models {
		if err := checkFits(m, s); err != nil {
			return nil, err
		}
	}
	if opt.Batch <= 0 {
		opt.Batch = 256
	}
	if opt.Misclassified == 0 {
		opt.Misclassified = 64
	}
	if opt.TopK <= 0 {
		opt.TopK = 3
	}
	if opt.TTAPad == 0 {
		opt.TTAPad = 2
	}
	if opt.Stats != nil {
		if err := opt.Stats.Validate(); err != nil {
			return nil, err
		}
	}
	k := len(s.Classes)
	views := 1
	if opt.TTA {
		views = len(augment.TTA(augment.Image{C: s.C, H: s.H, W: s.W, Pix: make([]float32, s.Size())}, max(opt.TTAPad, 0), opt.TTAFlips))
	}
	exact := len(models) == 1 && views == 1 // the loss can come from the logits directly
	r := &EvalResult{N: s.Len(), Confusion: make([][]int, k)}
	for i := range r.Confusion {
		r.Confusion[i] = make([]int, k)
	}
	var lossSum float64
	correct := 0
	d := s.Size()
	for lo := 0; lo < s.Len(); lo += opt.Batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := min(lo+opt.Batch, s.Len())
		n := hi - lo
		x := make([]float32, n*views*d)
		for j := range n {
			im := x[j*views*d : (j*views+1)*d]
			for p, v := range s.Image(lo + j) {
				im[p] = float32(v) / 255
			}
			if views > 1 {
				vs := augment.TTA(augment.Image{C: s.C, H: s.H, W: s.W, Pix: im}, max(opt.TTAPad, 0), opt.TTAFlips)
				for vi, v := range vs {
					copy(x[(j*views+vi)*d:(j*views+vi+1)*d], v.Image.Pix)
				}
			}
		}
		opt.Stats.Apply(x, n*views)
		probs := make([]float64, n*k)
		labels := s.Labels[lo:hi]
		for _, m := range models {
			scores := forwardEval(m, x, n*views, s)
			for j := range n {
				for v := range views {
					row := scores[(j*views+v)*k : (j*views+v+1)*k]
					lp := logSoftmax(row)
					if exact {
						if opt.Loss == LossSVM {
							lossSum += hinge(row, int(labels[j]))
						} else {
							lossSum -= lp[labels[j]]
						}
					}
					for c := range k {
						probs[j*k+c] += math.Exp(lp[c])
					}
				}
			}
		}
		norm := float64(len(models) * views)
		for j := range n {
			p := probs[j*k : (j+1)*k]
			for c := range p {
				p[c] /= norm
			}
			if !exact {
				lossSum -= math.Log(math.Max(p[labels[j]], 1e-30))
			}
			pred := 0
			for c := 1; c < k; c++ {
				if p[c] > p[pred] {
					pred = c
				}
			}
			if math.IsNaN(p[pred]) {
				pred = -1
			}
			y := int(labels[j])
			if pred >= 0 {
				r.Confusion[y][pred]++
			}
			if pred == y {
				correct++
			} else if opt.Misclassified > 0 && len(r.Misclassified) < opt.Misclassified {
				r.Misclassified = append(r.Misclassified, Mistake{Index: lo + j, Label: y, Top: topK(p, opt.TopK)})
			}
		}
	}
	r.Acc = float64(correct) / float64(s.Len())
	r.Loss = lossSum / float64(s.Len())
	r.PerClass = make([]float64, k)
	counts := s.ClassCounts()
	for c := range k {
		if counts[c] == 0 {
			r.PerClass[c] = math.NaN()
			continue
		}
		r.PerClass[c] = float64(r.Confusion[c][c]) / float64(counts[c])
	}
	return r, nil
}

// forwardEval runs m without gradients in evaluation mode on n images and
// returns the class scores [n, K].
func forwardEval(m *nn.Model, x []float32, n int, s *data.Set) []float32 {
	in := autograd.Const(tensor.FromData(m.B, x, inputShape(m, n, s.C, s.H, s.W)...))
	out := m.Forward(&nn.Ctx{NoGrad: true, Stop: logitsNode(m)}, in)
	return out.Value.Data()
}

// Predict returns the class probabilities [n, K] of n images (float32 CHW,
// already normalised) from m.
func Predict(m *nn.Model, x []float32, n int) ([]float64, error) {
	a := m.Analysis
	in := a.Nodes[a.Input].Out
	size := tensor.Numel(in)
	if len(x) != n*size {
		return nil, fmt.Errorf("%d values for %d images of %v", len(x), n, in)
	}
	shape := append([]int{n}, in...)
	out := m.Forward(&nn.Ctx{NoGrad: true, Stop: logitsNode(m)}, autograd.Const(tensor.FromData(m.B, x, shape...)))
	scores := out.Value.Data()
	k := len(scores) / max(n, 1)
	probs := make([]float64, len(scores))
	for j := range n {
		lp := logSoftmax(scores[j*k : (j+1)*k])
		for c, v := range lp {
			probs[j*k+c] = math.Exp(v)
		}
	}
	return probs, nil
}

func logSoftmax(row []float32) []float64 {
	mx := math.Inf(-1)
	for _, v := range row {
		mx = math.Max(mx, float64(v))
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(float64(v) - mx)
	}
	lse := mx + math.Log(sum)
	out := make([]float64, len(row))
	for i, v := range row {
		out[i] = float64(v) - lse
	}
	return out
}

func hinge(row []float32, y int) float64 {
	var l float64
	for j, v := range row {
		if j != y {
			l += math.Max(0, float64(v)-float64(row[y])+1)
		}
	}
	return l
}

func topK(p []float64, k int) []ClassProb {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	k = min(k, len(p))
	out := make([]ClassProb, k)
	for i := range k {
		out[i] = ClassProb{Class: idx[i], Prob: p[idx[i]]}
	}
	return out
}
