package inspect

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"sort"

	"github.com/workbench-cv/workbench/engine/data"
)

// Patch is an image region that strongly activates a unit.
type Patch struct {
	Image int     // index in the split
	Y, X  int     // the unit's position in the layer's map
	Value float32 // its activation
	// Box is the exact receptive field of the unit, clipped to the image;
	// Window is the nominal one (equal size for every unit of the layer,
	// possibly reaching outside the image); for layers whose units see the
	// whole image both are the whole image.
	Box, Window image.Rectangle
}

// PatchOptions tune [Net.TopPatches].
type PatchOptions struct {
	Batch    int // images per forward pass (128)
	PerImage int // most patches taken from one image (1)
	Progress func(done, total int)
}

// TopPatches runs every image of s through the model and returns the k
// units of layer's channel with the largest activations, largest first
// (ties: lower image index, then position), with their receptive fields.
// A vector layer's "channel" is an entry; its patches are whole images.
func (n Net) TopPatches(ctx context.Context, s *data.Set, layer string, channel, k int, opt PatchOptions) ([]Patch, error) {
	shape, err := n.Shape(layer)
	if err != nil {
		return nil, err
	}
	if len(n.Input()) != 3 {
		return nil, fmt.Errorf("patches need a model that takes images, not vectors of %v", n.Input())
	}
	if channel < 0 || channel >= shape[0] {
		return nil, fmt.Errorf("layer %s has channels 0 to %d, not %d", layer, shape[0]-1, channel)
	}
	if k < 1 {
		return nil, fmt.Errorf("ask for at least 1 patch, not %d", k)
	}
	if opt.PerImage <= 0 {
		opt.PerImage = 1
	}
	if opt.Batch <= 0 {
		opt.Batch = 128
	}
	rf, err := NewReceptiveFields(n.Model.Graph, n.Input())
	if err != nil {
		return nil, err
	}
	h, w := 1, 1
	if len(shape) == 3 {
		h, w = shape[1], shape[2]
	}
	d := shape[0] * h * w
	var best []Patch
	better := func(a, b Patch) bool {
		if a.Value != b.Value {
			return a.Value > b.Value
		}
		if a.Image != b.Image {
			return a.Image < b.Image
		}
		return a.Y*w+a.X < b.Y*w+b.X
	}
	idx := make([]int, 0, opt.Batch)
	for lo := 0; lo < s.Len(); lo += opt.Batch {
		hi := min(lo+opt.Batch, s.Len())
		idx = idx[:0]
		for i := lo; i < hi; i++ {
			idx = append(idx, i)
		}
		f, _, err := n.Features(ctx, s, idx, layer, FeatureOptions{Batch: opt.Batch})
		if err != nil {
			return nil, err
		}
		for j := range idx {
			m := f[j*d+channel*h*w : j*d+(channel+1)*h*w]
			var cands []Patch
			for p, v := range m {
				cands = append(cands, Patch{Image: lo + j, Y: p / w, X: p % w, Value: v})
			}
			sort.Slice(cands, func(a, b int) bool { return better(cands[a], cands[b]) })
			best = append(best, cands[:min(opt.PerImage, len(cands))]...)
		}
		sort.Slice(best, func(a, b int) bool { return better(best[a], best[b]) })
		best = best[:min(k, len(best))]
		if opt.Progress != nil {
			opt.Progress(hi, s.Len())
		}
	}
	field, _ := rf.Field(layer)
	full := image.Rect(0, 0, s.W, s.H)
	for i := range best {
		p := &best[i]
		if len(shape) != 3 || field.Global {
			p.Box, p.Window = full, full
			if len(shape) == 3 {
				if b, ok, err := rf.Box(layer, channel, p.Y, p.X); err == nil && ok {
					p.Box = b
				}
			}
			continue
		}
		b, ok, err := rf.Box(layer, channel, p.Y, p.X)
		if err != nil {
			return nil, err
		}
		if !ok {
			b = image.Rectangle{}
		}
		p.Box, p.Window = b, field.Window(p.Y, p.X)
	}
	return best, nil
}

// Crop cuts patch p out of its image: the nominal window, with the parts
// outside the image (padding) in the background colour, so that all
// patches of a layer have one size and the unit at the same place.
func (p Patch) Crop(s *data.Set) (image.Image, error) {
	src, err := PixelImage(s.Image(p.Image), s.C, s.H, s.W)
	if err != nil {
		return nil, err
	}
	win := p.Window
	if win.Empty() {
		win = p.Box
	}
	out := image.NewNRGBA(image.Rect(0, 0, win.Dx(), win.Dy()))
	in := src.Bounds()
	for y := win.Min.Y; y < win.Max.Y; y++ {
		for x := win.Min.X; x < win.Max.X; x++ {
			c := color.NRGBAModel.Convert(Background).(color.NRGBA)
			if image.Pt(x, y).In(in) && image.Pt(x, y).In(p.Box) {
				c = color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA)
			}
			out.SetNRGBA(x-win.Min.X, y-win.Min.Y, c)
		}
	}
	return out, nil
}

// PatchGrid crops the patches and lays them out in a grid.
func PatchGrid(s *data.Set, patches []Patch, o GridOptions) (*image.NRGBA, error) {
	tiles := make([]image.Image, len(patches))
	for i, p := range patches {
		t, err := p.Crop(s)
		if err != nil {
			return nil, err
		}
		tiles[i] = t
	}
	if o.Scale <= 0 && len(tiles) > 0 {
		o.Scale = max(1, 48/max(tiles[0].Bounds().Dx(), 1))
	}
	return TileGrid(tiles, o), nil
}
