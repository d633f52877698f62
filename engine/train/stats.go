package train

import (
	"math"
	"strings"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Histogram counts values in equal bins over [Lo, Hi].
type Histogram struct {
	Lo, Hi float64
	Counts []int
}

// HistogramBins is the number of bins of the activation histograms.
const HistogramBins = 30

func histogram(v []float32, bins int) Histogram {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		lo, hi = math.Min(lo, f), math.Max(hi, f)
	}
	h := Histogram{Counts: make([]int, bins)}
	if lo > hi {
		return h
	}
	if hi == lo {
		hi = lo + 1
	}
	h.Lo, h.Hi = lo, hi
	w := (hi - lo) / float64(bins)
	for _, x := range v {
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		i := min(int((f-lo)/w), bins-1)
		h.Counts[i]++
	}
	return h
}

// LayerStats describe one layer at one iteration: the forward activations,
// the gradients flowing back into them and, for layers with weights, the
// size of the update relative to the weights (about 1e-3 is healthy).
type LayerStats struct {
	Node, Op string
	// Activations: mean, standard deviation, the fraction exactly zero
	// (dead ReLUs) and the fraction saturated (tanh |x| > 0.99, sigmoid
	// outside (0.01, 0.99)), and a histogram.
	Mean, Std, Zero, Saturated float64
	// Dead is the fraction of units (channels of an image-shaped output,
	// features of a flat one) that are zero for every example and position
	// of the batch: dead ReLUs, which no gradient revives. Zero alone is
	// about one half in a healthy ReLU layer.
	Dead float64
	Hist Histogram
	// GradMean and GradStd describe the loss gradient with respect to the
	// activations.
	GradMean, GradStd float64
	// HasWeight is set for layers with a weight; then WeightStd is the
	// weights' standard deviation, WeightGradStd their gradient's, and
	// UpdateRatio is |Δw| / |w| for this step.
	HasWeight                             bool
	WeightStd, WeightGradStd, UpdateRatio float64
}

func meanStd(v []float32) (float64, float64) {
	if len(v) == 0 {
		return 0, 0
	}
	var s, ss float64
	for _, x := range v {
		s += float64(x)
		ss += float64(x) * float64(x)
	}
	n := float64(len(v))
	m := s / n
	return m, math.Sqrt(math.Max(ss/n-m*m, 0))
}

// layerProbe gathers LayerStats during one iteration.
type layerProbe struct {
	m      *nn.Model
	params []*nn.Param
	stats  map[string]*LayerStats
	order  []string
	before map[string][]float32
}

func newLayerProbe(m *nn.Model, params []*nn.Param) *layerProbe {
	return &layerProbe{m: m, params: params, stats: map[string]*LayerStats{}, before: map[string][]float32{}}
}

func (p *layerProbe) hook(id string, out *autograd.Var) *autograd.Var {
	n := p.m.Node(id)
	if n == nil || n.Op == "input" || n.Op == "flatten" {
		return nil
	}
	v := out.Value.Data()
	s := &LayerStats{Node: id, Op: n.Op, Hist: histogram(v, HistogramBins)}
	s.Mean, s.Std = meanStd(v)
	zero, sat := 0, 0
	for _, x := range v {
		if x == 0 {
			zero++
		}
		switch n.Op {
		case "tanh":
			if x > 0.99 || x < -0.99 {
				sat++
			}
		case "sigmoid":
			if x > 0.99 || x < 0.01 {
				sat++
			}
		}
	}
	if len(v) > 0 {
		s.Zero = float64(zero) / float64(len(v))
		s.Saturated = float64(sat) / float64(len(v))
	}
	s.Dead = deadUnits(v, out.Value.Shape)
	p.stats[id] = s
	p.order = append(p.order, id)
	if out.RequiresGrad() {
		out.OnGrad(func(g *tensor.Tensor) *tensor.Tensor {
			s.GradMean, s.GradStd = meanStd(g.Data())
			return nil
		})
	}
	return nil
}

// deadUnits is the fraction of units of an [N, C, ...] output that are
// zero everywhere in the batch (axis 1 are the units).
func deadUnits(v []float32, shape []int) float64 {
	if len(shape) < 2 || len(v) == 0 {
		return 0
	}
	n, c := shape[0], shape[1]
	inner := len(v) / max(n*c, 1)
	if n*c*inner != len(v) || c == 0 {
		return 0
	}
	alive := make([]bool, c)
	for i := range n {
		for j := range c {
			if alive[j] {
				continue
			}
			for _, x := range v[(i*c+j)*inner : (i*c+j+1)*inner] {
				if x != 0 {
					alive[j] = true
					break
				}
			}
		}
	}
	dead := 0
	for _, a := range alive {
		if !a {
			dead++
		}
	}
	return float64(dead) / float64(c)
}

func isWeight(p *nn.Param) bool { return strings.HasSuffix(p.Name, ".weight") }

// beforeStep records the weights before the optimizer moves them.
func (p *layerProbe) beforeStep() {
	for _, q := range p.params {
		if isWeight(q) {
			p.before[q.Name] = q.V.Value.Data()
		}
	}
}

func (p *layerProbe) finish() []LayerStats {
	for _, q := range p.params {
		w0, ok := p.before[q.Name]
		s := p.stats[q.Node]
		if !ok || s == nil {
			continue
		}
		w1 := q.V.Value.Data()
		var dn, wn float64
		for i := range w1 {
			d := float64(w1[i]) - float64(w0[i])
			dn += d * d
			wn += float64(w0[i]) * float64(w0[i])
		}
		s.HasWeight = true
		_, s.WeightStd = meanStd(w0)
		if q.V.Grad != nil {
			_, s.WeightGradStd = meanStd(q.V.Grad.Data())
		}
		if wn > 0 {
			s.UpdateRatio = math.Sqrt(dn) / math.Sqrt(wn)
		}
	}
	out := make([]LayerStats, 0, len(p.order))
	for _, id := range p.order {
		out = append(out, *p.stats[id])
	}
	return out
}
