package data

import (
	"fmt"
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/workbench-cv/workbench/engine/blas"
)

// Norm names a preprocessing (normalisation) scheme.
type Norm string

// The preprocessing schemes. All start from pixels scaled to [0, 1].
const (
	// NormNone only scales pixels to [0, 1].
	NormNone Norm = "none"
	// NormMeanImage subtracts the mean training image (per pixel).
	NormMeanImage Norm = "mean-image"
	// NormChannelMean subtracts each channel's mean.
	NormChannelMean Norm = "channel-mean"
	// NormChannelStd subtracts each channel's mean and divides by its
	// standard deviation (torchvision's Normalize).
	NormChannelStd Norm = "channel-std"
	// NormPCAWhiten subtracts the mean image and whitens along the top
	// principal components of the training images, then rotates back to
	// pixel space (ZCA), so the output keeps the image's shape:
	// x' = U diag(1/sqrt(lambda+eps)) U^T (x - mean), U the top K
	// eigenvectors of the pixel covariance. Variation outside those K
	// directions is dropped.
	NormPCAWhiten Norm = "pca-whiten"
)

// Norms lists the schemes ParseNorm accepts.
var Norms = []Norm{NormNone, NormMeanImage, NormChannelMean, NormChannelStd, NormPCAWhiten}

// ParseNorm parses a scheme name ("" means none).
func ParseNorm(s string) (Norm, error) {
	if s == "" {
		return NormNone, nil
	}
	for _, n := range Norms {
		if string(n) == s {
			return n, nil
		}
	}
	return "", badInputf("unknown preprocessing %q; use one of none, mean-image, channel-mean, channel-std, pca-whiten", s)
}

// Stats are preprocessing statistics computed on the training split. They
// are plain values (slices of float32), so they can be saved with the
// model and used unchanged at inference.
type Stats struct {
	Norm Norm `json:"norm"`
	C    int  `json:"c"`
	H    int  `json:"h"`
	W    int  `json:"w"`
	// Mean is the mean image (C*H*W values) for mean-image and pca-whiten,
	// or one mean per channel for channel-mean and channel-std; in [0,1]
	// pixel units.
	Mean []float32 `json:"mean,omitempty"`
	// Std is one standard deviation per channel (channel-std).
	Std []float32 `json:"std,omitempty"`
	// Components holds K principal directions, one per row of C*H*W
	// values (pca-whiten), in order of decreasing variance.
	Components []float32 `json:"components,omitempty"`
	// Eigenvalues are the variances along the components.
	Eigenvalues []float32 `json:"eigenvalues,omitempty"`
	// Epsilon regularises the whitening scale 1/sqrt(lambda+eps).
	Epsilon float32 `json:"epsilon,omitempty"`
}

// StatsOptions tune FitStats.
type StatsOptions struct {
	// Components is K, the principal components kept by pca-whiten
	// (default min(C*H*W, 128)).
	Components int
	// Samples caps the training images used to estimate the covariance
	// for pca-whiten (default 5000, chosen under Seed).
	Samples int
	// Epsilon regularises whitening (default 0.01, in [0,1] pixel units
	// squared).
	Epsilon float64
	Seed    int64
}

// FitStats computes the statistics of scheme norm on s (the training
// split).
func FitStats(s *Set, norm Norm, opt StatsOptions) (*Stats, error) {
	if s.Len() == 0 {
		return nil, badInputf("cannot compute %s statistics on an empty training split", norm)
	}
	st := &Stats{Norm: norm, C: s.C, H: s.H, W: s.W}
	plane := s.H * s.W
	switch norm {
	case NormNone:
	case NormMeanImage:
		st.Mean = meanImage(s)
	case NormChannelMean, NormChannelStd:
		sum := make([]float64, s.C)
		sq := make([]float64, s.C)
		for i := range s.Len() {
			im := s.Image(i)
			for c := range s.C {
				var a, b uint64
				for _, v := range im[c*plane : (c+1)*plane] {
					a += uint64(v)
					b += uint64(v) * uint64(v)
				}
				sum[c] += float64(a)
				sq[c] += float64(b)
			}
		}
		count := float64(s.Len() * plane)
		st.Mean = make([]float32, s.C)
		for c := range s.C {
			m := sum[c] / count / 255
			st.Mean[c] = float32(m)
			if norm == NormChannelStd {
				v := sq[c]/count/(255*255) - m*m
				st.Std = append(st.Std, float32(math.Sqrt(math.Max(v, 1e-12))))
			}
		}
	case NormPCAWhiten:
		if err := fitPCA(st, s, opt); err != nil {
			return nil, err
		}
	default:
		return nil, badInputf("unknown preprocessing %q; use one of none, mean-image, channel-mean, channel-std, pca-whiten", norm)
	}
	return st, nil
}

