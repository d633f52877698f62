package runs

import (
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/projects"
)

// NormOf maps a project's preprocessing mode to the data package's name
// for it ("" and "none" are data.NormNone).
func NormOf(mode string) (data.Norm, error) {
	switch mode {
	case "", projects.PreprocessNone:
		return data.NormNone, nil
	case projects.PreprocessChannelMeanStd:
		return data.NormChannelStd, nil
	}
	n, err := data.ParseNorm(mode)
	if err != nil {
		return data.NormNone, fmt.Errorf("the project's preprocessing %q is unknown: %v", mode, err)
	}
	return n, nil
}

// ModeOf is the project's name for a data.Norm.
func ModeOf(n data.Norm) string {
	switch n {
	case data.NormChannelStd:
		return projects.PreprocessChannelMeanStd
	case "":
		return projects.PreprocessNone
	}
	return string(n)
}

// StoreStats writes preprocessing statistics into p (nil: none), replacing
// whatever p held.
func StoreStats(p *projects.Project, st *data.Stats) {
	p.DeleteGroup(projects.GroupPreprocess)
	if st == nil {
		p.Preprocess = projects.Preprocess{Mode: projects.PreprocessNone}
		return
	}
	p.Preprocess = projects.Preprocess{Mode: ModeOf(st.Norm), Epsilon: float64(st.Epsilon), Components: len(st.Eigenvalues)}
	if p.Tensors == nil {
		p.Tensors = map[string]projects.Tensor{}
	}
	put := func(name string, v []float32, shape ...int) {
		if len(v) > 0 {
			p.Tensors[name] = projects.Tensor{Shape: shape, Data: append([]float32(nil), v...)}
		}
	}
	d := st.C * st.H * st.W
	switch st.Norm {
	case data.NormMeanImage:
		put(projects.TensorPreprocessMean, st.Mean, st.C, st.H, st.W)
	case data.NormChannelMean, data.NormChannelStd:
		put(projects.TensorPreprocessMean, st.Mean, st.C)
		put(projects.TensorPreprocessStd, st.Std, st.C)
	case data.NormPCAWhiten:
		k := len(st.Eigenvalues)
		put(projects.TensorPreprocessMean, st.Mean, d)
		put(projects.TensorPreprocessPCA, st.Components, k, d)
		scale := make([]float32, k)
		for i, l := range st.Eigenvalues {
			scale[i] = float32(1 / math.Sqrt(float64(l+st.Epsilon)))
		}
		put(projects.TensorPreprocessPCAScale, scale, k)
	}
}

// Stats reads p's preprocessing statistics for c×h×w images (nil when it
// has none). The error says when they do not fit the images.
func Stats(p *projects.Project, c, h, w int) (*data.Stats, error) {
	norm, err := NormOf(p.Preprocess.Mode)
	if err != nil || norm == data.NormNone {
		return nil, err
	}
	st := &data.Stats{Norm: norm, C: c, H: h, W: w, Epsilon: float32(p.Preprocess.Epsilon)}
	st.Mean = p.Tensors[projects.TensorPreprocessMean].Data
	st.Std = p.Tensors[projects.TensorPreprocessStd].Data
	if norm == data.NormPCAWhiten {
		st.Components = p.Tensors[projects.TensorPreprocessPCA].Data
		for _, s := range p.Tensors[projects.TensorPreprocessPCAScale].Data {
			st.Eigenvalues = append(st.Eigenvalues, 1/(s*s)-st.Epsilon)
		}
	}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("the project's %s statistics do not fit %dx%dx%d images (train again to refit them): %w", norm, c, h, w, err)
	}
	return st, nil
}
