package data

import "math"

// resizeCoverCrop scales a CHW uint8 image so that it covers nh x nw
// (the shorter side fits) and keeps the centre, as torchvision's
// Resize(n) + CenterCrop(n) does. Resampling is separable and
// antialiased: a triangle filter widened by the downscale factor (PIL's
// bilinear), so shrinking averages instead of aliasing.
func resizeCoverCrop(src []uint8, c, h, w, nh, nw int) []uint8 {
	scale := math.Max(float64(nh)/float64(h), float64(nw)/float64(w))
	// The source window that maps onto the output, centred.
	sw, sh := float64(nw)/scale, float64(nh)/scale
	x0, y0 := (float64(w)-sw)/2, (float64(h)-sh)/2
	return resample(src, c, h, w, nh, nw, x0, y0, sw, sh)
}

// resample maps the source window (x0, y0, sw × sh) of a CHW uint8 image
// onto nh x nw with the antialiased triangle filter.
func resample(src []uint8, c, h, w, nh, nw int, x0, y0, sw, sh float64) []uint8 {
	wx := filterWeights(w, nw, x0, sw)
	wy := filterWeights(h, nh, y0, sh)
	tmp := make([]float32, h*nw)
	out := make([]uint8, c*nh*nw)
	for ch := range c {
		plane := src[ch*h*w : (ch+1)*h*w]
		for y := range h {
			row := plane[y*w : (y+1)*w]
			for x, f := range wx {
				var acc float32
				for k, wt := range f.w {
					acc += wt * float32(row[f.first+k])
				}
				tmp[y*nw+x] = acc
			}
		}
		dst := out[ch*nh*nw : (ch+1)*nh*nw]
		for y, f := range wy {
			for x := range nw {
				var acc float32
				for k, wt := range f.w {
					acc += wt * tmp[(f.first+k)*nw+x]
				}
				dst[y*nw+x] = clampByte(acc)
			}
		}
	}
	return out
}

func clampByte(v float32) uint8 {
	v = float32(math.Round(float64(v)))
	if v <= 0 {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return uint8(v)
}

type filterTaps struct {
	first int
	w     []float32
}

// filterWeights gives, for each of n outputs covering [start, start+span)
// of an input of size in, the input taps and their normalised weights.
func filterWeights(in, n int, start, span float64) []filterTaps {
	step := span / float64(n)
	support := math.Max(step, 1)
	taps := make([]filterTaps, n)
	for o := range n {
		centre := start + (float64(o)+0.5)*step
		lo := max(int(math.Floor(centre-support)), 0)
		hi := min(int(math.Ceil(centre+support)), in-1)
		var ws []float32
		var sum float64
		first := -1
		for i := lo; i <= hi; i++ {
			d := math.Abs(float64(i)+0.5-centre) / support
			if d >= 1 {
				if first >= 0 {
					ws = append(ws, 0)
				}
				continue
			}
			if first < 0 {
				first = i
			}
			wt := 1 - d
			ws = append(ws, float32(wt))
			sum += wt
		}
		if first < 0 { // degenerate: take the nearest pixel
			first = min(max(int(centre), 0), in-1)
			ws, sum = []float32{1}, 1
		}
		for k := range ws {
			ws[k] = float32(float64(ws[k]) / sum)
		}
		taps[o] = filterTaps{first: first, w: ws}
	}
	return taps
}
