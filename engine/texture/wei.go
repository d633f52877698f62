package texture

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// WLOptions configure Wei-Levoy synthesis.
type WLOptions struct {
	// Window is the odd side of the causal neighbourhood at each level (5):
	// the Window/2 rows above the pixel and the Window/2 pixels left of it.
	// The coarser level adds its full square window of side
	// 2·max(1, Window/4)+1 around the parent pixel.
	Window int
	// Levels of the Gaussian pyramids (3); 1 is single-resolution.
	Levels int
	// TSVQ searches with a tree-structured vector quantiser (approximate)
	// instead of comparing with every source neighbourhood (exact).
	TSVQ bool
	// Leaf is the TSVQ's leaf size (8).
	Leaf     int
	Seed     uint64
	Progress Progress
}

func (o WLOptions) defaults() WLOptions {
	if o.Window == 0 {
		o.Window = 5
	}
	if o.Levels == 0 {
		o.Levels = 3
	}
	if o.Leaf == 0 {
		o.Leaf = 8
	}
	return o
}

type offset struct{ dy, dx int }

// causal is the L-shaped neighbourhood of half-size half.
func causal(half int) []offset {
	var o []offset
	for dy := -half; dy <= 0; dy++ {
		for dx := -half; dx <= half; dx++ {
			if dy == 0 && dx >= 0 {
				break
			}
			o = append(o, offset{dy, dx})
		}
	}
	return o
}

func square(half int) []offset {
	var o []offset
	for dy := -half; dy <= half; dy++ {
		for dx := -half; dx <= half; dx++ {
			o = append(o, offset{dy, dx})
		}
	}
	return o
}

// searcher finds the nearest neighbourhood vector.
type searcher interface {
	Nearest(q []float32) (int, float32)
}

// WeiLevoy synthesises an h×w texture like src (Wei and Levoy, 2000). The
// output pyramid starts as noise with the source's colours (each pixel
// copied from a random source pixel), then, coarsest level first, every
// pixel in raster order takes the value of the source pixel whose
// neighbourhood (causal at this level, full at the coarser one, the output
// wrapping around at its borders) is nearest, by exact search or TSVQ.
func WeiLevoy(ctx context.Context, src Image, h, w int, o WLOptions) (*Result, error) {
	if err := src.check("the source"); err != nil {
		return nil, err
	}
	o = o.defaults()
	if err := checkWindow(src, o.Window); err != nil {
		return nil, err
	}
	if h < 1 || w < 1 {
		return nil, fmt.Errorf("texture: output size %dx%d", h, w)
	}
	if o.Levels < 1 || o.Levels > 8 {
		return nil, fmt.Errorf("texture: %d pyramid levels: use 1 to 8", o.Levels)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x3e1))
	half := o.Window / 2
	hc := max(1, half/2)
	sp := pyramid(toPlane(src), o.Levels)
	// The output pyramid's sizes, and its noise.
	op := make([]plane, o.Levels)
	total := 0
	for l, oh, ow := 0, h, w; l < o.Levels; l, oh, ow = l+1, (oh+1)/2, (ow+1)/2 {
		op[l] = randomPlane(sp[l], oh, ow, rng)
		total += oh * ow
	}
	fine, coarse := causal(half), square(hc)
	c := sp[0].c
	res := &Result{Pixels: total}
	done := 0
	for l := o.Levels - 1; l >= 0; l-- {
		s, out := sp[l], op[l]
		var sc, oc *plane
		if l+1 < o.Levels {
			sc, oc = &sp[l+1], &op[l+1]
		}
		data, pos := neighbourhoods(s, sc, fine, coarse, hc)
		if len(pos) == 0 {
			return nil, fmt.Errorf("texture: the %dx%d source is too small for %d levels with window %d (level %d is %dx%d); use fewer --levels, a smaller --window or a larger source",
				src.H, src.W, o.Levels, o.Window, l, s.h, s.w)
		}
		dim := len(data) / len(pos)
		var find searcher = &exactSearch{data: data, dim: dim}
		if o.TSVQ {
			find = NewTSVQ(data, dim, o.Leaf)
		}
		q := make([]float32, dim)
		var sum float64
		for y := range out.h {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for x := range out.w {
				k := 0
				for _, f := range fine {
					yy, xx := wrap(y+f.dy, out.h), wrap(x+f.dx, out.w)
					k += copy(q[k:], out.pix[(yy*out.w+xx)*c:][:c])
				}
				if oc != nil {
					for _, f := range coarse {
						yy, xx := wrap(y/2+f.dy, oc.h), wrap(x/2+f.dx, oc.w)
						k += copy(q[k:], oc.pix[(yy*oc.w+xx)*c:][:c])
					}
				}
				j, d := find.Nearest(q)
				copy(out.pix[(y*out.w+x)*c:][:c], s.pix[pos[j]*c:][:c])
				sum += float64(d) / float64(dim)
			}
			done += out.w
			if o.Progress != nil {
				o.Progress(done, total)
			}
		}
		if l == 0 {
			res.MatchDistance = sum / float64(out.h*out.w)
		}
	}
	res.Image = op[0].image()
	return res, nil
}

func wrap(i, n int) int {
	i %= n
	if i < 0 {
		i += n
	}
	return i
}

// neighbourhoods are the neighbourhood vectors of every source pixel whose
// neighbourhood lies inside the source (at this level and, with sc, the
// coarser one), and the pixels' indices.
func neighbourhoods(s plane, sc *plane, fine, coarse []offset, hc int) ([]float32, []int) {
	half := -fine[0].dy
	c := s.c
	var data []float32
	var pos []int
	for y := half; y < s.h; y++ {
		for x := half; x < s.w-half; x++ {
			if sc != nil && (y/2 < hc || y/2+hc >= sc.h || x/2 < hc || x/2+hc >= sc.w) {
				continue
			}
			for _, f := range fine {
				data = append(data, s.pix[((y+f.dy)*s.w+x+f.dx)*c:][:c]...)
			}
			if sc != nil {
				for _, f := range coarse {
					data = append(data, sc.pix[((y/2+f.dy)*sc.w+x/2+f.dx)*c:][:c]...)
				}
			}
			pos = append(pos, y*s.w+x)
		}
	}
	return data, pos
}
