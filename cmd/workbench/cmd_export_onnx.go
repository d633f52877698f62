package main

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/interop/onnx"
)

func init() {
	registerExportFormat("onnx", exportFormat{Doc: "one .onnx file (opset 17, shapes in value_info)", Write: exportONNX})
}

func exportONNX(c *Ctx, job *exportJob) ([]string, error) {
	w := make(map[string]onnx.Tensor, len(job.Weights))
	for k, t := range job.Weights {
		w[k] = onnx.Tensor{Shape: t.Shape, Data: t.Data}
	}
	data, err := onnx.Export(job.Graph, job.Input, w, "workbench "+Version())
	if err != nil {
		return nil, usageErrorf("cannot export to ONNX: %v", err)
	}
	if err := writeFileAtomic(job.Out, data); err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", job.Out, err)
	}
	c.Logf("wrote %s (%d bytes, ONNX opset %d)", job.Out, len(data), onnx.ExportOpset)
	return []string{job.Out}, nil
}
