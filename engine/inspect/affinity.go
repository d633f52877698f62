package inspect

import (
	"math"
	"slices"
)

// Perplexity calibration follows scikit-learn's _binary_search_perplexity
// (and bhtsne): for each point, a binary search over the precision beta of
// a Gaussian on squared distances until the entropy of the conditional
// distribution equals log(perplexity) within perplexityTol nats.
const (
	perplexitySteps = 100
	perplexityTol   = 1e-5
)

// conditionalRow fills p with p(j|i) ∝ exp(-beta d2[j]) for the
// calibrated beta, and returns beta.
func conditionalRow(d2, p []float64, perplexity float64) float64 {
	want := math.Log(perplexity)
	beta, lo, hi := 1.0, math.Inf(-1), math.Inf(1)
	for range perplexitySteps {
		var sum float64
		for j, v := range d2 {
			p[j] = math.Exp(-v * beta)
			sum += p[j]
		}
		if sum == 0 {
			sum = 1e-8
		}
		var sumDP float64
		for j, v := range d2 {
			p[j] /= sum
			sumDP += v * p[j]
		}
		diff := math.Log(sum) + beta*sumDP - want
		if math.Abs(diff) <= perplexityTol {
			break
		}
		if diff > 0 {
			lo = beta
			if math.IsInf(hi, 1) {
				beta *= 2
			} else {
				beta = (beta + hi) / 2
			}
		} else {
			hi = beta
			if math.IsInf(lo, -1) {
				beta /= 2
			} else {
				beta = (beta + lo) / 2
			}
		}
	}
	return beta
}

// Affinities is t-SNE's symmetric joint probability matrix P over the
// k-nearest-neighbour graph, in compressed sparse rows: row i holds the
// columns Indices[Indptr[i]:Indptr[i+1]] (ascending) with Values, and P
// sums to 1.
type Affinities struct {
	N       int
	Indptr  []int32
	Indices []int32
	Values  []float64
}

// SparseAffinities calibrates each point's conditional distribution over
// its neighbours to the perplexity, then symmetrises: P = (P + Pᵀ) / sum,
// as scikit-learn's _joint_probabilities_nn and bhtsne do.
func SparseAffinities(nb *Neighbors, perplexity float64, threads int) *Affinities {
	n, k := nb.N, nb.K
	cond := make([]float64, n*k)
	parallelFor(threadsOr(threads), n, 64, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			_, d2 := nb.Row(i)
			conditionalRow(d2, cond[i*k:(i+1)*k], perplexity)
		}
	})
	// Every (i, j) entry appears in row i and, transposed, in row j.
	count := make([]int32, n+1)
	for i := range n {
		idx, _ := nb.Row(i)
		count[i+1] += int32(k)
		for _, j := range idx {
			count[j+1]++
		}
	}
	for i := range n {
		count[i+1] += count[i]
	}
	fill := slices.Clone(count[:n])
	type entry struct {
		j int32
		v float64
	}
	raw := make([]entry, count[n])
	for i := range n {
		idx, _ := nb.Row(i)
		for t, j := range idx {
			v := cond[i*k+t]
			raw[fill[i]] = entry{j, v}
			fill[i]++
			raw[fill[j]] = entry{int32(i), v}
			fill[j]++
		}
	}
	a := &Affinities{N: n, Indptr: make([]int32, n+1)}
	a.Indices = make([]int32, 0, len(raw))
	a.Values = make([]float64, 0, len(raw))
	for i := range n {
		row := raw[count[i]:count[i+1]]
		slices.SortFunc(row, func(x, y entry) int { return int(x.j) - int(y.j) })
		for t := 0; t < len(row); {
			j, v := row[t].j, row[t].v
			for t++; t < len(row) && row[t].j == j; t++ {
				v += row[t].v
			}
			a.Indices = append(a.Indices, j)
			a.Values = append(a.Values, v)
		}
		a.Indptr[i+1] = int32(len(a.Indices))
	}
	var sum float64
	for _, v := range a.Values {
		sum += v
	}
	sum = max(sum, math.SmallestNonzeroFloat64)
	for t := range a.Values {
		a.Values[t] /= sum
	}
	return a
}

// denseAffinities is the exact method's P over all pairs (scikit-learn's
// _joint_probabilities): calibrated against every other point, symmetrised,
// normalised and floored at the float64 machine epsilon. d2 is the n×n
// squared distance matrix; the result is n×n with a zero diagonal.
func denseAffinities(d2 []float64, n int, perplexity float64, threads int) []float64 {
	cond := make([]float64, n*n)
	parallelFor(threadsOr(threads), n, 16, func(lo, hi int) {
		row := make([]float64, n-1)
		pr := make([]float64, n-1)
		for i := lo; i < hi; i++ {
			copy(row, d2[i*n:i*n+i])
			copy(row[i:], d2[i*n+i+1:(i+1)*n])
			conditionalRow(row, pr, perplexity)
			copy(cond[i*n:i*n+i], pr[:i])
			copy(cond[i*n+i+1:(i+1)*n], pr[i:])
		}
	})
	p := make([]float64, n*n)
	var sum float64
	for i := range n {
		for j := range n {
			if i != j {
				p[i*n+j] = cond[i*n+j] + cond[j*n+i]
				sum += p[i*n+j]
			}
		}
	}
	sum = max(sum, eps64)
	for i := range n {
		for j := range n {
			if i != j {
				p[i*n+j] = max(p[i*n+j]/sum, eps64)
			}
		}
	}
	return p
}

// eps64 is numpy's float64 machine epsilon, scikit-learn's floor for P.
const eps64 = 2.220446049250313e-16
