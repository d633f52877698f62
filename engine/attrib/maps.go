package attrib

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// Map is one image's heat map, H×W row-major.
type Map struct {
	H, W int
	V    []float32
}

// Max returns the position of the largest value.
func (m Map) Max() (y, x int) {
	best := 0
	for i, v := range m.V {
		if v > m.V[best] {
			best = i
		}
	}
	return best / m.W, best % m.W
}

// channelMax reduces N gradients C×H×W to maps of max over channels of |g|
// (the vanilla saliency of Simonyan et al., 2014).
func (n Net) channelMax(g []float32, N int) []Map {
	in := n.Input()
	c, h, w := in[0], in[1], in[2]
	plane := h * w
	maps := make([]Map, N)
	for i := range N {
		m := Map{H: h, W: w, V: make([]float32, plane)}
		for ch := range c {
			p := g[(i*c+ch)*plane : (i*c+ch+1)*plane]
			for j, v := range p {
				m.V[j] = max(m.V[j], float32(math.Abs(float64(v))))
			}
		}
		maps[i] = m
	}
	return maps
}

// channelSum reduces N attributions C×H×W to maps of the absolute sum
// over channels (how Captum's visualiser shows integrated gradients).
func (n Net) channelSum(a []float32, N int) []Map {
	in := n.Input()
	c, h, w := in[0], in[1], in[2]
	plane := h * w
	maps := make([]Map, N)
	for i := range N {
		m := Map{H: h, W: w, V: make([]float32, plane)}
		for ch := range c {
			for j, v := range a[(i*c+ch)*plane : (i*c+ch+1)*plane] {
				m.V[j] += v
			}
		}
		for j, v := range m.V {
			m.V[j] = float32(math.Abs(float64(v)))
		}
		maps[i] = m
	}
	return maps
}

// Saliency is vanilla gradient saliency: the maps max over channels of
// |d score / d pixel|, and the gradients themselves (N×C×H×W).
func (n Net) Saliency(x []float32, N int, targets []Target) ([]Map, []float32, error) {
	g, _, err := n.Gradient(x, N, targets)
	if err != nil {
		return nil, nil, err
	}
	return n.channelMax(g, N), g, nil
}

// Guided is guided backpropagation (Springenberg et al., 2015): the
// gradient of the target with every ReLU passing back only positive
// gradients; maps as for Saliency, and the guided gradients themselves.
func (n Net) Guided(x []float32, N int, targets []Target) ([]Map, []float32, error) {
	r, err := n.run(x, N, targets, pass{guided: true})
	if err != nil {
		return nil, nil, err
	}
	return n.channelMax(r.grad, N), r.grad, nil
}

// CAM is a Grad-CAM map at the layer's resolution and upsampled to the
// image (bilinear, as F.interpolate with align_corners=False).
type CAM struct {
	Layer Map
	Image Map
}

// GradCAM (Selvaraju et al., 2017) weighs layer's channels by the spatial
// mean of the target's gradient and keeps the positive part of the sum.
// layer is any layer with a C×H×W output (usually the last convolution).
func (n Net) GradCAM(x []float32, N int, targets []Target, layer string) ([]CAM, error) {
	info := n.Model.Analysis.Nodes[layer]
	if info == nil || len(info.Out) != 3 {
		return nil, fmt.Errorf("Grad-CAM needs a layer with a C×H×W output; %q is not one", layer)
	}
	r, err := n.run(x, N, targets, pass{retain: layer})
	if err != nil {
		return nil, err
	}
	if r.act == nil {
		return nil, fmt.Errorf("layer %q is not on the path to the output", layer)
	}
	c, h, w := info.Out[0], info.Out[1], info.Out[2]
	plane := h * w
	in := n.Input()
	out := make([]CAM, N)
	for i := range N {
		m := Map{H: h, W: w, V: make([]float32, plane)}
		for ch := range c {
			off := (i*c + ch) * plane
			var wt float64
			for _, g := range r.actG[off : off+plane] {
				wt += float64(g)
			}
			wt /= float64(plane)
			for j, a := range r.act[off : off+plane] {
				m.V[j] += float32(wt) * a
			}
		}
		for j, v := range m.V {
			m.V[j] = max(v, 0)
		}
		out[i] = CAM{Layer: m, Image: Resize(m, in[1], in[2])}
	}
	return out, nil
}

// Resize scales m to h×w bilinearly with PyTorch's align_corners=False
// convention.
func Resize(m Map, h, w int) Map {
	out := Map{H: h, W: w, V: make([]float32, h*w)}
	sy, sx := float64(m.H)/float64(h), float64(m.W)/float64(w)
	src := func(o int, s float64, n int) (int, int, float64) {
		f := max((float64(o)+0.5)*s-0.5, 0)
		i0 := min(int(f), n-1)
		i1 := min(i0+1, n-1)
		return i0, i1, f - float64(i0)
	}
	for y := range h {
		y0, y1, fy := src(y, sy, m.H)
		for x := range w {
			x0, x1, fx := src(x, sx, m.W)
			top := float64(m.V[y0*m.W+x0])*(1-fx) + float64(m.V[y0*m.W+x1])*fx
			bot := float64(m.V[y1*m.W+x0])*(1-fx) + float64(m.V[y1*m.W+x1])*fx
			out.V[y*w+x] = float32(top*(1-fy) + bot*fy)
		}
	}
	return out
}

// SmoothOptions tune SmoothGrad.
type SmoothOptions struct {
	Samples  int     // noisy copies per image (50)
	Sigma    float64 // noise standard deviation as a fraction of the pixel range (0.15)
	Squared  bool    // average squared gradients (SmoothGrad²)
	Seed     uint64
	Progress Progress
}

// SmoothGrad (Smilkov et al., 2017) averages the gradient over noisy
// copies of each image; maps as for Saliency, and the mean gradients.
func (n Net) SmoothGrad(ctx context.Context, x []float32, N int, targets []Target, o SmoothOptions) ([]Map, []float32, error) {
	if o.Samples <= 0 {
		o.Samples = 50
	}
	if o.Sigma == 0 {
		o.Sigma = 0.15
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5a11))
	sum := make([]float32, len(x))
	noisy := make([]float32, len(x))
	for s := range o.Samples {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		for i, v := range x {
			noisy[i] = v + float32(rng.NormFloat64()*o.Sigma)
		}
		g, _, err := n.Gradient(noisy, N, targets)
		if err != nil {
			return nil, nil, err
		}
		for i, v := range g {
			if o.Squared {
				v *= v
			}
			sum[i] += v / float32(o.Samples)
		}
		o.Progress.report(s+1, o.Samples)
	}
	return n.channelMax(sum, N), sum, nil
}
