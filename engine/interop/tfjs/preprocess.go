package tfjs

import (
	"fmt"
	"strings"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/interop"
)

// Preprocessing modes of Keras' imagenet_utils.preprocess_input.
var preprocessModes = []string{"auto", "caffe", "tf", "torch", "none"}

// caffeModels are the Keras applications trained with "caffe" inputs.
var caffeModels = map[string]bool{"resnet50": true, "vgg16": true, "vgg19": true}

// applyPreprocess records the normalisation on [0, 1] RGB pixels. Caffe
// mode feeds BGR pixels in 0-255 minus the ImageNet means; Workbench feeds
// RGB, so the channel swap is folded into the first convolution's input
// channels (or an explicit 1×1 swap when there is no such convolution) and
// the rest is a channel mean and a std of 1/255.
func applyPreprocess(m *interop.Model, c *converter, input, mode string) error {
	if mode == "" || mode == "auto" {
		mode = "none"
		if caffeModels[strings.ToLower(m.Name)] {
			mode = "caffe"
		}
	}
	ch := m.Input[0]
	pp := &m.Preprocess
	pp.Resize = interop.ResizeStretch
	fill := func(v float32) []float32 {
		out := make([]float32, ch)
		for i := range out {
			out[i] = v
		}
		return out
	}
	switch mode {
	case "none":
		return nil
	case "tf":
		pp.Mean, pp.Std = fill(0.5), fill(0.5)
		pp.Source = "Keras \"tf\" mode: x/127.5 - 1 on 0-255 pixels"
		return nil
	}
	if ch != 3 || len(m.Input) != 3 {
		return badf("%s preprocessing needs a 3-channel image input; this model takes %v", mode, m.Input)
	}
	switch mode {
	case "torch":
		pp.Mean, pp.Std = []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}
		pp.Resize = interop.ResizeCrop
		pp.Source = "Keras \"torch\" mode: ImageNet mean and std on [0,1] RGB pixels"
	case "caffe":
		pp.Mean = []float32{123.68 / 255, 116.779 / 255, 103.939 / 255}
		pp.Std = fill(1.0 / 255)
		how := foldBGR(m, c, input)
		pp.Source = "Keras \"caffe\" mode: BGR 0-255 pixels minus 103.939, 116.779, 123.68; " + how
		m.Notes = append(m.Notes, how)
	default:
		return badf("unknown preprocessing %q; use one of %s", mode, strings.Join(preprocessModes, ", "))
	}
	return nil
}

// foldBGR makes the network take RGB where it was trained on BGR.
func foldBGR(m *interop.Model, c *converter, input string) string {
	consumers := func(id string) []*graph.Node {
		var out []*graph.Node
		for i := range c.g.Nodes {
			for _, in := range c.g.Nodes[i].Inputs {
				if in == id {
					out = append(out, &c.g.Nodes[i])
					break
				}
			}
		}
		return out
	}
	id := input
	for {
		next := consumers(id)
		if len(next) != 1 {
			break
		}
		n := next[0]
		if n.Op == "pad2d" {
			id = n.ID
			continue
		}
		w, ok := m.Weights[n.ID+".weight"]
		if n.Op == "conv2d" && n.Attr("groups", 1) == 1 && ok && w.Shape[1] == 3 {
			o, plane := w.Shape[0], w.Shape[2]*w.Shape[3]
			d := make([]float32, len(w.Data))
			for oc := range o {
				for ic := range 3 {
					copy(d[(oc*3+ic)*plane:(oc*3+ic+1)*plane], w.Data[(oc*3+2-ic)*plane:(oc*3+2-ic+1)*plane])
				}
			}
			m.Weights[n.ID+".weight"] = interop.Tensor{Shape: w.Shape, Data: d}
			return fmt.Sprintf("the RGB to BGR swap is folded into %s's input channels, so the network takes RGB", n.ID)
		}
		break
	}
	// No convolution to fold into: an explicit 1×1 swap after the input.
	swap := c.newID("rgb_to_bgr")
	for i := range c.g.Nodes {
		for j, in := range c.g.Nodes[i].Inputs {
			if in == input {
				c.g.Nodes[i].Inputs[j] = swap
			}
		}
	}
	c.g.Nodes = append(c.g.Nodes, graph.Node{ID: swap, Op: "conv2d", Inputs: []string{input},
		Attrs: map[string]float64{"out": 3, "kernel": 1, "bias": 0}})
	m.Weights[swap+".weight"] = interop.Tensor{Shape: []int{3, 3, 1, 1}, Data: []float32{0, 0, 1, 0, 1, 0, 1, 0, 0}}
	return fmt.Sprintf("a 1x1 convolution %s swaps RGB to BGR after the input", swap)
}
