package augment

import (
	"fmt"
	"math"
	"math/rand/v2"
)

type flip struct {
	p          float64
	horizontal bool
}

func (f flip) Name() string {
	if f.horizontal {
		return "hflip:" + fmtF(f.p)
	}
	return "vflip:" + fmtF(f.p)
}

func (f flip) Apply(im Image, r *rand.Rand, _ *Env) {
	if r.Float64() >= f.p {
		return
	}
	if f.horizontal {
		HFlip(im)
	} else {
		VFlip(im)
	}
}

// HFlip mirrors im left to right, in place.
func HFlip(im Image) {
	for c := range im.C {
		for y := range im.H {
			row := im.Pix[(c*im.H+y)*im.W : (c*im.H+y+1)*im.W]
			for a, b := 0, len(row)-1; a < b; a, b = a+1, b-1 {
				row[a], row[b] = row[b], row[a]
			}
		}
	}
}

// VFlip mirrors im top to bottom, in place.
func VFlip(im Image) {
	for c := range im.C {
		plane := im.Pix[c*im.H*im.W : (c+1)*im.H*im.W]
		for a, b := 0, im.H-1; a < b; a, b = a+1, b-1 {
			ra, rb := plane[a*im.W:(a+1)*im.W], plane[b*im.W:(b+1)*im.W]
			for x := range ra {
				ra[x], rb[x] = rb[x], ra[x]
			}
		}
	}
}

// Shift moves im by (dx, dy) pixels (right and down positive), filling
// uncovered pixels with fill, in place.
func Shift(im Image, dx, dy int, fill float32) {
	w, h := im.W, im.H
	for c := range im.C {
		plane := im.Pix[c*h*w : (c+1)*h*w]
		// Walk rows away from the direction of motion so every source row
		// is read before it is overwritten.
		for k := range h {
			y := k
			if dy > 0 {
				y = h - 1 - k
			}
			dst := plane[y*w : (y+1)*w]
			sy := y - dy
			if sy < 0 || sy >= h || dx >= w || -dx >= w {
				for x := range dst {
					dst[x] = fill
				}
				continue
			}
			src := plane[sy*w : (sy+1)*w]
			if dx >= 0 {
				copy(dst[dx:], src[:w-dx])
				for x := range dx {
					dst[x] = fill
				}
			} else {
				copy(dst[:w+dx], src[-dx:])
				for x := w + dx; x < w; x++ {
					dst[x] = fill
				}
			}
		}
	}
}

type crop struct{ pad int }

func (c crop) Name() string { return fmt.Sprintf("crop:%d", c.pad) }

func padFor(pad, side int) int {
	if pad > 0 {
		return pad
	}
	return max(1, int(math.Round(float64(side)/8)))
}

// Apply pads with zeros by pad on every side and crops H x W at a random
// offset: the same as shifting by up to pad pixels each way.
func (c crop) Apply(im Image, r *rand.Rand, _ *Env) {
	p := padFor(c.pad, min(im.H, im.W))
	ox, oy := r.IntN(2*p+1), r.IntN(2*p+1)
	Shift(im, p-ox, p-oy, 0)
}

type translate struct{ frac float64 }

func (t translate) Name() string { return "translate:" + fmtF(t.frac) }

func (t translate) Apply(im Image, r *rand.Rand, _ *Env) {
	mx, my := int(math.Round(t.frac*float64(im.W))), int(math.Round(t.frac*float64(im.H)))
	dx, dy := r.IntN(2*mx+1)-mx, r.IntN(2*my+1)-my
	Shift(im, dx, dy, 0)
}

// bilinear samples plane (h x w) at (x, y) in pixel-centre coordinates,
// returning fill outside the image.
func bilinear(plane []float32, h, w int, x, y float64, fill float32) float32 {
	x -= 0.5
	y -= 0.5
	if x < -1 || y < -1 || x > float64(w) || y > float64(h) {
		return fill
	}
	x0, y0 := int(math.Floor(x)), int(math.Floor(y))
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	at := func(xx, yy int) float32 {
		if xx < 0 || yy < 0 || xx >= w || yy >= h {
			return fill
		}
		return plane[yy*w+xx]
	}
	top := at(x0, y0)*(1-fx) + at(x0+1, y0)*fx
	bot := at(x0, y0+1)*(1-fx) + at(x0+1, y0+1)*fx
	return top*(1-fy) + bot*fy
}

// Affine resamples im in place: output pixel centre (x, y) takes the
// bilinear sample of the input at (a*x + b*y + tx, c*x + d*y + ty), in
// pixel units; samples outside the image are fill.
func Affine(im Image, a, b, tx, c, d, ty float64, fill float32) {
	out := make([]float32, len(im.Pix))
	plane := im.H * im.W
	for ch := range im.C {
		src := im.Pix[ch*plane : (ch+1)*plane]
		for y := range im.H {
			cy := float64(y) + 0.5
			for x := range im.W {
				cx := float64(x) + 0.5
				out[ch*plane+y*im.W+x] = bilinear(src, im.H, im.W, a*cx+b*cy+tx, c*cx+d*cy+ty, fill)
			}
		}
	}
	copy(im.Pix, out)
}

