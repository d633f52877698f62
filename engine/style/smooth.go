package style

import (
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/autograd"
)

// SmoothTemperature is the paper's softmax temperature, T=1.
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

// styleFeature is the i-th style layer's features f, smoothed at
// temps[i] when temps is not nil: what the style losses take the Gram
// matrix of.
func styleFeature(f *autograd.Var, temps []float32, i int) *autograd.Var {
	if temps == nil {
		return f
	}
	return Smooth(f, temps[i])
}

// temperatures are the softmax temperatures of the style layers (nil
// without o.Smooth): o.SmoothScale times the standard deviation of the
// style images' activations at the layer (blended), or 1 when SmoothScale
// is 0. They are fixed before the optimisation starts.
func temperatures(net attrib.Net, imgs []Image, blend []float64, layers []LayerWeight, o SynthOptions) ([]float32, error) {
	if !o.Smooth {
		return nil, nil
	}
	if o.SmoothScale < 0 {
		return nil, fmt.Errorf("smoothing scale %g: use a value >= 0", o.SmoothScale)
	}
	temps := make([]float32, len(layers))
	for i := range temps {
		temps[i] = SmoothTemperature
	}
	for k, im := range imgs {
		if err := checkImage(im.Pix, im.Shape); err != nil {
			return nil, err
		}
		if o.SmoothScale == 0 {
			continue
		}
		acts, err := net.Activations(im.Pix, im.Shape, layerNames(layers))
		if err != nil {
			return nil, err
		}
		for i, l := range layers {
			var s, s2 float64
			d := acts[l.Layer].Data()
			for _, v := range d {
				s += float64(v)
				s2 += float64(v) * float64(v)
			}
			m := s / float64(len(d))
			sd := math.Sqrt(max(0, s2/float64(len(d))-m*m))
			if k == 0 {
				temps[i] = 0
			}
			temps[i] += float32(blend[k] * o.SmoothScale * sd)
		}
	}
	for i, t := range temps {
		if !(t > 0) {
			temps[i] = SmoothTemperature // a layer that is constant on the style
		}
	}
	return temps, nil
}
