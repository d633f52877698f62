package segment

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
)

// Trimap labels: the seeds fix Background and Foreground pixels; the cut
// decides the Probable ones (their value is the starting guess).
const (
	Background     uint8 = 0
	Foreground     uint8 = 1
	ProbBackground uint8 = 2
	ProbForeground uint8 = 3
)

// Options tune GrabCut.
type Options struct {
	// Iterations of re-fitting the colour models and cutting (5); it stops
	// sooner when the mask no longer changes.
	Iterations int
	// Gamma weighs the smoothness of the boundary against the colour
	// models (50, the paper's).
	Gamma float64
	Seed  uint64 // k-means seeding
}

// Result is a segmentation.
type Result struct {
	Mask       []bool // H×W, true on the object
	Iterations int    // iterations run
	Energy     float64
}

// GrabCut segments the image img (C×H×W values in [0, 1], C 1 or 3) from
// the trimap (H×W of the labels above).
func GrabCut(ctx context.Context, img []float32, c, h, w int, trimap []uint8, opt Options) (*Result, error) {
	n := h * w
	switch {
	case c != 1 && c != 3:
		return nil, fmt.Errorf("GrabCut takes grey or RGB images, not %d channels", c)
	case h < 2 || w < 2 || len(img) != c*n:
		return nil, fmt.Errorf("%d values for a %dx%dx%d image", len(img), c, h, w)
	case len(trimap) != n:
		return nil, fmt.Errorf("the trimap has %d labels for %dx%d pixels", len(trimap), h, w)
	}
	if opt.Iterations <= 0 {
		opt.Iterations = 5
	}
	if opt.Gamma <= 0 {
		opt.Gamma = 50
	}
	z := make([][3]float64, n)
	for p := range n {
		for a := range 3 {
			z[p][a] = float64(img[min(a, c-1)*n+p])
		}
	}
	fg := make([]bool, n)
	for p, t := range trimap {
		if t > ProbForeground {
			return nil, fmt.Errorf("trimap label %d at pixel %d: use 0 to 3", t, p)
		}
		fg[p] = t == Foreground || t == ProbForeground
	}
	pairs := smoothness(z, h, w, opt.Gamma)
	rng := rand.New(rand.NewPCG(opt.Seed, 7))
	res := &Result{}
	var fm, bm *gmm
	for it := range opt.Iterations {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var fz, bz [][3]float64
		for p := range n {
			if fg[p] {
				fz = append(fz, z[p])
			} else {
				bz = append(bz, z[p])
			}
		}
		if len(fz) == 0 || len(bz) == 0 {
			if it > 0 {
				return nil, fmt.Errorf("iteration %d labelled every pixel alike: the seeds do not tell the object's colours from the background's; seed more of the object", it)
			}
			return nil, errors.New("the seeds leave no object or no background pixels: mark some of each")
		}
		if it == 0 {
			fm, bm = fit(fz, kmeans(fz, rng)), fit(bz, kmeans(bz, rng))
		} else {
			// Each pixel to the most likely component of its model (the
			// paper's step 1), then re-fit the models (step 2).
			fm, bm = refit(fm, fz), refit(bm, bz)
		}
		next, energy := cut(z, h, w, trimap, fm, bm, pairs, opt.Gamma)
		res.Iterations, res.Energy = it+1, energy
		changed := false
		for p := range n {
			if next[p] != fg[p] {
				changed = true
			}
		}
		fg = next
		if !changed && it > 0 {
			break
		}
	}
	res.Mask = fg
	return res, nil
}

// refit assigns each colour to its most likely component of m and
// re-estimates the mixture.
func refit(m *gmm, z [][3]float64) *gmm {
	lab := make([]int, len(z))
	for i, c := range z {
		lab[i] = m.best(c)
	}
	return fit(z, lab)
}

// pair is an undirected edge of the pixel graph with its weight.
type pair struct {
	p, q int32
	w    float64
}

