package inspect

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/workbench-cv/workbench/engine/blas"
)

// PCA is a fitted principal component analysis.
type PCA struct {
	D    int
	Mean []float64 // per input dimension
	// Components are the principal directions, one unit row of D values
	// each, by decreasing variance. Each is signed so that its
	// largest-magnitude loading is positive.
	Components [][]float64
	// Variance is the variance along each component (the covariance's
	// eigenvalue, with the n-1 denominator, like scikit-learn's
	// explained_variance_); Ratio is its share of Total, the summed
	// variance of all input dimensions.
	Variance, Ratio []float64
	Total           float64
	// Method is "eigen" (exact, from the smaller of the covariance and
	// Gram matrices) or "randomized" (subspace iteration, for wide data).
	Method string
}

// pcaExactMax is the largest min(n, d) decomposed exactly (a variable so
// that tests can reach the randomized path on small data).
var pcaExactMax = 1024

// FitPCA finds the k leading principal components of n rows of d values.
func FitPCA(x []float32, n, d, k int) (*PCA, error) {
	if n < 2 || d < 1 || len(x) != n*d {
		return nil, fmt.Errorf("PCA needs at least 2 rows of 1 or more values (got %d rows of %d, %d numbers)", n, d, len(x))
	}
	if k < 1 || k > min(n, d) {
		return nil, fmt.Errorf("cannot keep %d components of %d rows of %d values: use 1 to %d", k, n, d, min(n, d))
	}
	if err := checkFinite32(x); err != nil {
		return nil, err
	}
	p := &PCA{D: d, Mean: make([]float64, d)}
	for i := range n {
		for j, v := range x[i*d : (i+1)*d] {
			p.Mean[j] += float64(v)
		}
	}
	for j := range p.Mean {
		p.Mean[j] /= float64(n)
	}
	xc := make([]float64, n*d)
	for i := range n {
		for j, v := range x[i*d : (i+1)*d] {
			c := float64(v) - p.Mean[j]
			xc[i*d+j] = c
			p.Total += c * c
		}
	}
	p.Total /= float64(n - 1)
	var err error
	if min(n, d) <= pcaExactMax {
		err = p.fitEigen(xc, n, d, k)
	} else {
		err = p.fitRandomized(xc, n, d, k)
	}
	if err != nil {
		return nil, err
	}
	for c, v := range p.Variance {
		p.Ratio = append(p.Ratio, v/max(p.Total, math.SmallestNonzeroFloat64))
		orient(p.Components[c])
	}
	return p, nil
}

// orient flips v so that its largest-magnitude entry is positive.
func orient(v []float64) {
	big := 0
	for i, x := range v {
		if math.Abs(x) > math.Abs(v[big]) {
			big = i
		}
	}
	if v[big] < 0 {
		for i := range v {
			v[i] = -v[i]
		}
	}
}

// gram returns AᵀA (transpose) or AAᵀ of the row-major r×c matrix a in
// float64; big products go through float32 SGEMM.
func gram(a []float64, r, c int, transpose bool) *mat.SymDense {
	m := c
	if !transpose {
		m = r
	}
	out := mat.NewSymDense(m, nil)
	if float64(r)*float64(c)*float64(m) > 2e8 {
		a32 := make([]float32, len(a))
		for i, v := range a {
			a32[i] = float32(v)
		}
		g := make([]float32, m*m)
		if transpose {
			blas.Sgemm(true, false, c, c, r, 1, a32, c, a32, c, 0, g, c)
		} else {
			blas.Sgemm(false, true, r, r, c, 1, a32, c, a32, c, 0, g, r)
		}
		for i := range m {
			for j := i; j < m; j++ {
				out.SetSym(i, j, float64(g[i*m+j]+g[j*m+i])/2)
			}
		}
		return out
	}
	am := mat.NewDense(r, c, a)
	var g mat.Dense
	if transpose {
		g.Mul(am.T(), am)
	} else {
		g.Mul(am, am.T())
	}
	for i := range m {
		for j := i; j < m; j++ {
			out.SetSym(i, j, g.At(i, j))
		}
	}
	return out
}

