package texture

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// Image is a picture as float32 planes C,H,W with values in [0, 1].
type Image struct {
	Pix     []float32
	C, H, W int
}

// Progress is called with the pixels done and the total.
type Progress func(done, total int)

// Result is a synthesised texture.
type Result struct {
	Image Image
	// MatchDistance is the mean over synthesised pixels of the distance
	// (mean squared difference per value, over the pixels the method
	// compared) between the pixel's neighbourhood and the source
	// neighbourhood it copied from.
	MatchDistance float64
	// Pixels is the number of pixels synthesised (all pyramid levels).
	Pixels int
}

func (m Image) check(name string) error {
	if m.C < 1 || m.H < 1 || m.W < 1 || len(m.Pix) != m.C*m.H*m.W {
		return fmt.Errorf("texture: %s is %d values for %dx%dx%d", name, len(m.Pix), m.C, m.H, m.W)
	}
	return nil
}

// plane is an image stored pixel-interleaved (H,W,C), so that a pixel's
// channels are adjacent in the inner loops.
type plane struct {
	pix     []float32
	c, h, w int
}

func toPlane(m Image) plane {
	p := plane{pix: make([]float32, len(m.Pix)), c: m.C, h: m.H, w: m.W}
	hw := m.H * m.W
	for ch := range m.C {
		for i := range hw {
			p.pix[i*m.C+ch] = m.Pix[ch*hw+i]
		}
	}
	return p
}

func (p plane) image() Image {
	m := Image{Pix: make([]float32, len(p.pix)), C: p.c, H: p.h, W: p.w}
	hw := p.h * p.w
	for ch := range p.c {
		for i := range hw {
			m.Pix[ch*hw+i] = p.pix[i*p.c+ch]
		}
	}
	return m
}

func newPlane(c, h, w int) plane {
	return plane{pix: make([]float32, c*h*w), c: c, h: h, w: w}
}

// reflect maps i into [0, n) by mirroring at the borders.
func reflect(i, n int) int {
	for i < 0 || i >= n {
		if i < 0 {
			i = -i
		}
		if i >= n {
			i = 2*(n-1) - i
		}
		if n == 1 {
			return 0
		}
	}
	return i
}

// down is the next level of a Gaussian pyramid: the binomial filter
// [1 4 6 4 1]/16 in both directions (mirrored borders), then every other
// pixel; the size is halved rounding up.
func (p plane) down() plane {
	k := [5]float32{1.0 / 16, 4.0 / 16, 6.0 / 16, 4.0 / 16, 1.0 / 16}
	h2, w2 := (p.h+1)/2, (p.w+1)/2
	tmp := newPlane(p.c, p.h, w2) // filtered along x at even columns
	for y := range p.h {
		for x := range w2 {
			for t, kv := range k {
				sx := reflect(2*x+t-2, p.w)
				for ch := range p.c {
					tmp.pix[(y*w2+x)*p.c+ch] += kv * p.pix[(y*p.w+sx)*p.c+ch]
				}
			}
		}
	}
	out := newPlane(p.c, h2, w2)
	for y := range h2 {
		for t, kv := range k {
			sy := reflect(2*y+t-2, p.h)
			row, src := out.pix[y*w2*p.c:(y+1)*w2*p.c], tmp.pix[sy*w2*p.c:(sy+1)*w2*p.c]
			for i := range row {
				row[i] += kv * src[i]
			}
		}
	}
	return out
}

// pyramid is p and its levels-1 coarser levels, finest first.
func pyramid(p plane, levels int) []plane {
	out := []plane{p}
	for len(out) < levels {
		out = append(out, out[len(out)-1].down())
	}
	return out
}

// scanWork is how many value comparisons make a parallel scan worth its
// goroutines.
const scanWork = 1 << 16

