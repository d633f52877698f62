package texture

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// ELOptions configure Efros-Leung synthesis.
type ELOptions struct {
	// Window is the odd side of the square neighbourhood compared (11).
	Window int
	// Eps: the pixel is copied from a source window chosen uniformly among
	// those whose distance is at most (1+Eps) times the best (0.1).
	Eps float64
	// MaxErr is the paper's error threshold: a pixel whose best match is
	// farther (distance per value) waits for more of its neighbours, and
	// the threshold grows by 10% when a pass fills nothing (0.1).
	MaxErr float64
	// SeedSize is the side of the random source patch the image grows
	// from, placed at its centre (3).
	SeedSize int
	Seed     uint64
	Progress Progress
}

func (o ELOptions) defaults() ELOptions {
	if o.Window == 0 {
		o.Window = 11
	}
	if o.Eps == 0 {
		o.Eps = 0.1
	}
	if o.MaxErr == 0 {
		o.MaxErr = 0.1
	}
	if o.SeedSize == 0 {
		o.SeedSize = 3
	}
	return o
}

// checkWindow checks that an odd window fits in the source.
func checkWindow(src Image, window int) error {
	if window < 3 || window%2 == 0 {
		return fmt.Errorf("texture: window %d: use an odd size of 3 or more", window)
	}
	if window > src.H || window > src.W {
		return fmt.Errorf("texture: window %d is larger than the %dx%d source; use a smaller window or a larger source", window, src.H, src.W)
	}
	return nil
}

// known is one filled pixel of a window: its offset in the source (from
// the window's centre, in values) and its Gaussian weight.
type known struct {
	src int
	g   float32
}

// EfrosLeung synthesises an h×w texture like src (Efros and Leung, 1999).
// The image grows from a seed patch; each pass takes the unfilled pixels
// that touch filled ones, most filled neighbours first (ties in random
// order), and fills each from a source window matching its known pixels
// (Gaussian-weighted SSD, σ = window/6.4) within (1+Eps) of the best.
func EfrosLeung(ctx context.Context, src Image, h, w int, o ELOptions) (*Result, error) {
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
	if o.Eps < 0 {
		return nil, fmt.Errorf("texture: eps %g: use a value >= 0", o.Eps)
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0xef705))
	s := toPlane(src)
	c, half := s.c, o.Window/2
	out := newPlane(c, h, w)
	filled := make([]bool, h*w)
	// The seed patch, from a random place in the source, at the centre.
	ss := min(o.SeedSize, s.h, s.w, h, w)
	py, px := rng.IntN(s.h-ss+1), rng.IntN(s.w-ss+1)
	oy, ox := (h-ss)/2, (w-ss)/2
	for y := range ss {
		for x := range ss {
			copy(out.pix[((oy+y)*w+ox+x)*c:][:c], s.pix[((py+y)*s.w+px+x)*c:][:c])
			filled[(oy+y)*w+ox+x] = true
		}
	}
	done := ss * ss
	sigma := float64(o.Window) / 6.4
	gauss := make([]float32, o.Window*o.Window)
	for dy := -half; dy <= half; dy++ {
		for dx := -half; dx <= half; dx++ {
			gauss[(dy+half)*o.Window+dx+half] = float32(math.Exp(-float64(dy*dy+dx*dx) / (2 * sigma * sigma)))
		}
	}
	// Candidate windows: every centre whose window lies inside the source.
	cy, cx := s.h-2*half, s.w-2*half
	maxErr := o.MaxErr
	var dist []float32
	var win []known
	var tv []float32
	var matchSum float64
	for done < h*w {
		front := frontier(filled, h, w, half, rng)
		progress := false
		for _, i := range front {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			y, x := i/w, i%w
			win, tv = win[:0], tv[:0]
			var wsum float32
			for dy := -half; dy <= half; dy++ {
				for dx := -half; dx <= half; dx++ {
					yy, xx := y+dy, x+dx
					if yy < 0 || yy >= h || xx < 0 || xx >= w || !filled[yy*w+xx] {
						continue
					}
					g := gauss[(dy+half)*o.Window+dx+half]
					win = append(win, known{src: (dy*s.w + dx) * c, g: g})
					tv = append(tv, out.pix[(yy*w+xx)*c:][:c]...)
					wsum += g
				}
			}
			norm := 1 / (wsum * float32(c))
			dist = scan(cy*cx, len(tv), dist, func(lo, hi int, d []float32) {
				for j := lo; j < hi; j++ {
					base := ((j/cx+half)*s.w + j%cx + half) * c
					var sum float32
					for k, kn := range win {
						var e float32
						for ch, t := range tv[k*c : (k+1)*c] {
							v := s.pix[base+kn.src+ch] - t
							e += v * v
						}
						sum += kn.g * e
					}
					d[j-lo] = sum * norm
				}
			})
			best := dist[argmin(dist)]
			if float64(best) > maxErr {
				continue
			}
			lim := best * float32(1+o.Eps)
			var near []int
			for j, d := range dist {
				if d <= lim {
					near = append(near, j)
				}
			}
			j := near[rng.IntN(len(near))]
			sp := ((j/cx+half)*s.w + j%cx + half) * c
			copy(out.pix[i*c:(i+1)*c], s.pix[sp:sp+c])
			filled[i] = true
			matchSum += float64(dist[j])
			done++
			progress = true
			if o.Progress != nil && done%w == 0 {
				o.Progress(done, h*w)
			}
		}
		if !progress {
			maxErr *= 1.1
		}
	}
	if o.Progress != nil {
		o.Progress(h*w, h*w)
	}
	seeded := ss * ss
	return &Result{Image: out.image(), MatchDistance: matchSum / float64(max(1, h*w-seeded)), Pixels: h*w - seeded}, nil
}

// frontier is the unfilled pixels touching filled ones, most filled
// neighbours (in the window of half-size half) first, ties in random
// order.
func frontier(filled []bool, h, w, half int, rng *rand.Rand) []int {
	var front []int
	count := map[int]int{}
	for i := range h * w {
		if filled[i] {
			continue
		}
		y, x := i/w, i%w
		touch := false
		for dy := -1; dy <= 1 && !touch; dy++ {
			for dx := -1; dx <= 1; dx++ {
				if yy, xx := y+dy, x+dx; yy >= 0 && yy < h && xx >= 0 && xx < w && filled[yy*w+xx] {
					touch = true
					break
				}
			}
		}
		if !touch {
			continue
		}
		n := 0
		for dy := -half; dy <= half; dy++ {
			for dx := -half; dx <= half; dx++ {
				if yy, xx := y+dy, x+dx; yy >= 0 && yy < h && xx >= 0 && xx < w && filled[yy*w+xx] {
					n++
				}
			}
		}
		front = append(front, i)
		count[i] = n
	}
	rng.Shuffle(len(front), func(i, j int) { front[i], front[j] = front[j], front[i] })
	slices.SortStableFunc(front, func(a, b int) int { return count[b] - count[a] })
	return front
}
