package style

import (
	"github.com/workbench-cv/workbench/engine/autograd"
)

// SmoothTemperature is the softmax temperature of Smooth (the paper's T=1).
const SmoothTemperature = 1

// Smooth is the softmax transformation of a style layer's activations
// (SWAG, Wang et al., CVPR 2021, "Rethinking and Improving the Robustness
// of Image Style Transfer"): the features f of one image ([1, C, H, W] or
// [C, H, W]) become N·softmax(vec(f)/T) over all N = C·H·W values, the
// same shape. The softmax is over the whole map, as in the paper; the
// factor N (not in the paper, a constant that only rescales the Gram
// matrices by N²) keeps the values' mean at 1, so that the style weights
// keep their order of magnitude whatever the layer's size. It takes the
// peaky, low-entropy activations of networks such as ResNet, whose Gram
// matrices a few large values dominate, to smoother ones that stylise
// more like VGG's.
func Smooth(f *autograd.Var, t float32) *autograd.Var {
	s := f.Shape()
	n := f.Value.Len()
	flat := autograd.Reshape(f, 1, n)
	if t != 1 {
		flat = autograd.Scale(flat, 1/t)
	}
	return autograd.Reshape(autograd.Scale(autograd.Softmax(flat), float32(n)), s...)
}

// styleFeature is f, smoothed when smooth is set: what the style losses
// take the Gram matrix of.
func styleFeature(f *autograd.Var, smooth bool) *autograd.Var {
	if !smooth {
		return f
	}
	return Smooth(f, SmoothTemperature)
}
