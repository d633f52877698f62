package data

import (
	"image"
	"image/color"
	"testing"
)

func TestPictureRoundTrip(t *testing.T) {
	s := synthSet(3, 2, 3, 4, 5)
	p := s.Picture(1)
	if p.Bounds().Dx() != 5 || p.Bounds().Dy() != 4 {
		t.Fatalf("bounds %v", p.Bounds())
	}
	// The picture decodes back to the same CHW bytes.
	pix, h, w := toRGBCHW(p)
	if h != 4 || w != 5 || string(pix) != string(s.Image(1)) {
		t.Fatal("Picture does not hold the image's pixels")
	}
	f := s.Float(1)
	back := Picture(f)
	if back.At(2, 3) != p.At(2, 3) {
		t.Fatalf("Float+Picture changed a pixel: %v vs %v", back.At(2, 3), p.At(2, 3))
	}
	g := synthSet(1, 1, 1, 2, 2)
	if _, ok := g.Picture(0).(*image.Gray); !ok {
		t.Fatal("one channel should give a Gray image")
	}
	if g.Picture(0).At(1, 0) != (color.Gray{Y: g.Images[1]}) {
		t.Fatal("grey pixel misplaced")
	}
}
