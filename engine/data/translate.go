package data

// Flip-and-translate augmentation as airbench does it for CIFAR-10: each
// image is reflect-padded by Pad pixels, a random H x W window is cropped
// (a translation of up to ±Pad pixels whose borders mirror the image
// instead of filling with a constant) and, with probability one half,
// mirrored left to right. Normalisation happens in the same pass, so a
// uint8 image becomes the float32 the network reads with one write per
// value and no padded copy.

// Reflect maps a coordinate i in [-n+1, 2n-2] into [0, n) by mirroring at
// the borders without repeating the edge pixel (numpy's and PyTorch's
// "reflect" padding).
func Reflect(i, n int) int {
	if n == 1 {
		return 0
	}
	for i < 0 || i >= n {
		if i < 0 {
			i = -i
		}
		if i >= n {
			i = 2*(n-1) - i
		}
	}
	return i
}

// Crop says how one image is augmented: the window's offset (DY, DX) in
// [0, 2·pad] within the reflect-padded image, and whether it is mirrored.
type Crop struct {
	DY, DX int
	Flip   bool
}

// NormalizeCrop writes into dst (c·h·w values) the image src (c·h·w uint8
// values, CHW) reflect-padded by pad, cropped at cr and mirrored when
// cr.Flip, each value mapped to (v/255 - mean[ch]) / std[ch]. With pad 0
// and no flip it is plain normalisation.
func NormalizeCrop(dst []float32, src []uint8, c, h, w, pad int, cr Crop, mean, std []float32) {
	xs := make([]int, w)
	for x := range xs {
		sx := x
		if cr.Flip {
			sx = w - 1 - x
		}
		xs[x] = Reflect(sx+cr.DX-pad, w)
	}
	for ch := 0; ch < c; ch++ {
		scale := 1 / (255 * std[ch])
		shift := -mean[ch] / std[ch]
		plane := src[ch*h*w : (ch+1)*h*w]
		for y := 0; y < h; y++ {
			row := plane[Reflect(y+cr.DY-pad, h)*w:]
			out := dst[(ch*h+y)*w : (ch*h+y+1)*w]
			for x, sx := range xs {
				out[x] = float32(row[sx])*scale + shift
			}
		}
	}
}
