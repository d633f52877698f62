package attrib

import (
	"context"
	"fmt"
)

// OcclusionOptions tune Occlusion.
type OcclusionOptions struct {
	Patch  int // side of the square patch in pixels (1/4 of the image side)
	Stride int // step between patches (half the patch)
	// Fill is the patch's pixel value, one per channel or one for all
	// (nil: 0.5 grey).
	Fill     []float32
	Batch    int // occluded images per forward pass (64)
	Progress Progress
}

// Occlusion (Zeiler and Fergus, 2014) slides a grey patch over each image
// and maps, for every pixel, the mean drop in the probability of the
// image's class over the patches that covered it (Captum's averaging; the
// patches also overhang the border, so every pixel is covered equally).
func (n Net) Occlusion(ctx context.Context, x []float32, N int, classes []int, o OcclusionOptions) ([]Map, error) {
	in := n.Input()
	c, h, w := in[0], in[1], in[2]
	if len(classes) != N {
		return nil, fmt.Errorf("%d classes for %d images", len(classes), N)
	}
	for _, k := range classes {
		if err := n.check(ClassTarget(k)); err != nil {
			return nil, err
		}
	}
	if o.Patch <= 0 {
		o.Patch = max(1, min(h, w)/4)
	}
	if o.Stride <= 0 {
		o.Stride = max(1, o.Patch/2)
	}
	if o.Patch > h || o.Patch > w {
		return nil, fmt.Errorf("patch %d is larger than the %dx%d image", o.Patch, h, w)
	}
	if o.Batch <= 0 {
		o.Batch = 64
	}
	fill := make([]float32, c)
	switch len(o.Fill) {
	case 0:
		for i := range fill {
			fill[i] = 0.5
		}
	case 1:
		for i := range fill {
			fill[i] = o.Fill[0]
		}
	case c:
		copy(fill, o.Fill)
	default:
		return nil, fmt.Errorf("fill has %d values for %d channels", len(o.Fill), c)
	}
	type pos struct{ y, x int }
	var windows []pos
	// Patches overhang the border (clipped to the image), so that pixels
	// near the edges are covered as often as the others and the mean is
	// not biased there.
	over := max(o.Patch-o.Stride, 0)
	for y := -over; y < h; y += o.Stride {
		for x := -over; x < w; x += o.Stride {
			windows = append(windows, pos{y, x})
		}
	}
	d := c * h * w
	maps := make([]Map, N)
	for i := range N {
		img := x[i*d : (i+1)*d]
		p0 := Softmax(n.Logits(img, 1), 1)[classes[i]]
		sum := make([]float32, h*w)
		count := make([]float32, h*w)
		for lo := 0; lo < len(windows); lo += o.Batch {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			hi := min(lo+o.Batch, len(windows))
			batch := make([]float32, (hi-lo)*d)
			for j, wp := range windows[lo:hi] {
				b := batch[j*d : (j+1)*d]
				copy(b, img)
				for ch := range c {
					for y := max(wp.y, 0); y < min(wp.y+o.Patch, h); y++ {
						for x := max(wp.x, 0); x < min(wp.x+o.Patch, w); x++ {
							b[(ch*h+y)*w+x] = fill[ch]
						}
					}
				}
			}
			probs := Softmax(n.Logits(batch, hi-lo), hi-lo)
			k := len(probs) / (hi - lo)
			for j, wp := range windows[lo:hi] {
				drop := p0 - probs[j*k+classes[i]]
				for y := max(wp.y, 0); y < min(wp.y+o.Patch, h); y++ {
					for x := max(wp.x, 0); x < min(wp.x+o.Patch, w); x++ {
						sum[y*w+x] += drop
						count[y*w+x]++
					}
				}
			}
			o.Progress.report(i*len(windows)+hi, N*len(windows))
		}
		for j := range sum {
			if count[j] > 0 {
				sum[j] /= count[j]
			}
		}
		maps[i] = Map{H: h, W: w, V: sum}
	}
	return maps, nil
}