// scan computes d(i) for i in [0, n) and returns the distances. It runs in
// chunks on up to GOMAXPROCS goroutines when n·cost is large; each d(i)
// is computed the same way whatever the split, so the result is the same.
func scan(n, cost int, dist []float32, d func(lo, hi int, out []float32)) []float32 {
	if cap(dist) < n {
		dist = make([]float32, n)
	}
	dist = dist[:n]
	workers := min(runtime.GOMAXPROCS(0), n*cost/scanWork)
	if workers <= 1 {
		d(0, n, dist)
		return dist
	}
	var wg sync.WaitGroup
	step := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += step {
		hi := min(n, lo+step)
		wg.Add(1)
		go func() {
			defer wg.Done()
			d(lo, hi, dist[lo:hi])
		}()
	}
	wg.Wait()
	return dist
}

// argmin is the first index of the smallest value.
func argmin(d []float32) int {
	best := 0
	for i, v := range d {
		if v < d[best] {
			best = i
		}
	}
	return best
}

// Noise is an image of h×w pixels each copied from a random pixel of src:
// noise with the source's colour histogram, where Wei-Levoy starts.
func Noise(src Image, h, w int, seed uint64) Image {
	p := toPlane(src)
	return randomPlane(p, h, w, rand.New(rand.NewPCG(seed, 0x4e015e))).image()
}

func randomPlane(src plane, h, w int, rng *rand.Rand) plane {
	out := newPlane(src.c, h, w)
	n := src.h * src.w
	for i := range h * w {
		j := rng.IntN(n)
		copy(out.pix[i*src.c:(i+1)*src.c], src.pix[j*src.c:(j+1)*src.c])
	}
	return out
}

// Distance measures how well img is made of src's neighbourhoods: the mean,
// over img's window×window neighbourhoods (those fully inside img, at most
// about 1024 of them on a regular grid), of the distance to the nearest
// neighbourhood of src (mean squared difference per value, exact search).
// 0 means every neighbourhood of img occurs in src. It is the loss the
// CLI reports for the non-parametric methods.
func Distance(ctx context.Context, src, img Image, window int) (float64, error) {
	if err := src.check("the source"); err != nil {
		return 0, err
	}
	if err := img.check("the image"); err != nil {
		return 0, err
	}
	if src.C != img.C {
		return 0, fmt.Errorf("texture: the source has %d channels, the image %d", src.C, img.C)
	}
	if window < 1 || window > min(src.H, src.W, img.H, img.W) {
		return 0, fmt.Errorf("texture: a %d-pixel window does not fit in a %dx%d source and a %dx%d image", window, src.H, src.W, img.H, img.W)
	}
	s, m := toPlane(src), toPlane(img)
	c := s.c
	var offs []int // source offsets of the window's values from its top-left
	for dy := range window {
		for dx := range window {
			for ch := range c {
				offs = append(offs, (dy*s.w+dx)*c+ch)
			}
		}
	}
	ny, nx := m.h-window+1, m.w-window+1
	stride := max(1, int(math.Ceil(math.Sqrt(float64(ny*nx)/1024))))
	sy, sx := s.h-window+1, s.w-window+1
	q := make([]float32, len(offs))
	var dist []float32
	total, count := 0.0, 0
	for y := 0; y < ny; y += stride {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		for x := 0; x < nx; x += stride {
			k := 0
			for dy := range window {
				for dx := range window {
					for ch := range c {
						q[k] = m.pix[((y+dy)*m.w+x+dx)*c+ch]
						k++
					}
				}
			}
			dist = scan(sy*sx, len(q), dist, func(lo, hi int, out []float32) {
				for i := lo; i < hi; i++ {
					base := ((i/sx)*s.w + i%sx) * c
					var d float32
					for k, o := range offs {
						e := s.pix[base+o] - q[k]
						d += e * e
					}
					out[i-lo] = d
				}
			})
			total += float64(dist[argmin(dist)]) / float64(len(q))
			count++
		}
	}
	return total / float64(count), nil
}
