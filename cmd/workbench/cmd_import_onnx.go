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
	if err := onnxPreprocess(&m.Model, flagStr(c, "preprocess")); err != nil {
		return nil, err
	}
	if flagStr(c, "labels") != "" {
		return nil, usageErrorf("--labels is read with --tfjs only; import the ONNX model without it")
	}
	c.Logf("ONNX opset %d from %s: %d nodes mapped onto %d layers", m.Opset, m.Producer, m.SourceLayers, len(m.Graph.Nodes))
	return &m.Model, nil
}

// onnxPreprocess records how the network's training images were
// normalised: torch (ImageNet mean and std on [0,1] RGB, as torchvision's
// models), tf (x/127.5 - 1) or none (auto: an ONNX file does not say).
func onnxPreprocess(m *interop.Model, mode string) error {
	pp := &m.Preprocess
	c := m.Input[0]
	fill := func(v float32) []float32 {
		out := make([]float32, c)
		for i := range out {
			out[i] = v
		}
		return out
	}
	switch mode {
	case "", "auto", "none":
	case "tf":
		pp.Mean, pp.Std, pp.Resize = fill(0.5), fill(0.5), interop.ResizeStretch
		pp.Source = "\"tf\" mode: x/127.5 - 1 on 0-255 pixels"
	case "torch":
		if c != 3 {
			return usageErrorf("--preprocess torch needs a 3-channel input; this model takes %v", m.Input)
		}
		pp.Mean, pp.Std, pp.Resize = []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}, interop.ResizeCrop
		pp.Source = "\"torch\" mode: ImageNet mean and std on [0,1] RGB pixels (torchvision)"
	default:
		return usageErrorf("--preprocess %q with --onnx: use torch, tf or none (caffe is for Keras models imported with --tfjs)", mode)
	}
	return nil
}
