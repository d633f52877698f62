package imported

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/projects"
)

// Project returns a new project holding m. The model must have passed
// (*interop.Model).Check.
func Project(m *interop.Model) (*projects.Project, error) {
	if len(m.Input) != 3 {
		return nil, fmt.Errorf("imported models need an image input C,H,W; this one takes %v", m.Input)
	}
	name := m.Name
	if name == "" {
		name = "Imported " + m.Format + " model"
	}
	p := projects.New(name)
	p.Graph = m.Graph
	GroupBlocks(&p.Graph)
	p.Dataset = projects.DatasetRef{C: m.Input[0], H: m.Input[1], W: m.Input[2], Classes: append([]string(nil), m.Classes...)}
	p.Hyper = projects.Hyper{Optimizer: "sgd", LR: 1e-3, Momentum: 0.9, Schedule: "constant", Batch: 32, Epochs: 1, Seed: 1}
	ws := make(map[string]projects.Tensor, len(m.Weights))
	for k, t := range m.Weights {
		ws[k] = projects.Tensor{Shape: append([]int(nil), t.Shape...), Data: t.Data}
	}
	p.SetGroup(projects.GroupWeights, ws)
	pp := m.Preprocess
	p.Preprocess = projects.Preprocess{Mode: projects.PreprocessNone, Resize: pp.Resize, Source: pp.Source}
	if len(pp.Mean) > 0 {
		c := m.Input[0]
		if len(pp.Mean) != c || len(pp.Std) != c {
			return nil, fmt.Errorf("preprocessing has %d means and %d standard deviations for %d channels", len(pp.Mean), len(pp.Std), c)
		}
		p.Preprocess.Mode = projects.PreprocessChannelMeanStd
		p.Tensors[projects.TensorPreprocessMean] = projects.Tensor{Shape: []int{c}, Data: append([]float32(nil), pp.Mean...)}
		p.Tensors[projects.TensorPreprocessStd] = projects.Tensor{Shape: []int{c}, Data: append([]float32(nil), pp.Std...)}
	}
	return p, nil
}
