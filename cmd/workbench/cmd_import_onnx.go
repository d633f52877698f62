package main

import (
	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/exchange"
)

// The ONNX branch of `workbench import`.
func init() { importONNX = importONNXFile }

func importONNXFile(c *Ctx, path string) (*interop.Model, error) {
	m, err := exchange.ReadONNX(path)
	if err != nil {
		return nil, exchangeError(err)
	}
	c.Logf("ONNX opset %d from %s: %d nodes mapped onto %d layers", m.Opset, m.Producer, m.SourceLayers, len(m.Graph.Nodes))
	return &m.Model, nil
}
