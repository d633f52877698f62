package inspect

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/workbench-cv/workbench/engine/blas"
)

// Neighbour search methods for [KNN] and t-SNE's input affinities.
const (
	KNNAuto   = "auto"   // brute force up to KNNBruteMax points, else a vantage-point tree
	KNNBrute  = "brute"  // blocked matrix products through engine/blas
	KNNVPTree = "vptree" // vantage-point tree (Yianilos 1993), as in bhtsne
)

// KNNBruteMax is the largest point count that KNNAuto searches by brute
// force: there one matrix product per block of rows beats any tree in the
// tens to hundreds of dimensions of CNN features.
const KNNBruteMax = 20000

// Neighbors holds, for each of N points, its K nearest other points in
// ascending order of distance (ties by index), with squared Euclidean
// distances computed in float64.
type Neighbors struct {
	N, K  int
	Index []int32   // N*K
	Dist2 []float64 // N*K
}

// Row returns point i's neighbours and their squared distances.
func (nb *Neighbors) Row(i int) ([]int32, []float64) {
	return nb.Index[i*nb.K : (i+1)*nb.K], nb.Dist2[i*nb.K : (i+1)*nb.K]
}

// KNN finds the k nearest neighbours of every row of x (n rows of d
// float32 values) among the other rows, exactly. method is KNNAuto,
// KNNBrute or KNNVPTree; threads <= 0 means the engine's budget.
func KNN(ctx context.Context, x []float32, n, d, k int, method string, seed int64, threads int) (*Neighbors, error) {
	if n < 2 || d < 1 || len(x) != n*d {
		return nil, fmt.Errorf("nearest neighbours need at least 2 points of 1 or more values (got %d points, %d values each, %d numbers)", n, d, len(x))
	}
	if k < 1 || k > n-1 {
		return nil, fmt.Errorf("cannot find %d neighbours among %d points: use 1 to %d", k, n, n-1)
	}
	if err := checkFinite32(x); err != nil {
		return nil, err
	}
	threads = threadsOr(threads)
	switch method {
	case "", KNNAuto:
		if n <= KNNBruteMax {
			return bruteKNN(ctx, x, n, d, k, threads)
		}
		return vpKNN(ctx, x, n, d, k, seed, threads)
	case KNNBrute:
		return bruteKNN(ctx, x, n, d, k, threads)
	case KNNVPTree:
		return vpKNN(ctx, x, n, d, k, seed, threads)
	}
	return nil, fmt.Errorf("unknown neighbour search %q: use auto, brute or vptree", method)
}

func checkFinite32(x []float32) error {
	for i, v := range x {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("value %d is %v: features must be finite numbers", i, v)
		}
	}
	return nil
}

// dist2 is the squared Euclidean distance of two float32 rows, in float64.
func dist2(a, b []float32) float64 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(a); i += 4 {
		d0 := float64(a[i] - b[i])
		d1 := float64(a[i+1] - b[i+1])
		d2 := float64(a[i+2] - b[i+2])
		d3 := float64(a[i+3] - b[i+3])
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(a); i++ {
		dv := float64(a[i] - b[i])
		s0 += dv * dv
	}
	return (s0 + s1) + (s2 + s3)
}

// cand is a neighbour candidate; heaps of them keep the worst on top.
type cand struct {
	d float64
	i int32
}

func worse(a, b cand) bool { return a.d > b.d || (a.d == b.d && a.i > b.i) }

// candHeap is a max-heap (worst first) of at most cap candidates.
type candHeap []cand

func (h *candHeap) push(c cand, limit int) {
	s := *h
	if len(s) == limit {
		if !worse(s[0], c) {
			return
		}
		s[0] = c
		h.down(0)
		return
	}
	s = append(s, c)
	*h = s
	j := len(s) - 1
	for j > 0 {
		p := (j - 1) / 2
		if !worse(s[j], s[p]) {
			break
		}
		s[j], s[p] = s[p], s[j]
		j = p
	}
}

func (h candHeap) down(j int) {
	n := len(h)
	for {
		l := 2*j + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && worse(h[r], h[l]) {
			m = r
		}
		if !worse(h[m], h[j]) {
			return
		}
		h[j], h[m] = h[m], h[j]
		j = m
	}
}

func sortCands(c []cand) {
	sort.Slice(c, func(a, b int) bool { return worse(c[b], c[a]) })
}

// bruteKNN computes blocks of the squared distance matrix with one SGEMM
// each (|a|²+|b|²-2ab), keeps a few more candidates than needed per row,
// and ranks those by exact float64 distances (the float32 expression loses
// digits to cancellation).
func bruteKNN(ctx context.Context, x []float32, n, d, k int, threads int) (*Neighbors, error) {
	norms := make([]float32, n)
	for i := range n {
		var s float64
		for _, v := range x[i*d : (i+1)*d] {
			s += float64(v) * float64(v)
		}
		norms[i] = float32(s)
	}
	keep := min(k+8, n-1)
	nb := &Neighbors{N: n, K: k, Index: make([]int32, n*k), Dist2: make([]float64, n*k)}
	const block = 256
	g := make([]float32, block*n)
	for r0 := 0; r0 < n; r0 += block {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rb := min(block, n-r0)
		blas.Sgemm(false, true, rb, n, d, -2, x[r0*d:], d, x, d, 0, g, n)
		parallelFor(threads, rb, 16, func(lo, hi int) {
			h := make(candHeap, 0, keep)
			for r := lo; r < hi; r++ {
				i := r0 + r
				row := g[r*n : (r+1)*n]
				ni := norms[i]
				h = h[:0]
				for j, v := range row {
					if j == i {
						continue
					}
					h.push(cand{float64(v + ni + norms[j]), int32(j)}, keep)
				}
				for t := range h {
					h[t].d = dist2(x[i*d:(i+1)*d], x[int(h[t].i)*d:(int(h[t].i)+1)*d])
				}
				sortCands(h)
				for t := range k {
					nb.Index[i*k+t] = h[t].i
					nb.Dist2[i*k+t] = h[t].d
				}
			}
		})
	}
	return nb, nil
}