// smoothness returns the 8-neighbour edges weighted γ/dist·exp(−β‖zp−zq‖²),
// β = 1/(2⟨‖zp−zq‖²⟩) over the edges.
func smoothness(z [][3]float64, h, w int, gamma float64) []pair {
	var out []pair
	var sum float64
	for y := range h {
		for x := range w {
			p := y*w + x
			for _, d := range [4][2]int{{0, 1}, {1, 0}, {1, 1}, {1, -1}} {
				yy, xx := y+d[0], x+d[1]
				if yy >= h || xx < 0 || xx >= w {
					continue
				}
				q := yy*w + xx
				d2 := dist2(z[p], z[q])
				sum += d2
				out = append(out, pair{int32(p), int32(q), d2})
			}
		}
	}
	beta := 0.0
	if sum > 0 {
		beta = float64(len(out)) / (2 * sum)
	}
	for i := range out {
		dist := 1.0
		if out[i].q-out[i].p != 1 && int(out[i].q-out[i].p) != w {
			dist = math.Sqrt2
		}
		out[i].w = gamma / dist * math.Exp(-beta*out[i].w)
	}
	return out
}

// cut labels the pixels by a minimum s-t cut (source: object) and returns
// the labels and the cut's energy.
func cut(z [][3]float64, h, w int, trimap []uint8, fm, bm *gmm, pairs []pair, gamma float64) ([]bool, float64) {
	n := h * w
	s, t := n, n+1
	g := newGraph(n+2, 2*(2*n+len(pairs)))
	big := 8*gamma + 1 // more than any pixel's smoothness terms together
	for p := range n {
		var toS, toT float64 // the costs of labelling p background, object
		switch trimap[p] {
		case Foreground:
			toS = big
		case Background:
			toT = big
		default:
			a, b := -bm.logLik(z[p]), -fm.logLik(z[p])
			m := min(a, b) // only the difference matters: keep both >= 0
			toS, toT = a-m, b-m
		}
		if toS > 0 {
			g.edge(s, p, toS, 0)
		}
		if toT > 0 {
			g.edge(p, t, toT, 0)
		}
	}
	for _, e := range pairs {
		g.edge(int(e.p), int(e.q), e.w, e.w)
	}
	energy := g.maxFlow(s, t)
	side := g.sourceSide(s)
	return side[:n], energy
}

// RectTrimap is GrabCut's usual start: the rectangle [x0,x1)×[y0,y1)
// probably the object, all outside it background.
func RectTrimap(h, w, x0, y0, x1, y1 int) []uint8 {
	t := make([]uint8, h*w)
	for y := max(y0, 0); y < min(y1, h); y++ {
		for x := max(x0, 0); x < min(x1, w); x++ {
			t[y*w+x] = ProbForeground
		}
	}
	return t
}

// SaliencyTrimap seeds GrabCut from a saliency map (H×W, larger: more
// salient): the top fgFrac of the pixels are the object, the bottom bgFrac
// the background, and the rest start as object when above the median.
func SaliencyTrimap(sal []float32, fgFrac, bgFrac float64) ([]uint8, error) {
	n := len(sal)
	if !(fgFrac > 0) || !(bgFrac > 0) || fgFrac+bgFrac >= 1 {
		return nil, fmt.Errorf("seed fractions %.3g (object) and %.3g (background): each > 0, together < 1", fgFrac, bgFrac)
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return sal[idx[a]] > sal[idx[b]] })
	t := make([]uint8, n)
	nf, nb := max(1, int(fgFrac*float64(n))), max(1, int(bgFrac*float64(n)))
	for r, i := range idx {
		switch {
		case r < nf:
			t[i] = Foreground
		case r >= n-nb:
			t[i] = Background
		case r < n/2:
			t[i] = ProbForeground
		default:
			t[i] = ProbBackground
		}
	}
	return t, nil
}