// MeanImage returns the mean of the set's images (CHW, in [0,1] pixel
// units), as shown by the Data pane and subtracted by mean-image.
func MeanImage(s *Set) []float32 { return meanImage(s) }

func meanImage(s *Set) []float32 {
	d := s.Size()
	sum := make([]uint64, d)
	for i := range s.Len() {
		for k, v := range s.Image(i) {
			sum[k] += uint64(v)
		}
	}
	m := make([]float32, d)
	for k := range m {
		m[k] = float32(float64(sum[k]) / float64(s.Len()) / 255)
	}
	return m
}

func fitPCA(st *Stats, s *Set, opt StatsOptions) error {
	d := s.Size()
	k := opt.Components
	if k <= 0 {
		k = min(d, 128)
	}
	if k > d {
		return badInputf("%d principal components asked for but images have only %d values; ask for at most %d", k, d, d)
	}
	samples := opt.Samples
	if samples <= 0 {
		samples = 5000
	}
	eps := opt.Epsilon
	if eps <= 0 {
		eps = 0.01
	}
	st.Mean = meanImage(s)
	idx := make([]int, s.Len())
	for i := range idx {
		idx[i] = i
	}
	if s.Len() > samples {
		idx = balancedPick(s, samples, opt.Seed, streamPCA)
	}
	n := len(idx)
	if n < 2 {
		return badInputf("PCA whitening needs at least 2 training images")
	}
	x := make([]float32, n*d)
	for r, i := range idx {
		row := x[r*d : (r+1)*d]
		for j, v := range s.Image(i) {
			row[j] = float32(v)/255 - st.Mean[j]
		}
	}
	cov := make([]float32, d*d)
	blas.Sgemm(true, false, d, d, n, 1/float32(n-1), x, d, x, d, 0, cov, d)
	vals, vecs := topEigen(cov, d, k, opt.Seed)
	st.Components = vecs
	st.Eigenvalues = vals
	st.Epsilon = float32(eps)
	return nil
}

// topEigen returns the k largest eigenvalues of the symmetric d x d matrix
// a (row-major) and their eigenvectors as rows. Small matrices use a full
// symmetric eigendecomposition; large ones subspace iteration.
func topEigen(a []float32, d, k int, seed int64) ([]float32, []float32) {
	if d <= 1024 {
		sym := mat.NewSymDense(d, nil)
		for i := range d {
			for j := i; j < d; j++ {
				sym.SetSym(i, j, float64(a[i*d+j]))
			}
		}
		var es mat.EigenSym
		es.Factorize(sym, true)
		vals := es.Values(nil)
		var vecs mat.Dense
		es.VectorsTo(&vecs)
		return pickTop(vals, func(i, r int) float64 { return vecs.At(r, i) }, d, k)
	}
	// Subspace iteration with oversampling: Q <- orth(A Q), then
	// Rayleigh-Ritz on the small projected matrix.
	p := min(k+16, d)
	r := newRand(seed, streamPCA+1)
	q := make([]float32, d*p) // d x p
	for i := range q {
		q[i] = float32(r.NormFloat64())
	}
	z := make([]float32, d*p)
	for range 8 {
		orthonormalise(q, d, p)
		blas.Sgemm(false, false, d, p, d, 1, a, d, q, p, 0, z, p)
		q, z = z, q
	}
	orthonormalise(q, d, p)
	// T = Q^T A Q (p x p).
	blas.Sgemm(false, false, d, p, d, 1, a, d, q, p, 0, z, p)
	t := make([]float32, p*p)
	blas.Sgemm(true, false, p, p, d, 1, q, p, z, p, 0, t, p)
	sym := mat.NewSymDense(p, nil)
	for i := range p {
		for j := i; j < p; j++ {
			sym.SetSym(i, j, (float64(t[i*p+j])+float64(t[j*p+i]))/2)
		}
	}
	var es mat.EigenSym
	es.Factorize(sym, true)
	vals := es.Values(nil)
	var w mat.Dense
	es.VectorsTo(&w)
	// Eigenvector i of A is Q w_i.
	return pickTop(vals, func(i, row int) float64 {
		var acc float64
		for c := range p {
			acc += float64(q[row*p+c]) * w.At(c, i)
		}
		return acc
	}, d, k)
}

