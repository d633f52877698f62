package inspect

import "math"

// exactGrad is the O(N²) t-SNE gradient over a dense P, for small N.
type exactGrad struct {
	p       []float64 // n×n, zero diagonal
	n       int
	threads int
	attr    []float64
	rep     []float64
	zs      []float64
	klPart  []float64
}

func newExactGrad(p []float64, n, threads int) *exactGrad {
	return &exactGrad{p: p, n: n, threads: threads, attr: make([]float64, 2*n), rep: make([]float64, 2*n),
		zs: make([]float64, n), klPart: make([]float64, n)}
}

func (e *exactGrad) grad(y, g []float64, alpha float64, wantKL bool) float64 {
	n := e.n
	parallelFor(e.threads, n, 16, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xi, yi := y[2*i], y[2*i+1]
			row := e.p[i*n : (i+1)*n]
			var ax, ay, rx, ry, z float64
			for j := range n {
				if j == i {
					continue
				}
				dx, dy := xi-y[2*j], yi-y[2*j+1]
				q := 1 / (1 + dx*dx + dy*dy)
				z += q
				pq := row[j] * q
				ax += pq * dx
				ay += pq * dy
				q *= q
				rx += q * dx
				ry += q * dy
			}
			e.attr[2*i], e.attr[2*i+1] = alpha*ax, alpha*ay
			e.rep[2*i], e.rep[2*i+1] = rx, ry
			e.zs[i] = z
		}
	})
	var sumQ float64
	for _, z := range e.zs {
		sumQ += z
	}
	for i := range 2 * n {
		g[i] = 4 * (e.attr[i] - e.rep[i]/sumQ)
	}
	if !wantKL {
		return math.NaN()
	}
	logZ := math.Log(sumQ)
	parallelFor(e.threads, n, 16, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := e.p[i*n : (i+1)*n]
			var kl float64
			for j := range n {
				if j == i || row[j] <= 0 {
					continue
				}
				dx, dy := y[2*i]-y[2*j], y[2*i+1]-y[2*j+1]
				ap := alpha * row[j]
				kl += ap * (math.Log(ap) + math.Log1p(dx*dx+dy*dy) + logZ)
			}
			e.klPart[i] = kl
		}
	})
	var kl float64
	for _, v := range e.klPart {
		kl += v
	}
	return kl
}

// KL returns KL(P || Q) of the layout y (N×2) exactly: Q's normaliser
// sums the Student-t kernel over all pairs (O(N²), on all threads), and
// the divergence runs over P's non-zero entries.
func (a *Affinities) KL(y []float64, threads int) float64 {
	n := a.N
	zs := make([]float64, n)
	parts := make([]float64, n)
	parallelFor(threadsOr(threads), n, 32, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			xi, yi := y[2*i], y[2*i+1]
			var z float64
			for j := i + 1; j < n; j++ {
				dx, dy := xi-y[2*j], yi-y[2*j+1]
				z += 1 / (1 + dx*dx + dy*dy)
			}
			zs[i] = 2 * z
		}
	})
	var sumQ float64
	for _, z := range zs {
		sumQ += z
	}
	logZ := math.Log(sumQ)
	parallelFor(threadsOr(threads), n, 256, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var kl float64
			for t := a.Indptr[i]; t < a.Indptr[i+1]; t++ {
				j, p := a.Indices[t], a.Values[t]
				if p <= 0 {
					continue
				}
				dx, dy := y[2*i]-y[2*j], y[2*i+1]-y[2*j+1]
				kl += p * (math.Log(p) + math.Log1p(dx*dx+dy*dy) + logZ)
			}
			parts[i] = kl
		}
	})
	var kl float64
	for _, v := range parts {
		kl += v
	}
	return kl
}
