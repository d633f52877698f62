package style

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Image is one picture, C,H,W in [0, 1].
type Image struct {
	Pix   []float32
	Shape []int
}

// LayerWeight is a layer and its weight in a style loss.
type LayerWeight struct {
	Layer  string
	Weight float64
}

// SynthOptions configure the loops that minimise a perceptual loss over an
// image: inversion, texture and style transfer.
type SynthOptions struct {
	Options
	// TV weighs the total-variation regulariser on the image.
	TV float64
	// LBFGS optimises with engine/optim's L-BFGS (strong Wolfe line search,
	// one loss evaluation or more per step) instead of Adam.
	LBFGS bool
	// Smooth takes the style (Gram) losses of texture and style transfer
	// on softmax-smoothed activations (smooth.go), at temperature
	// SmoothScale times the standard deviation of the style images'
	// activations at each layer, or at the paper's fixed T = 1 when
	// SmoothScale is 0.
	Smooth      bool
	SmoothScale float64
}

// withTV adds −w·TV(x) to a descent objective (one that returns −loss).
func withTV(b backend.Backend, obj attrib.Objective, shape []int, w float64) attrib.Objective {
	if w == 0 {
		return obj
	}
	return func(x []float32) (float64, []float32, error) {
		s, g, err := obj(x)
		if err != nil {
			return 0, nil, err
		}
		xv := autograd.Param(tensor.FromData(b, append([]float32(nil), x...), append([]int{1}, shape...)...), "image")
		tv := autograd.Scale(TV(xv), float32(w))
		v := float64(tv.Item())
		tv.Backward()
		for i, d := range xv.Grad.Data() {
			g[i] -= d
		}
		autograd.Release(tv)
		return s - v, g, nil
	}
}

// noise is a seeded uniform-noise image around grey.
func noise(shape []int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x7e57))
	x := make([]float32, shape[0]*shape[1]*shape[2])
	for i := range x {
		x[i] = 0.5 + 0.2*(rng.Float32()-0.5)
	}
	return x
}

// minimise runs o's optimiser on obj (which returns −loss) from x.
func minimise(ctx context.Context, b backend.Backend, shape []int, obj attrib.Objective, x []float32, o SynthOptions) (*Result, error) {
	obj = withTV(b, obj, shape, o.TV)
	obj, o.Options = o.Options.watched(obj, -1)
	s, _, err := obj(x)
	if err != nil {
		return nil, err
	}
	res := &Result{Shape: shape, LossStart: -s, Steps: o.Steps}
	if o.LBFGS {
		res.Image, err = lbfgs(ctx, b, shape, obj, x, o.Options)
	} else {
		a := o.ascent(x, shape, 0, o.Steps)
		a.Adam = true
		var r *attrib.AscentResult
		if r, err = attrib.Ascend(ctx, shape, obj, a); err == nil {
			res.Image = r.Image
		}
	}
	if err != nil {
		return nil, err
	}
	if s, _, err = obj(res.Image); err != nil {
		return nil, err
	}
	res.Loss = -s
	return res, nil
}

// Invert reconstructs an image from the layer's features of img
// (Mahendran and Vedaldi, 2015): from noise, minimise the content loss at
// the layer plus TV·TV(x). The result has img's shape.
func Invert(ctx context.Context, net attrib.Net, img Image, layer string, o SynthOptions) (*Result, error) {
	if err := checkImage(img.Pix, img.Shape); err != nil {
		return nil, err
	}
	o.Options = o.defaults(200, 0.05)
	acts, err := net.Activations(img.Pix, img.Shape, []string{layer})
	if err != nil {
		return nil, err
	}
	target := acts[layer]
	obj := net.LayerObjective(img.Shape, []string{layer}, func(a map[string]*autograd.Var) *autograd.Var {
		return ContentLoss(a[layer], target)
	}, -1)
	return minimise(ctx, net.Model.B, img.Shape, obj, noise(img.Shape, o.Seed), o)
}

