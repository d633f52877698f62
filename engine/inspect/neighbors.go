package inspect

import (
	"context"
	"fmt"
	"image"

	"github.com/workbench-cv/workbench/engine/blas"
	"github.com/workbench-cv/workbench/engine/data"
)

// NearestRows finds, for each of nq query rows, the k nearest of np pool
// rows (d values each) by Euclidean distance: blocks of the squared
// distance matrix come from one SGEMM each (|q|²+|p|²-2qp), and the
// candidates are ranked by exact float64 distances. exclude, when not
// nil, gives a pool row to skip per query (the query itself; -1: none).
// It returns nq×k indices and squared distances, nearest first (ties by
// index).
func NearestRows(ctx context.Context, q []float32, nq int, pool []float32, np, d, k int, exclude []int, threads int) ([]int, []float64, error) {
	if d < 1 || len(q) != nq*d || len(pool) != np*d {
		return nil, nil, fmt.Errorf("nearest rows: %d query and %d pool numbers are not %d and %d rows of %d", len(q), len(pool), nq, np, d)
	}
	if exclude != nil && len(exclude) != nq {
		return nil, nil, fmt.Errorf("nearest rows: %d exclusions for %d queries", len(exclude), nq)
	}
	avail := np
	if exclude != nil {
		avail--
	}
	if k < 1 || k > avail {
		return nil, nil, fmt.Errorf("cannot find %d neighbours among %d candidates", k, max(avail, 0))
	}
	if err := checkFinite32(q); err != nil {
		return nil, nil, err
	}
	if err := checkFinite32(pool); err != nil {
		return nil, nil, err
	}
	threads = threadsOr(threads)
	norms := func(m []float32, n int) []float32 {
		out := make([]float32, n)
		for i := range n {
			var s float64
			for _, v := range m[i*d : (i+1)*d] {
				s += float64(v) * float64(v)
			}
			out[i] = float32(s)
		}
		return out
	}
	qn, pn := norms(q, nq), norms(pool, np)
	keep := min(k+8, avail)
	idx := make([]int, nq*k)
	dist := make([]float64, nq*k)
	const block = 128
	g := make([]float32, block*np)
	for r0 := 0; r0 < nq; r0 += block {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		rb := min(block, nq-r0)
		blas.Sgemm(false, true, rb, np, d, -2, q[r0*d:], d, pool, d, 0, g, np)
		parallelFor(threads, rb, 8, func(lo, hi int) {
			h := make(candHeap, 0, keep)
			for r := lo; r < hi; r++ {
				i := r0 + r
				skip := -1
				if exclude != nil {
					skip = exclude[i]
				}
				h = h[:0]
				for j, v := range g[r*np : (r+1)*np] {
					if j != skip {
						h.push(cand{float64(v + qn[i] + pn[j]), int32(j)}, keep)
					}
				}
				for t := range h {
					j := int(h[t].i)
					h[t].d = dist2(q[i*d:(i+1)*d], pool[j*d:(j+1)*d])
				}
				sortCands(h)
				for t := range k {
					idx[i*k+t], dist[i*k+t] = int(h[t].i), h[t].d
				}
			}
		})
	}
	return idx, dist, nil
}

// Neighbours is one query image's nearest neighbours in a layer's
// feature space and in pixel space.
type Neighbours struct {
	Query                    int
	Feature, Pixel           []int     // indices in the pool, nearest first
	FeatureDist2, PixelDist2 []float64 // squared L2 distances
}

// LayerNeighbours finds, for the query images qidx of queries, the k
// nearest images of pool by L2 distance in layer's features and in raw
// pixels (scaled to [0, 1]). When pool and queries are the same split
// the query itself is left out.
func (n Net) LayerNeighbours(ctx context.Context, queries *data.Set, qidx []int, pool *data.Set, layer string, k int, opt FeatureOptions) ([]Neighbours, error) {
	if len(qidx) == 0 {
		return nil, fmt.Errorf("no query images: give at least one")
	}
	pf, d, err := n.Features(ctx, pool, nil, layer, opt)
	if err != nil {
		return nil, err
	}
	qf, _, err := n.Features(ctx, queries, qidx, layer, FeatureOptions{Batch: opt.Batch})
	if err != nil {
		return nil, err
	}
	var exclude []int
	if queries == pool {
		exclude = append([]int(nil), qidx...)
	}
	fi, fd, err := NearestRows(ctx, qf, len(qidx), pf, pool.Len(), d, k, exclude, 0)
	if err != nil {
		return nil, err
	}
	pixels := func(s *data.Set, idx []int) []float32 {
		sz := s.Size()
		out := make([]float32, len(idx)*sz)
		for j, i := range idx {
			for p, v := range s.Image(i) {
				out[j*sz+p] = float32(v) / 255
			}
		}
		return out
	}
	all := make([]int, pool.Len())
	for i := range all {
		all[i] = i
	}
	if queries.Size() != pool.Size() {
		return nil, fmt.Errorf("query images have %d values, pool images %d", queries.Size(), pool.Size())
	}
	pi, pd, err := NearestRows(ctx, pixels(queries, qidx), len(qidx), pixels(pool, all), pool.Len(), pool.Size(), k, exclude, 0)
	if err != nil {
		return nil, err
	}
	out := make([]Neighbours, len(qidx))
	for r, q := range qidx {
		out[r] = Neighbours{Query: q, Feature: fi[r*k : (r+1)*k], FeatureDist2: fd[r*k : (r+1)*k],
			Pixel: pi[r*k : (r+1)*k], PixelDist2: pd[r*k : (r+1)*k]}
	}
	return out, nil
}

// NeighbourGrid draws one row per query: the query image, a gap, its
// feature-space neighbours, a gap, its pixel-space neighbours.
func NeighbourGrid(queries, pool *data.Set, nb []Neighbours, scale int) (*image.NRGBA, error) {
	if len(nb) == 0 {
		return nil, fmt.Errorf("no neighbours to draw")
	}
	k := len(nb[0].Feature)
	cols := 2*k + 3
	var tiles []image.Image
	for _, r := range nb {
		q, err := PixelImage(queries.Image(r.Query), queries.C, queries.H, queries.W)
		if err != nil {
			return nil, err
		}
		tiles = append(tiles, q, nil)
		for _, list := range [][]int{r.Feature, r.Pixel} {
			for _, i := range list {
				t, err := PixelImage(pool.Image(i), pool.C, pool.H, pool.W)
				if err != nil {
					return nil, err
				}
				tiles = append(tiles, t)
			}
			tiles = append(tiles, nil)
		}
		tiles = tiles[:len(tiles)-1]
	}
	if scale <= 0 {
		scale = max(1, 48/max(pool.W, 1))
	}
	return TileGrid(tiles, GridOptions{Cols: cols, Scale: scale}), nil
}
