package main

import (
	"errors"
	"os"

	"github.com/workbench-cv/workbench/engine/interop/onnx"
	"github.com/workbench-cv/workbench/exchange"
)

func init() {
	registerExportFormat("onnx", exportFormat{Doc: "one .onnx file (opset 17, shapes in value_info)", Write: exportONNX})
}

func exportONNX(c *Ctx, job *exportJob) ([]string, error) {
	files, err := exchange.WriteONNX(exchange.Model{Graph: job.Graph, Input: job.Input, Weights: job.Weights, Producer: "workbench " + Version()}, job.Out)
	if errors.Is(err, exchange.ErrInput) {
		return nil, usageErrorf("%v", err)
	}
	if err != nil {
		return nil, err
	}
	var size int64
	if st, err := os.Stat(job.Out); err == nil {
		size = st.Size()
	}
	c.Logf("wrote %s (%d bytes, ONNX opset %d)", job.Out, size, onnx.ExportOpset)
	return files, nil
}
