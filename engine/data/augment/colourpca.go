package augment

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// ColourPCA is the eigen-decomposition of the C x C covariance of pixel
// colours (in [0, 1] units) over a training set, for PCA colour
// augmentation.
type ColourPCA struct {
	C int
	// Values are the eigenvalues, largest first.
	Values []float32
	// Vectors holds the unit eigenvectors, one per row of C values.
	Vectors []float32
}

// FitColourPCA computes the colour covariance of n uint8 CHW images of
// c x h x w stored one after another in pix, using every stride-th image.
func FitColourPCA(pix []uint8, n, c, h, w, stride int) (*ColourPCA, error) {
	if n <= 0 || c <= 0 || len(pix) < n*c*h*w {
		return nil, fmt.Errorf("FitColourPCA: %d values for %d images of %dx%dx%d", len(pix), n, c, h, w)
	}
	stride = max(stride, 1)
	plane := h * w
	sum := make([]float64, c)
	cross := make([]float64, c*c)
	var count float64
	px := make([]float64, c)
	for i := 0; i < n; i += stride {
		im := pix[i*c*plane : (i+1)*c*plane]
		for k := range plane {
			for ch := range c {
				px[ch] = float64(im[ch*plane+k]) / 255
				sum[ch] += px[ch]
			}
			for a := range c {
				for b := range c {
					cross[a*c+b] += px[a] * px[b]
				}
			}
			count++
		}
	}
	sym := mat.NewSymDense(c, nil)
	for a := range c {
		for b := a; b < c; b++ {
			sym.SetSym(a, b, cross[a*c+b]/count-sum[a]/count*sum[b]/count)
		}
	}
	var es mat.EigenSym
	if !es.Factorize(sym, true) {
		return nil, fmt.Errorf("FitColourPCA: eigen-decomposition failed")
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	order := make([]int, c)
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	out := &ColourPCA{C: c, Values: make([]float32, c), Vectors: make([]float32, c*c)}
	for j, i := range order {
		out.Values[j] = float32(math.Max(vals[i], 0))
		for k := range c {
			out.Vectors[j*c+k] = float32(vecs.At(k, i))
		}
	}
	return out, nil
}
