package data

import (
	"image"
	"math"

	"github.com/workbench-cv/workbench/engine/data/augment"
)

// Float returns image i as float32 pixels in [0, 1], ready for an
// augmentation pipeline.
func (s *Set) Float(i int) augment.Image {
	im := augment.Image{C: s.C, H: s.H, W: s.W, Pix: make([]float32, s.Size())}
	for k, v := range s.Image(i) {
		im.Pix[k] = byteToUnit[v]
	}
	return im
}

// Picture returns image i as an image.Image (Gray for one channel, NRGBA
// for three) for display.
func (s *Set) Picture(i int) image.Image {
	return picture(s.C, s.H, s.W, func(k int) uint8 { return s.Images[i*s.Size()+k] })
}

// Picture converts float32 CHW pixels in [0, 1] (values outside are
// clamped) to an image.Image, for showing augmented or mean images.
func Picture(im augment.Image) image.Image {
	return picture(im.C, im.H, im.W, func(k int) uint8 {
		return uint8(math.Round(math.Min(math.Max(float64(im.Pix[k]), 0), 1) * 255))
	})
}

func picture(c, h, w int, at func(k int) uint8) image.Image {
	plane := h * w
	if c == 1 {
		g := image.NewGray(image.Rect(0, 0, w, h))
		for k := range plane {
			g.Pix[k] = at(k)
		}
		return g
	}
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for k := range plane {
		m.Pix[4*k] = at(k)
		m.Pix[4*k+1] = at(plane + k)
		m.Pix[4*k+2] = at(2*plane + k)
		m.Pix[4*k+3] = 255
	}
	return m
}
