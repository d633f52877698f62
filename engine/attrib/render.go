package attrib

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/workbench-cv/workbench/engine/internal/quickselect"
)

// PixelImage renders a C×H×W image of [0, 1] pixels (grey or RGB).
func PixelImage(x []float32, c, h, w int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	plane := h * w
	for p := range plane {
		var r, g, b float32
		if c >= 3 {
			r, g, b = x[p], x[plane+p], x[2*plane+p]
		} else {
			r, g, b = x[p], x[p], x[p]
		}
		img.Pix[4*p], img.Pix[4*p+1], img.Pix[4*p+2], img.Pix[4*p+3] = byte8(r), byte8(g), byte8(b), 255
	}
	return img
}

func byte8(v float32) uint8 {
	return uint8(math.Round(float64(min(max(v, 0), 1)) * 255))
}

// heat maps t in [0, 1] to a colour ramp from black through red and
// yellow to white ("hot"), readable on screen and in print.
func heat(t float64) color.NRGBA {
	t = math.Min(math.Max(t, 0), 1)
	r := math.Min(1, 3*t)
	g := math.Min(1, math.Max(0, 3*t-1))
	b := math.Min(1, math.Max(0, 3*t-2))
	return color.NRGBA{uint8(255 * r), uint8(255 * g), uint8(255 * b), 255}
}

// normalised returns m scaled to [0, 1] by its range (robust: the top
// 0.5% of values saturate, so one spike does not blacken the rest).
func normalised(m Map) []float64 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range m.V {
		lo, hi = math.Min(lo, float64(v)), math.Max(hi, float64(v))
	}
	if len(m.V) > 200 {
		s := append([]float32(nil), m.V...)
		k := len(s) - 1 - len(s)/200
		hi = float64(quickselect.Nth(s, k, nil))
	}
	out := make([]float64, len(m.V))
	if hi <= lo {
		return out
	}
	for i, v := range m.V {
		out[i] = (float64(v) - lo) / (hi - lo)
	}
	return out
}

// HeatImage renders a map with the "hot" colour ramp.
func HeatImage(m Map) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, m.W, m.H))
	for i, t := range normalised(m) {
		c := heat(t)
		copy(img.Pix[4*i:], []uint8{c.R, c.G, c.B, c.A})
	}
	return img
}

// Overlay blends the heat map (resized to the image) over the image, with
// the map's weight growing with its value: alpha is the weight at the
// map's top.
func Overlay(x []float32, c, h, w int, m Map, alpha float64) *image.NRGBA {
	if m.H != h || m.W != w {
		m = Resize(m, h, w)
	}
	img := PixelImage(x, c, h, w)
	for i, t := range normalised(m) {
		hc := heat(t)
		a := alpha * t
		for k, v := range []uint8{hc.R, hc.G, hc.B} {
			img.Pix[4*i+k] = uint8(float64(img.Pix[4*i+k])*(1-a) + float64(v)*a)
		}
	}
	return img
}

// GradientImage renders a signed C×H×W gradient as an image: zero is grey,
// each channel scaled by the largest magnitude (how guided
// backpropagation is usually shown).
func GradientImage(g []float32, c, h, w int) *image.NRGBA {
	var mx float64
	for _, v := range g {
		mx = math.Max(mx, math.Abs(float64(v)))
	}
	x := make([]float32, len(g))
	for i, v := range g {
		if mx > 0 {
			x[i] = 0.5 + 0.5*float32(float64(v)/mx)
		} else {
			x[i] = 0.5
		}
	}
	return PixelImage(x, c, h, w)
}

// Strip sets images side by side on white, gap pixels apart, each
// enlarged by an integer factor to be at least minSide tall.
func Strip(minSide, gap int, imgs ...image.Image) *image.NRGBA {
	hmax := 0
	for _, im := range imgs {
		hmax = max(hmax, im.Bounds().Dy())
	}
	scale := max(1, (minSide+hmax-1)/max(hmax, 1))
	wsum := gap
	for _, im := range imgs {
		wsum += im.Bounds().Dx()*scale + gap
	}
	out := image.NewNRGBA(image.Rect(0, 0, wsum, hmax*scale+2*gap))
	draw.Draw(out, out.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	x0 := gap
	for _, im := range imgs {
		b := im.Bounds()
		for y := 0; y < b.Dy()*scale; y++ {
			for x := 0; x < b.Dx()*scale; x++ {
				out.Set(x0+x, gap+y, im.At(b.Min.X+x/scale, b.Min.Y+y/scale))
			}
		}
		x0 += b.Dx()*scale + gap
	}
	return out
}
