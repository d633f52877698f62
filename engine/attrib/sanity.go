package attrib

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Spearman is the rank correlation of a and b (ties get their mean rank).
func Spearman(a, b []float32) float64 {
	if len(a) != len(b) || len(a) < 2 {
		return math.NaN()
	}
	ra, rb := ranks(a), ranks(b)
	var ma, mb float64
	for i := range ra {
		ma += ra[i]
		mb += rb[i]
	}
	ma /= float64(len(ra))
	mb /= float64(len(rb))
	var sab, saa, sbb float64
	for i := range ra {
		da, db := ra[i]-ma, rb[i]-mb
		sab += da * db
		saa += da * da
		sbb += db * db
	}
	if saa == 0 || sbb == 0 {
		return 0
	}
	return sab / math.Sqrt(saa*sbb)
}

func ranks(v []float32) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return v[idx[i]] < v[idx[j]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		mean := float64(i+j)/2 + 1
		for k := i; k <= j; k++ {
			r[idx[k]] = mean
		}
		i = j + 1
	}
	return r
}

// MeanSpearman is the mean rank correlation of paired maps.
func MeanSpearman(a, b []Map) float64 {
	var s float64
	for i := range a {
		s += Spearman(a[i].V, b[i].V)
	}
	return s / float64(max(len(a), 1))
}

// MapFunc computes one map per image with a net (any method above).
type MapFunc func(n Net) ([]Map, error)

// SanityStep is one stage of cascading randomisation: the layers
// re-initialised so far (from the top), the maps, and their mean rank
// correlation with the trained model's maps.
type SanityStep struct {
	Layer       string // the layer re-initialised at this step ("" for the trained model)
	Correlation float64
	Maps        []Map
}

// CascadingRandomisation is the model-parameter randomisation test of
// Adebayo et al. (2018): it re-initialises the layers that have weights
// one at a time from the output towards the input, keeping earlier ones
// random, and recomputes the maps after each. A map that explains the
// model decorrelates; one that only shows edges of the image does not.
// The model's weights are restored before it returns.
func CascadingRandomisation(ctx context.Context, n Net, seed uint64, maps MapFunc, progress Progress) ([]SanityStep, error) {
	m := n.Model
	saved := map[string][]float32{}
	for name, t := range m.State() {
		saved[name] = t.Data()
	}
	defer func() {
		for name, t := range m.State() {
			t.Set(saved[name])
		}
	}()
	fresh, err := nn.Build(m.Graph, n.Input(), m.B, seed, "default")
	if err != nil {
		return nil, err
	}
	freshState := fresh.State()
	var layers []string
	seen := map[string]bool{}
	for i := len(m.Params) - 1; i >= 0; i-- {
		if node := m.Params[i].Node; !seen[node] {
			seen[node] = true
			layers = append(layers, node)
		}
	}
	base, err := maps(n)
	if err != nil {
		return nil, err
	}
	steps := []SanityStep{{Correlation: 1, Maps: base}}
	state := m.State()
	for k, layer := range layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, p := range m.Params {
			if p.Node == layer {
				state[p.Name].Set(freshState[p.Name].Data())
			}
		}
		got, err := maps(n)
		if err != nil {
			return nil, err
		}
		steps = append(steps, SanityStep{Layer: layer, Correlation: MeanSpearman(base, got), Maps: got})
		progress.report(k+1, len(layers))
	}
	return steps, nil
}

// CloneNet copies a net's model (same graph, backend, weights).
func CloneNet(n Net) (Net, error) {
	m, err := nn.Build(n.Model.Graph, n.Input(), n.Model.B, 1, "default")
	if err != nil {
		return Net{}, err
	}
	src := map[string]*tensor.Tensor{}
	for k, t := range n.Model.State() {
		src[k] = t
	}
	if err := m.LoadState(src); err != nil {
		return Net{}, fmt.Errorf("copying the model: %v", err)
	}
	return Net{Model: m, Stats: n.Stats}, nil
}

// LabelRandomisation is the data randomisation test of Adebayo et al.
// (2018): the mean rank correlation between the maps of a model trained on
// the true labels and those of the same architecture trained on randomly
// permuted labels. A map that explains what the model learned from the
// labels differs between the two (low correlation).
func LabelRandomisation(trained, shuffled Net, maps MapFunc) (float64, error) {
	a, err := maps(trained)
	if err != nil {
		return 0, err
	}
	b, err := maps(shuffled)
	if err != nil {
		return 0, err
	}
	if len(a) != len(b) {
		return 0, fmt.Errorf("%d maps from the trained model, %d from the shuffled one", len(a), len(b))
	}
	return MeanSpearman(a, b), nil
}