// pickTop sorts eigenpairs by decreasing value and returns the first k,
// each vector with a fixed sign (largest component positive) so results do
// not flip between runs.
func pickTop(vals []float64, vec func(i, row int) float64, d, k int) ([]float32, []float32) {
	order := make([]int, len(vals))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return vals[order[a]] > vals[order[b]] })
	outVals := make([]float32, k)
	outVecs := make([]float32, k*d)
	for j := range k {
		i := order[j]
		outVals[j] = float32(math.Max(vals[i], 0))
		row := outVecs[j*d : (j+1)*d]
		big := 0.0
		for r := range d {
			v := vec(i, r)
			row[r] = float32(v)
			if math.Abs(v) > math.Abs(big) {
				big = v
			}
		}
		if big < 0 {
			for r := range row {
				row[r] = -row[r]
			}
		}
	}
	return outVals, outVecs
}

// orthonormalise applies modified Gram-Schmidt to the p columns of the
// d x p row-major matrix q, in float64.
func orthonormalise(q []float32, d, p int) {
	col := make([][]float64, p)
	for c := range p {
		v := make([]float64, d)
		for r := range d {
			v[r] = float64(q[r*p+c])
		}
		for j := range c {
			var dot float64
			for r := range d {
				dot += v[r] * col[j][r]
			}
			for r := range d {
				v[r] -= dot * col[j][r]
			}
		}
		var norm float64
		for _, x := range v {
			norm += x * x
		}
		norm = math.Sqrt(norm)
		if norm < 1e-30 {
			norm = 1
		}
		for r := range v {
			v[r] /= norm
		}
		col[c] = v
	}
	for c := range p {
		for r := range d {
			q[r*p+c] = float32(col[c][r])
		}
	}
}

// Validate checks that the statistics are consistent (for example after
// loading them from a file).
func (st *Stats) Validate() error {
	d := st.C * st.H * st.W
	if d <= 0 {
		return fmt.Errorf("preprocessing statistics: image shape %dx%dx%d is not positive", st.C, st.H, st.W)
	}
	bad := func(what string, got, want int) error {
		return fmt.Errorf("preprocessing statistics (%s): %s has %d values, want %d", st.Norm, what, got, want)
	}
	switch st.Norm {
	case NormNone, "":
	case NormMeanImage:
		if len(st.Mean) != d {
			return bad("mean", len(st.Mean), d)
		}
	case NormChannelMean:
		if len(st.Mean) != st.C {
			return bad("mean", len(st.Mean), st.C)
		}
	case NormChannelStd:
		if len(st.Mean) != st.C {
			return bad("mean", len(st.Mean), st.C)
		}
		if len(st.Std) != st.C {
			return bad("std", len(st.Std), st.C)
		}
		for _, s := range st.Std {
			if !(s > 0) {
				return fmt.Errorf("preprocessing statistics: standard deviation %v is not positive", s)
			}
		}
	case NormPCAWhiten:
		if len(st.Mean) != d {
			return bad("mean", len(st.Mean), d)
		}
		k := len(st.Eigenvalues)
		if k == 0 || len(st.Components) != k*d {
			return bad("components", len(st.Components), k*d)
		}
	default:
		return fmt.Errorf("preprocessing statistics: unknown scheme %q", st.Norm)
	}
	return nil
}