// Rotate turns im by deg degrees (counter-clockwise on screen) about its
// centre, filling the corners with fill.
func Rotate(im Image, deg float64, fill float32) {
	t := deg * math.Pi / 180
	cos, sin := math.Cos(t), math.Sin(t)
	cx, cy := float64(im.W)/2, float64(im.H)/2
	// Inverse map: rotate output coordinates by -t about the centre. With y
	// pointing down, a counter-clockwise turn on screen is this matrix.
	a, b := cos, -sin
	c, d := sin, cos
	Affine(im, a, b, cx-a*cx-b*cy, c, d, cy-c*cx-d*cy, fill)
}

type rotate struct{ deg float64 }

func (o rotate) Name() string { return "rotate:" + fmtF(o.deg) }

func (o rotate) Apply(im Image, r *rand.Rand, _ *Env) {
	Rotate(im, (2*r.Float64()-1)*o.deg, 0)
}

type scale struct{ amount float64 }

func (o scale) Name() string { return "scale:" + fmtF(o.amount) }

func (o scale) Apply(im Image, r *rand.Rand, _ *Env) {
	f := 1 + (2*r.Float64()-1)*o.amount
	inv := 1 / f
	cx, cy := float64(im.W)/2, float64(im.H)/2
	Affine(im, inv, 0, cx-inv*cx, 0, inv, cy-inv*cy, 0)
}

type resizedCrop struct{ minScale float64 }

func (o resizedCrop) Name() string { return "resized-crop:" + fmtF(o.minScale) }

// Apply follows torchvision's RandomResizedCrop: up to ten tries at a box
// of random area fraction and log-uniform aspect ratio that fits, else the
// central box of clamped aspect; the box is resized back to H x W.
func (o resizedCrop) Apply(im Image, r *rand.Rand, _ *Env) {
	h, w := float64(im.H), float64(im.W)
	area := h * w
	bw, bh, bx, by := w, h, 0.0, 0.0
	found := false
	for range 10 {
		target := area * (o.minScale + r.Float64()*(1-o.minScale))
		ratio := math.Exp(math.Log(3.0/4) + r.Float64()*(math.Log(4.0/3)-math.Log(3.0/4)))
		cw := math.Round(math.Sqrt(target * ratio))
		ch := math.Round(math.Sqrt(target / ratio))
		if cw >= 1 && ch >= 1 && cw <= w && ch <= h {
			bw, bh = cw, ch
			bx = float64(r.IntN(int(w-cw) + 1))
			by = float64(r.IntN(int(h-ch) + 1))
			found = true
			break
		}
	}
	if !found {
		ratio := w / h
		switch {
		case ratio < 3.0/4:
			bw, bh = w, math.Round(w/(3.0/4))
		case ratio > 4.0/3:
			bh, bw = h, math.Round(h*4.0/3)
		}
		bx, by = math.Floor((w-bw)/2), math.Floor((h-bh)/2)
	}
	sx, sy := bw/w, bh/h
	Affine(im, sx, 0, bx, 0, sy, by, 0)
}

type jitter struct{ b, c, s float64 }

func (j jitter) Name() string {
	switch {
	case j.c == 0 && j.s == 0:
		return "brightness:" + fmtF(j.b)
	case j.b == 0 && j.s == 0:
		return "contrast:" + fmtF(j.c)
	case j.b == 0 && j.c == 0:
		return "saturation:" + fmtF(j.s)
	}
	return "jitter:" + fmtF(j.b)
}

// Apply draws the three factors, then applies them in a random order, as
// torchvision's ColorJitter does.
func (j jitter) Apply(im Image, r *rand.Rand, _ *Env) {
	draw := func(a float64) float32 {
		if a == 0 {
			return 1
		}
		return float32(1 + (2*r.Float64()-1)*a)
	}
	fb, fc, fs := draw(j.b), draw(j.c), draw(j.s)
	for _, k := range r.Perm(3) {
		switch k {
		case 0:
			if fb != 1 {
				Brightness(im, fb)
			}
		case 1:
			if fc != 1 {
				Contrast(im, fc)
			}
		case 2:
			if fs != 1 {
				Saturation(im, fs)
			}
		}
	}
}

func clamp01(v float32) float32 {
	if v < 0 {
		return 0
	}
	if v > 1 {
		return 1
	}
	return v
}

