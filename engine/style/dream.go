package style

import (
	"context"
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/autograd"
)

// Options are what every loop shares.
type Options struct {
	Steps int     // iterations (per octave for DeepDream)
	LR    float64 // step size (normalised step for DeepDream, Adam's otherwise)
	// Jitter shifts the image by up to this many pixels for each gradient.
	Jitter int
	Seed   uint64
	// Progress is called after each step with the steps done and the total.
	Progress attrib.Progress
	// Iterate, when set, receives a copy of the image (C,H,W at its
	// current size) every Every steps and at the end.
	Iterate func(step int, x []float32, shape []int)
	Every   int
	// Loss, when set, is called after each step with the loss at that step
	// (DeepDream: the layer's energy), for a loss curve.
	Loss func(step int, loss float64)
}

// Result is a made image and its loss.
type Result struct {
	Image []float32
	Shape []int // C,H,W
	// LossStart and Loss are the objective before the first step and
	// after the last (DeepDream: the layer's energy ½·mean(a²), which
	// rises; the others: the loss minimised, which falls).
	LossStart, Loss float64
	Steps           int
}

// DreamOptions configure DeepDream (Mordvintsev et al., 2015).
type DreamOptions struct {
	Options
	Layer string
	// Octaves is the number of scales (1: the image's own), each
	// OctaveScale (1.4) times the one before, smallest first; the detail
	// dreamt at one scale is carried up to the next.
	Octaves     int
	OctaveScale float64
}

// energy is DeepDream's objective ½·mean(a²) of the layer: its gradient
// with respect to the activation is the activation itself (scaled).
func energy(layer string) attrib.LayerLoss {
	return func(acts map[string]*autograd.Var) *autograd.Var {
		return autograd.Scale(autograd.Mean(autograd.Square(acts[layer])), 0.5)
	}
}

// Dream amplifies what the layer sees in img (C,H,W in [0, 1]) by gradient
// ascent on the layer's energy, with the step normalised by the mean
// absolute gradient, jitter, clipping to [0, 1] and octaves.
func Dream(ctx context.Context, net attrib.Net, img []float32, shape []int, o DreamOptions) (*Result, error) {
	if err := checkImage(img, shape); err != nil {
		return nil, err
	}
	if err := net.CheckLayers([]string{o.Layer}); err != nil {
		return nil, err
	}
	o.Options = o.defaults(20, 0.01)
	if o.Octaves <= 0 {
		o.Octaves = 1
	}
	if o.OctaveScale <= 1 {
		o.OctaveScale = 1.4
	}
	c, h, w := shape[0], shape[1], shape[2]
	sizes := make([][2]int, o.Octaves)
	for i := range o.Octaves {
		f := math.Pow(o.OctaveScale, float64(o.Octaves-1-i))
		sizes[i] = [2]int{max(8, int(math.Round(float64(h)/f))), max(8, int(math.Round(float64(w)/f)))}
	}
	res := &Result{Shape: []int{c, h, w}}
	var detail []float32
	var dshape [2]int
	total := o.Steps * o.Octaves
	for i, sz := range sizes {
		sh := []int{c, sz[0], sz[1]}
		base := Resize(img, c, h, w, sz[0], sz[1])
		x := append([]float32(nil), base...)
		if detail != nil {
			up := Resize(detail, c, dshape[0], dshape[1], sz[0], sz[1])
			for j := range x {
				x[j] = min(max(x[j]+up[j], 0), 1)
			}
		}
		obj, oo := o.Options.watched(net.LayerObjective(sh, []string{o.Layer}, energy(o.Layer), 1), 1)
		if i == 0 {
			v, _, err := obj(x)
			if err != nil {
				return nil, err
			}
			res.LossStart = v
		}
		done := i * o.Steps
		a, err := attrib.Ascend(ctx, sh, obj, oo.ascent(x, sh, done, total))
		if err != nil {
			return nil, err
		}
		detail = make([]float32, len(x))
		for j := range detail {
			detail[j] = a.Image[j] - base[j]
		}
		dshape = sz
		res.Image = a.Image
	}
	v, _, err := net.LayerObjective(shape, []string{o.Layer}, energy(o.Layer), 1)(res.Image)
	if err != nil {
		return nil, err
	}
	res.Loss, res.Steps = v, total
	return res, nil
}

// defaults fills the zero fields.
func (o Options) defaults(steps int, lr float64) Options {
	if o.Steps <= 0 {
		o.Steps = steps
	}
	if o.LR <= 0 {
		o.LR = lr
	}
	if o.Every <= 0 {
		o.Every = max(1, o.Steps/10)
	}
	return o
}

// ascent is the attrib.Ascend configuration of one run of o's steps
// starting at x, the done-th of total steps overall.
func (o Options) ascent(x []float32, shape []int, done, total int) attrib.AscentOptions {
	a := attrib.AscentOptions{Steps: o.Steps, LR: o.LR, Jitter: o.Jitter, Init: x, Seed: o.Seed + uint64(done), Every: o.Every}
	if o.Progress != nil {
		a.Progress = func(d, _ int) { o.Progress(done+d, total) }
	}
	if o.Iterate != nil {
		a.Iterate = func(step int, x []float32) { o.Iterate(done+step, x, shape) }
	}
	return a
}

func checkImage(img []float32, shape []int) error {
	if len(shape) != 3 || shape[0]*shape[1]*shape[2] != len(img) || len(img) == 0 {
		return fmt.Errorf("an image of %d values is not of shape C,H,W %v", len(img), shape)
	}
	return nil
}

// Resize scales an image of c channels from h×w to oh×ow bilinearly
// (pixel centres aligned, as torch's interpolate with align_corners=False).
func Resize(x []float32, c, h, w, oh, ow int) []float32 {
	if h == oh && w == ow {
		return append([]float32(nil), x...)
	}
	out := make([]float32, c*oh*ow)
	src := func(i, n, on int) (int, int, float32) {
		f := (float64(i)+0.5)*float64(n)/float64(on) - 0.5
		f = max(f, 0)
		i0 := min(int(f), n-1)
		i1 := min(i0+1, n-1)
		return i0, i1, float32(f - float64(i0))
	}
	for y := range oh {
		y0, y1, fy := src(y, h, oh)
		for xx := range ow {
			x0, x1, fx := src(xx, w, ow)
			for ch := range c {
				p := x[ch*h*w:]
				top := p[y0*w+x0]*(1-fx) + p[y0*w+x1]*fx
				bot := p[y1*w+x0]*(1-fx) + p[y1*w+x1]*fx
				out[(ch*oh+y)*ow+xx] = top*(1-fy) + bot*fy
			}
		}
	}
	return out
}
