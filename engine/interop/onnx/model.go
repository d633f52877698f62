package onnx

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Params counts the learned parameters (running statistics excluded).
func (m *Model) Params() int64 {
	return nn.Analyze(m.Graph, m.Input).Params
}

// Build makes the imported model on backend b with its weights loaded.
func (m *Model) Build(b backend.Backend) (*nn.Model, error) {
	nm, err := nn.Build(m.Graph, m.Input, b, 0, "default")
	if err != nil {
		return nil, err
	}
	src := make(map[string]*tensor.Tensor, len(m.Weights))
	for k, t := range m.Weights {
		src[k] = tensor.FromData(b, t.Data, t.Shape...)
	}
	if err := nm.LoadState(src); err != nil {
		return nil, err
	}
	return nm, nil
}