// grams are the weighted average Gram matrices of the layers over images
// (several style images blend by their weights, which sum to 1).
func grams(net attrib.Net, imgs []Image, blend []float64, layers []LayerWeight, o SynthOptions) ([]*tensor.Tensor, []float32, error) {
	names := make([]string, len(layers))
	for i, l := range layers {
		names[i] = l.Layer
	}
	if len(blend) == 0 {
		for range imgs {
			blend = append(blend, 1/float64(len(imgs)))
		}
	}
	if len(blend) != len(imgs) || len(imgs) == 0 {
		return nil, nil, fmt.Errorf("%d blend weights for %d style images", len(blend), len(imgs))
	}
	temps, err := temperatures(net, imgs, blend, layers, o)
	if err != nil {
		return nil, nil, err
	}
	sum := make([][]float32, len(layers))
	var shapes [][]int
	for k, im := range imgs {
		if err := checkImage(im.Pix, im.Shape); err != nil {
			return nil, nil, err
		}
		acts, err := net.Activations(im.Pix, im.Shape, names)
		if err != nil {
			return nil, nil, err
		}
		for i, n := range names {
			g := Gram(styleFeature(autograd.Const(acts[n]), temps, i))
			d := g.Value.Data()
			if sum[i] == nil {
				sum[i] = make([]float32, len(d))
				shapes = append(shapes, g.Shape())
			}
			for j, v := range d {
				sum[i][j] += float32(blend[k]) * v
			}
		}
	}
	out := make([]*tensor.Tensor, len(layers))
	for i := range layers {
		out[i] = tensor.FromData(net.Model.B, sum[i], shapes[i]...)
	}
	return out, temps, nil
}

// styleTerm is the style loss of layers against the target Gram matrices.
func styleTerm(layers []LayerWeight, targets []*tensor.Tensor, w float64, temps []float32) func(map[string]*autograd.Var) *autograd.Var {
	feats := make([]*autograd.Var, len(layers))
	weights := make([]float32, len(layers))
	for i, l := range layers {
		weights[i] = float32(l.Weight * w)
	}
	return func(a map[string]*autograd.Var) *autograd.Var {
		for i, l := range layers {
			feats[i] = styleFeature(a[l.Layer], temps, i)
		}
		return StyleLoss(feats, targets, weights)
	}
}

func layerNames(layers []LayerWeight) []string {
	var out []string
	for _, l := range layers {
		out = append(out, l.Layer)
	}
	return out
}

// Texture synthesises a texture of shape (C,H,W) like src by matching the
// Gram matrices of the layers from noise (Gatys et al., 2015).
func Texture(ctx context.Context, net attrib.Net, src Image, shape []int, layers []LayerWeight, o SynthOptions) (*Result, error) {
	o.Options = o.defaults(200, 0.05)
	if len(layers) == 0 {
		return nil, fmt.Errorf("texture synthesis needs at least one style layer")
	}
	targets, temps, err := grams(net, []Image{src}, nil, layers, o)
	if err != nil {
		return nil, err
	}
	obj := net.LayerObjective(shape, layerNames(layers), styleTerm(layers, targets, 1, temps), -1)
	return minimise(ctx, net.Model.B, shape, obj, noise(shape, o.Seed), o)
}

// TransferOptions configure neural style transfer (Gatys et al., 2016).
type TransferOptions struct {
	SynthOptions
	ContentLayer  string
	ContentWeight float64 // (1)
	StyleLayers   []LayerWeight
	StyleWeight   float64 // (1e3)
	// Blend weighs the style images' Gram matrices (nil: equal).
	Blend []float64
	// FromNoise starts from noise instead of the content image.
	FromNoise bool
}

// Transfer renders content in the style of the style images (their Gram
// matrices averaged by Blend), minimising content + style + TV losses.
func Transfer(ctx context.Context, net attrib.Net, content Image, styles []Image, o TransferOptions) (*Result, error) {
	if err := checkImage(content.Pix, content.Shape); err != nil {
		return nil, err
	}
	o.Options = o.defaults(200, 0.02)
	if o.ContentWeight == 0 {
		o.ContentWeight = 1
	}
	if o.StyleWeight == 0 {
		o.StyleWeight = 1e3
	}
	if len(o.StyleLayers) == 0 {
		return nil, fmt.Errorf("style transfer needs at least one style layer")
	}
	targets, temps, err := grams(net, styles, o.Blend, o.StyleLayers, o.SynthOptions)
	if err != nil {
		return nil, err
	}
	acts, err := net.Activations(content.Pix, content.Shape, []string{o.ContentLayer})
	if err != nil {
		return nil, err
	}
	ct := acts[o.ContentLayer]
	st := styleTerm(o.StyleLayers, targets, o.StyleWeight, temps)
	layers := append(layerNames(o.StyleLayers), o.ContentLayer)
	obj := net.LayerObjective(content.Shape, layers, func(a map[string]*autograd.Var) *autograd.Var {
		return autograd.Add(autograd.Scale(ContentLoss(a[o.ContentLayer], ct), float32(o.ContentWeight)), st(a))
	}, -1)
	x := append([]float32(nil), content.Pix...)
	if o.FromNoise {
		x = noise(content.Shape, o.Seed)
	}
	return minimise(ctx, net.Model.B, content.Shape, obj, x, o.SynthOptions)
}
