package inspect

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
)

// Background is the colour between tiles of a grid and outside images.
var Background = color.NRGBA{R: 40, G: 40, B: 40, A: 255}

// GridOptions lay out tiles.
type GridOptions struct {
	// Cols is the number of columns (0: about square).
	Cols int
	// Scale enlarges each tile by pixel repetition (0: 1).
	Scale int
	// Gap is the space between tiles in pixels (negative: none; 0: 1).
	Gap int
}

func (o GridOptions) norm(n int) GridOptions {
	if o.Cols <= 0 {
		o.Cols = int(math.Ceil(math.Sqrt(float64(max(n, 1)))))
	}
	if o.Scale <= 0 {
		o.Scale = 1
	}
	if o.Gap == 0 {
		o.Gap = 1
	}
	if o.Gap < 0 {
		o.Gap = 0
	}
	return o
}

// TileGrid places the tiles row by row on a background, each enlarged by
// Scale; tiles may differ in size (cells take the largest).
func TileGrid(tiles []image.Image, o GridOptions) *image.NRGBA {
	o = o.norm(len(tiles))
	cw, ch := 1, 1
	for _, t := range tiles {
		if t != nil {
			cw, ch = max(cw, t.Bounds().Dx()), max(ch, t.Bounds().Dy())
		}
	}
	cw, ch = cw*o.Scale, ch*o.Scale
	rows := (len(tiles) + o.Cols - 1) / o.Cols
	cols := min(o.Cols, max(len(tiles), 1))
	img := image.NewNRGBA(image.Rect(0, 0, cols*cw+(cols+1)*o.Gap, max(rows, 1)*ch+(max(rows, 1)+1)*o.Gap))
	draw.Draw(img, img.Bounds(), image.NewUniform(Background), image.Point{}, draw.Src)
	for i, t := range tiles {
		if t == nil {
			continue
		}
		x0 := o.Gap + (i%o.Cols)*(cw+o.Gap)
		y0 := o.Gap + (i/o.Cols)*(ch+o.Gap)
		drawScaled(img, t, x0, y0, o.Scale)
	}
	return img
}

// drawScaled copies src onto dst at (x0, y0), each pixel a scale×scale block.
func drawScaled(dst *image.NRGBA, src image.Image, x0, y0, scale int) {
	b := src.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(src.At(x, y)).(color.NRGBA)
			for dy := range scale {
				for dx := range scale {
					dst.SetNRGBA(x0+(x-b.Min.X)*scale+dx, y0+(y-b.Min.Y)*scale+dy, c)
				}
			}
		}
	}
}

// minMax returns the smallest and largest finite values of v.
func minMax(v []float32) (lo, hi float32) {
	lo, hi = float32(math.Inf(1)), float32(math.Inf(-1))
	for _, x := range v {
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	if lo > hi {
		return 0, 0
	}
	return lo, hi
}

// toByte maps v linearly from [lo, hi] to [0, 255]; a flat range gives
// mid-grey.
func toByte(v, lo, hi float32) uint8 {
	if !(hi > lo) {
		return 128
	}
	t := (v - lo) / (hi - lo) * 255
	return uint8(min(max(t+0.5, 0), 255))
}

// GrayMap renders an h×w map as grey levels scaled from [lo, hi].
func GrayMap(v []float32, h, w int, lo, hi float32) (*image.Gray, error) {
	if h < 1 || w < 1 || len(v) != h*w {
		return nil, fmt.Errorf("map of %d values is not %dx%d", len(v), h, w)
	}
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i, x := range v {
		g.Pix[i] = toByte(x, lo, hi)
	}
	return g, nil
}

// ColorMap renders 3 planes (CHW, c = R, G, B) of h×w values as colour,
// scaled together from [lo, hi].
func ColorMap(v []float32, h, w int, lo, hi float32) (*image.NRGBA, error) {
	if h < 1 || w < 1 || len(v) != 3*h*w {
		return nil, fmt.Errorf("colour map of %d values is not 3x%dx%d", len(v), h, w)
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	plane := h * w
	for k := range plane {
		img.Pix[4*k] = toByte(v[k], lo, hi)
		img.Pix[4*k+1] = toByte(v[plane+k], lo, hi)
		img.Pix[4*k+2] = toByte(v[2*plane+k], lo, hi)
		img.Pix[4*k+3] = 255
	}
	return img, nil
}

// PixelImage turns uint8 CHW pixels (1 or 3 channels) into an image.
func PixelImage(pix []uint8, c, h, w int) (image.Image, error) {
	if len(pix) != c*h*w || (c != 1 && c != 3) {
		return nil, fmt.Errorf("%d pixels are not a 1- or 3-channel %dx%d image (C=%d)", len(pix), h, w, c)
	}
	if c == 1 {
		g := image.NewGray(image.Rect(0, 0, w, h))
		copy(g.Pix, pix)
		return g, nil
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	plane := h * w
	for k := range plane {
		img.Pix[4*k], img.Pix[4*k+1], img.Pix[4*k+2], img.Pix[4*k+3] = pix[k], pix[plane+k], pix[2*plane+k], 255
	}
	return img, nil
}