// Apply preprocesses n images in place: x holds n CHW images with pixels
// already scaled to [0, 1].
func (st *Stats) Apply(x []float32, n int) {
	if st == nil {
		return
	}
	d := st.C * st.H * st.W
	plane := st.H * st.W
	switch st.Norm {
	case NormMeanImage:
		st.shiftByMean(x, n, -1)
	case NormChannelMean, NormChannelStd:
		for i := range n {
			for c := range st.C {
				m := st.Mean[c]
				inv := float32(1)
				if st.Norm == NormChannelStd {
					inv = 1 / st.Std[c]
				}
				p := x[i*d+c*plane : i*d+(c+1)*plane]
				for j := range p {
					p[j] = (p[j] - m) * inv
				}
			}
		}
	case NormPCAWhiten:
		st.shiftByMean(x, n, -1)
		st.rescaleComponents(x, n, false)
	}
}

// Unapply maps preprocessed images back to [0, 1] pixels, for display. For
// pca-whiten it is exact only within the kept components.
func (st *Stats) Unapply(x []float32, n int) {
	if st == nil {
		return
	}
	d := st.C * st.H * st.W
	plane := st.H * st.W
	switch st.Norm {
	case NormMeanImage:
		st.shiftByMean(x, n, 1)
	case NormChannelMean, NormChannelStd:
		for i := range n {
			for c := range st.C {
				s := float32(1)
				if st.Norm == NormChannelStd {
					s = st.Std[c]
				}
				p := x[i*d+c*plane : i*d+(c+1)*plane]
				for j := range p {
					p[j] = p[j]*s + st.Mean[c]
				}
			}
		}
	case NormPCAWhiten:
		st.rescaleComponents(x, n, true)
		st.shiftByMean(x, n, 1)
	}
}

// shiftByMean adds sign times the mean image to each of the n images
// (sign -1 subtracts it, exactly as x - mean).
func (st *Stats) shiftByMean(x []float32, n int, sign float32) {
	d := st.C * st.H * st.W
	for i := range n {
		row := x[i*d : (i+1)*d]
		for j := range row {
			row[j] += sign * st.Mean[j]
		}
	}
}

// rescaleComponents projects the n images on the kept components, divides
// each coordinate by sqrt(lambda+eps) (whitening) or multiplies by it
// (undo), and maps back to pixel space: X = (X U^T) diag(s) U.
func (st *Stats) rescaleComponents(x []float32, n int, undo bool) {
	d := st.C * st.H * st.W
	k := len(st.Eigenvalues)
	proj := make([]float32, n*k)
	blas.Sgemm(false, true, n, k, d, 1, x, d, st.Components, d, 0, proj, k)
	for i := range n {
		for j := range k {
			s := float32(math.Sqrt(float64(st.Eigenvalues[j] + st.Epsilon)))
			if undo {
				proj[i*k+j] *= s
			} else {
				proj[i*k+j] /= s
			}
		}
	}
	blas.Sgemm(false, false, n, d, k, 1, proj, k, st.Components, d, 0, x[:n*d], d)
}

// ChannelMean returns the per-channel mean in [0,1] pixel units, whatever
// the scheme (used to fill pixels that augmentation uncovers).
func (st *Stats) ChannelMean() []float32 {
	if st == nil {
		return nil
	}
	switch st.Norm {
	case NormChannelMean, NormChannelStd:
		return st.Mean
	case NormMeanImage, NormPCAWhiten:
		plane := st.H * st.W
		out := make([]float32, st.C)
		for c := range st.C {
			var s float64
			for _, v := range st.Mean[c*plane : (c+1)*plane] {
				s += float64(v)
			}
			out[c] = float32(s / float64(plane))
		}
		return out
	}
	return nil
}
