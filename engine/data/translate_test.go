package data

import (
	"math"
	"testing"
)

// TestNormalizeCropMatchesPaddedReference builds the reflect-padded image
// explicitly (numpy's "reflect": the edge pixel is not repeated), crops
// and mirrors it, and compares with the one-pass NormalizeCrop.
func TestNormalizeCropMatchesPaddedReference(t *testing.T) {
	c, h, w, pad := 2, 5, 4, 2
	src := make([]uint8, c*h*w)
	for i := range src {
		src[i] = uint8(i * 7 % 251)
	}
	mean, std := []float32{0.5, 0.25}, []float32{0.2, 0.5}
	// padded[ch][y][x] for y in [0, h+2pad), reflect by hand.
	ref := func(i, n int) int {
		if i < 0 {
			return -i
		}
		if i >= n {
			return 2*(n-1) - i
		}
		return i
	}
	for _, cr := range []Crop{{0, 0, false}, {4, 4, false}, {1, 3, true}, {2, 2, true}, {0, 4, true}} {
		got := make([]float32, c*h*w)
		NormalizeCrop(got, src, c, h, w, pad, cr, mean, std)
		for ch := 0; ch < c; ch++ {
			for y := 0; y < h; y++ {
				for x := 0; x < w; x++ {
					px := x
					if cr.Flip {
						px = w - 1 - x
					}
					sy, sx := ref(y+cr.DY-pad, h), ref(px+cr.DX-pad, w)
					want := (float32(src[(ch*h+sy)*w+sx])/255 - mean[ch]) / std[ch]
					if g := got[(ch*h+y)*w+x]; math.Abs(float64(g-want)) > 1e-5 {
						t.Fatalf("crop %+v at c%d y%d x%d: got %g, want %g", cr, ch, y, x, g, want)
					}
				}
			}
		}
	}
}

func TestReflect(t *testing.T) {
	// numpy.pad(arange(4), 3, mode="reflect") = 3 2 1 | 0 1 2 3 | 2 1 0
	want := []int{3, 2, 1, 0, 1, 2, 3, 2, 1, 0}
	for i, wv := range want {
		if g := Reflect(i-3, 4); g != wv {
			t.Errorf("Reflect(%d, 4) = %d, want %d", i-3, g, wv)
		}
	}
	if Reflect(-2, 1) != 0 {
		t.Error("a 1-pixel side must map everything to 0")
	}
}
