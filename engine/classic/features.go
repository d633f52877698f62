package classic

import (
	"fmt"
	"math"
	"strings"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// HOGConfig sets the histogram of oriented gradients.
type HOGConfig struct {
	Cell  int // pixels per cell side (8)
	Bins  int // unsigned orientation bins over 0-180° (9)
	Block int // cells per block side for normalisation (2; 0 or 1: none)
}

// DefaultHOG is Dalal and Triggs' setting: 8x8 cells, 9 bins, 2x2 blocks.
var DefaultHOG = HOGConfig{Cell: 8, Bins: 9, Block: 2}

// HOGLen is the feature length for an h×w image.
func (c HOGConfig) HOGLen(h, w int) int {
	cy, cx := h/c.Cell, w/c.Cell
	if c.Block <= 1 {
		return cy * cx * c.Bins
	}
	by, bx := cy-c.Block+1, cx-c.Block+1
	if by < 1 || bx < 1 {
		return 0
	}
	return by * bx * c.Block * c.Block * c.Bins
}

// grey converts a CHW uint8 image to luminance (ITU-R BT.601).
func grey(img []uint8, c, h, w int) []float32 {
	g := make([]float32, h*w)
	if c == 1 {
		for i := range g {
			g[i] = float32(img[i])
		}
		return g
	}
	p := h * w
	for i := range g {
		g[i] = 0.299*float32(img[i]) + 0.587*float32(img[p+i]) + 0.114*float32(img[2*p+i])
	}
	return g
}

// HOG computes the descriptor of one CHW image into dst (HOGLen values).
// Gradients are centred differences; each pixel votes its magnitude into
// the bin of its unsigned orientation in its cell; blocks of cells are
// L2-Hys normalised (clipped at 0.2 and renormalised).
func HOG(dst []float32, img []uint8, c, h, w int, cfg HOGConfig) {
	g := grey(img, c, h, w)
	cy, cx := h/cfg.Cell, w/cfg.Cell
	hist := make([]float32, cy*cx*cfg.Bins)
	binW := math.Pi / float64(cfg.Bins)
	for y := 0; y < cy*cfg.Cell; y++ {
		for x := 0; x < cx*cfg.Cell; x++ {
			var gx, gy float32
			if x > 0 && x < w-1 {
				gx = g[y*w+x+1] - g[y*w+x-1]
			}
			if y > 0 && y < h-1 {
				gy = g[(y+1)*w+x] - g[(y-1)*w+x]
			}
			mag := math.Hypot(float64(gx), float64(gy))
			if mag == 0 {
				continue
			}
			ang := math.Atan2(float64(gy), float64(gx))
			if ang < 0 {
				ang += math.Pi
			}
			b := int(ang / binW)
			if b >= cfg.Bins {
				b = cfg.Bins - 1
			}
			hist[((y/cfg.Cell)*cx+x/cfg.Cell)*cfg.Bins+b] += float32(mag)
		}
	}
	if cfg.Block <= 1 {
		copy(dst, hist)
		return
	}
	bs := cfg.Block
	o := 0
	blk := make([]float32, bs*bs*cfg.Bins)
	for by := 0; by+bs <= cy; by++ {
		for bx := 0; bx+bs <= cx; bx++ {
			k := 0
			for yy := 0; yy < bs; yy++ {
				for xx := 0; xx < bs; xx++ {
					copy(blk[k:k+cfg.Bins], hist[((by+yy)*cx+bx+xx)*cfg.Bins:])
					k += cfg.Bins
				}
			}
			l2hys(blk)
			o += copy(dst[o:], blk)
		}
	}
}

func l2hys(v []float32) {
	norm := func() float32 {
		var s float64
		for _, x := range v {
			s += float64(x) * float64(x)
		}
		return float32(math.Sqrt(s + 1e-6))
	}
	n := norm()
	for i := range v {
		v[i] = min(v[i]/n, 0.2)
	}
	n = norm()
	for i := range v {
		v[i] /= n
	}
}

// HueHistogram computes the fraction of pixels in each of bins equal hue
// ranges (the course's colour-histogram feature). Grey images have hue 0.
func HueHistogram(dst []float32, img []uint8, c, h, w, bins int) {
	clear(dst[:bins])
	p := h * w
	for i := 0; i < p; i++ {
		var hue float64
		if c >= 3 {
			hue = hueOf(float64(img[i]), float64(img[p+i]), float64(img[2*p+i]))
		}
		b := int(hue * float64(bins))
		if b >= bins {
			b = bins - 1
		}
		dst[b]++
	}
	for i := range dst[:bins] {
		dst[i] /= float32(p)
	}
}

// hueOf returns the HSV hue in [0, 1).
func hueOf(r, g, b float64) float64 {
	mx, mn := math.Max(r, math.Max(g, b)), math.Min(r, math.Min(g, b))
	d := mx - mn
	if d == 0 {
		return 0
	}
	var h float64
	switch mx {
	case r:
		h = math.Mod((g-b)/d, 6)
	case g:
		h = (b-r)/d + 2
	default:
		h = (r-g)/d + 4
	}
	h /= 6
	if h < 0 {
		h++
	}
	return h
}

// FeatureKinds lists the names ExtractFeatures accepts.
var FeatureKinds = []string{"pixels", "hog", "hist", "hog+hist"}

// ExtractFeatures turns a set's images into feature rows: "pixels" (raw
// values), "hog", "hist" (10-bin hue histogram) or "hog+hist", in parallel.
func ExtractFeatures(s *data.Set, kind string) (*Matrix, error) {
	if kind == "pixels" {
		return Pixels(s), nil
	}
	parts := strings.Split(kind, "+")
	dims := 0
	for _, p := range parts {
		switch p {
		case "hog":
			n := DefaultHOG.HOGLen(s.H, s.W)
			if n == 0 {
				return nil, fmt.Errorf("images of %dx%d are too small for HOG with %dx%d-pixel cells in %dx%d blocks", s.H, s.W, DefaultHOG.Cell, DefaultHOG.Cell, DefaultHOG.Block, DefaultHOG.Block)
			}
			dims += n
		case "hist":
			dims += 10
		default:
			return nil, fmt.Errorf("unknown features %q: use one of %v", kind, FeatureKinds)
		}
	}
	m := &Matrix{Rows: s.Len(), Cols: dims, Data: make([]float32, s.Len()*dims)}
	parallel.For(s.Len(), s.Size()*20, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := m.Row(i)
			off := 0
			for _, p := range parts {
				if p == "hog" {
					n := DefaultHOG.HOGLen(s.H, s.W)
					HOG(row[off:off+n], s.Image(i), s.C, s.H, s.W, DefaultHOG)
					off += n
				} else {
					HueHistogram(row[off:off+10], s.Image(i), s.C, s.H, s.W, 10)
					off += 10
				}
			}
		}
	})
	return m, nil
}