// fitEigen decomposes the covariance (d <= n) or the Gram matrix.
func (p *PCA) fitEigen(xc []float64, n, d, k int) error {
	cov := d <= n
	g := gram(xc, n, d, cov)
	var eig mat.EigenSym
	if !eig.Factorize(g, true) {
		return errors.New("PCA: the eigendecomposition did not converge")
	}
	vals := eig.Values(nil) // ascending
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	m := len(vals)
	for c := range k {
		col := m - 1 - c
		lambda := max(vals[col], 0)
		comp := make([]float64, d)
		if cov {
			for j := range d {
				comp[j] = vecs.At(j, col)
			}
		} else {
			// An eigenvector u of XXᵀ gives the direction Xᵀu / |Xᵀu|.
			for i := range n {
				u := vecs.At(i, col)
				for j := range d {
					comp[j] += u * xc[i*d+j]
				}
			}
			normalize(comp)
		}
		p.Components = append(p.Components, comp)
		p.Variance = append(p.Variance, lambda/float64(n-1))
	}
	p.Method = "eigen"
	return nil
}

func normalize(v []float64) {
	var s float64
	for _, x := range v {
		s += x * x
	}
	if s = math.Sqrt(s); s > 0 {
		for i := range v {
			v[i] /= s
		}
	}
}

// fitRandomized is Halko, Martinsson and Tropp's randomized range finder
// with power iterations (scikit-learn's svd_solver="randomized"): a seeded
// Gaussian sketch of k+10 columns, seven rounds of re-orthonormalised
// multiplication by XᵀX, then an exact SVD of the small projection.
func (p *PCA) fitRandomized(xc []float64, n, d, k int) error {
	l := min(k+10, min(n, d))
	a := mat.NewDense(n, d, xc)
	rng := rand.New(rand.NewPCG(0x9ca, uint64(n*d)))
	om := mat.NewDense(d, l, nil)
	for i := range d {
		for j := range l {
			om.Set(i, j, rng.NormFloat64())
		}
	}
	var y mat.Dense
	y.Mul(a, om)
	q := orthonormal(&y)
	for range 7 {
		var z mat.Dense
		z.Mul(a.T(), q)
		qz := orthonormal(&z)
		y.Reset()
		y.Mul(a, qz)
		q = orthonormal(&y)
	}
	var b mat.Dense
	b.Mul(q.T(), a) // l×d
	var svd mat.SVD
	if !svd.Factorize(&b, mat.SVDThin) {
		return errors.New("PCA: the SVD did not converge")
	}
	s := svd.Values(nil)
	var v mat.Dense
	svd.VTo(&v) // d×l
	for c := range k {
		comp := make([]float64, d)
		for j := range d {
			comp[j] = v.At(j, c)
		}
		p.Components = append(p.Components, comp)
		p.Variance = append(p.Variance, s[c]*s[c]/float64(n-1))
	}
	p.Method = "randomized"
	return nil
}

// orthonormal returns an orthonormal basis of m's columns by modified
// Gram-Schmidt, run twice for stability (a thin QR's Q without forming
// the full square Q that gonum's QR.QTo returns).
func orthonormal(m *mat.Dense) *mat.Dense {
	r, c := m.Dims()
	q := mat.DenseCopyOf(m)
	col := make([]float64, r)
	for j := range c {
		mat.Col(col, j, q)
		for range 2 {
			for i := range j {
				var dot float64
				for t := range r {
					dot += q.At(t, i) * col[t]
				}
				for t := range r {
					col[t] -= dot * q.At(t, i)
				}
			}
		}
		normalize(col)
		q.SetCol(j, col)
	}
	return q
}

// Transform projects n rows of D values onto the components: n×k values.
func (p *PCA) Transform(x []float32, n int) ([]float64, error) {
	d := p.D
	if len(x) != n*d {
		return nil, fmt.Errorf("PCA was fitted on %d values per row; got %d numbers for %d rows", d, len(x), n)
	}
	k := len(p.Components)
	out := make([]float64, n*k)
	row := make([]float64, d)
	for i := range n {
		for j, v := range x[i*d : (i+1)*d] {
			row[j] = float64(v) - p.Mean[j]
		}
		for c, comp := range p.Components {
			var s float64
			for j, v := range row {
				s += v * comp[j]
			}
			out[i*k+c] = s
		}
	}
	return out, nil
}
