package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/engine/interop/onnx"
)

// The ONNX branch of `workbench import`.
func init() { importONNX = importONNXFile }

func importONNXFile(c *Ctx, path string) (*interop.Model, error) {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return nil, usageErrorf("--onnx %s: %v", path, errors.Unwrap(err))
	case st.IsDir():
		return nil, usageErrorf("--onnx %s is a folder; give the .onnx file", path)
	case st.Size() > onnx.MaxFileBytes:
		return nil, usageErrorf("--onnx %s is %d bytes, more than ONNX's 2 GiB limit", path, st.Size())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	m, err := onnx.Import(data)
	var uns *interop.UnsupportedError
	switch {
	case errors.As(err, &uns):
		return nil, err
	case err != nil:
		// Everything Import reports comes from the file's contents.
		return nil, usageErrorf("%s: %v", path, err)
	}
	if len(m.Input) != 3 {
		return nil, usageErrorf("%s takes feature vectors (%v); Workbench projects import image models (N,C,H,W)", path, m.Input)
	}
	c.Logf("ONNX opset %d from %s: %d nodes mapped onto %d layers", m.Opset, m.Producer, m.SourceLayers, len(m.Graph.Nodes))
	return &m.Model, nil
}