// Brightness scales every pixel by f, clamped to [0, 1].
func Brightness(im Image, f float32) {
	for i, v := range im.Pix {
		im.Pix[i] = clamp01(v * f)
	}
}

// grey returns the luma plane of im (the plane itself when C is 1).
func grey(im Image) []float32 {
	plane := im.H * im.W
	if im.C != 3 {
		return append([]float32(nil), im.Pix[:plane]...)
	}
	g := make([]float32, plane)
	for i := range g {
		g[i] = 0.299*im.Pix[i] + 0.587*im.Pix[plane+i] + 0.114*im.Pix[2*plane+i]
	}
	return g
}

// Contrast blends im with its mean grey level: f = 0 gives a flat grey
// image, 1 the original.
func Contrast(im Image, f float32) {
	var mean float64
	g := grey(im)
	for _, v := range g {
		mean += float64(v)
	}
	m := float32(mean / float64(len(g)))
	for i, v := range im.Pix {
		im.Pix[i] = clamp01(f*v + (1-f)*m)
	}
}

// Saturation blends im with its grey version: f = 0 gives grey, 1 the
// original. Grey images are unchanged.
func Saturation(im Image, f float32) {
	if im.C != 3 {
		return
	}
	g := grey(im)
	plane := im.H * im.W
	for c := range 3 {
		p := im.Pix[c*plane : (c+1)*plane]
		for i, v := range p {
			p[i] = clamp01(f*v + (1-f)*g[i])
		}
	}
}

type pcaColour struct{ sigma float64 }

func (o pcaColour) Name() string { return "pca-colour:" + fmtF(o.sigma) }

// Apply adds sum_i alpha_i sqrt(lambda_i) v_i to every pixel, alpha_i ~
// N(0, sigma) (Krizhevsky et al. 2012, with the component's standard
// deviation as scale, as common implementations do), clamped to [0, 1].
func (o pcaColour) Apply(im Image, r *rand.Rand, env *Env) {
	if env == nil || env.ColourPCA == nil || env.ColourPCA.C != im.C {
		return
	}
	p := env.ColourPCA
	shift := make([]float32, im.C)
	for i := range im.C {
		a := r.NormFloat64() * o.sigma * math.Sqrt(math.Max(float64(p.Values[i]), 0))
		for c := range im.C {
			shift[c] += float32(a) * p.Vectors[i*im.C+c]
		}
	}
	plane := im.H * im.W
	for c := range im.C {
		pl := im.Pix[c*plane : (c+1)*plane]
		for k, v := range pl {
			pl[k] = clamp01(v + shift[c])
		}
	}
}

type cutout struct{ size int }

func (o cutout) Name() string { return fmt.Sprintf("cutout:%d", o.size) }

// Apply paints a size x size square, centred anywhere in the image (so it
// may be clipped), with the fill value (DeVries and Taylor 2017).
func (o cutout) Apply(im Image, r *rand.Rand, env *Env) {
	s := o.size
	if s <= 0 {
		s = max(1, min(im.H, im.W)/2)
	}
	cy, cx := r.IntN(im.H), r.IntN(im.W)
	y0, y1 := max(cy-s/2, 0), min(cy-s/2+s, im.H)
	x0, x1 := max(cx-s/2, 0), min(cx-s/2+s, im.W)
	for c := range im.C {
		f := env.fill(c)
		for y := y0; y < y1; y++ {
			row := im.Pix[(c*im.H+y)*im.W : (c*im.H+y+1)*im.W]
			for x := x0; x < x1; x++ {
				row[x] = f
			}
		}
	}
}

type erase struct{ p float64 }

func (o erase) Name() string { return "erase:" + fmtF(o.p) }

// Apply follows Zhong et al. 2017: with probability p, a rectangle of area
// 2-33% of the image and aspect ratio 0.3-3.3 is filled with uniform noise.
func (o erase) Apply(im Image, r *rand.Rand, _ *Env) {
	if r.Float64() >= o.p {
		return
	}
	area := float64(im.H * im.W)
	for range 10 {
		target := area * (0.02 + r.Float64()*(0.33-0.02))
		ratio := math.Exp(math.Log(0.3) + r.Float64()*(math.Log(3.3)-math.Log(0.3)))
		eh := int(math.Round(math.Sqrt(target * ratio)))
		ew := int(math.Round(math.Sqrt(target / ratio)))
		if eh < 1 || ew < 1 || eh >= im.H || ew >= im.W {
			continue
		}
		y0, x0 := r.IntN(im.H-eh+1), r.IntN(im.W-ew+1)
		for c := range im.C {
			for y := y0; y < y0+eh; y++ {
				row := im.Pix[(c*im.H+y)*im.W : (c*im.H+y+1)*im.W]
				for x := x0; x < x0+ew; x++ {
					row[x] = r.Float32()
				}
			}
		}
		return
	}
}
