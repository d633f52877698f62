package inspect

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/workbench-cv/workbench/engine/internal/quickselect"
)

// vpTree is a vantage-point tree over the rows of x (Yianilos 1993), the
// exact metric tree bhtsne uses for t-SNE's input neighbours: each node
// holds a point and the median distance from it to the points under it;
// the nearer half goes left, the farther half right. Nodes are stored in
// pre-order, so a node's left child is the next node.
type vpTree struct {
	x     []float32
	d     int
	nodes []vpNode
}

type vpNode struct {
	point  int32
	radius float64 // median distance (not squared) to the subtree's points
	right  int32   // index of the right child, -1 for none
	hasL   bool
}

func buildVPTree(x []float32, n, d int, seed int64) *vpTree {
	t := &vpTree{x: x, d: d, nodes: make([]vpNode, 0, n)}
	items := make([]int32, n)
	for i := range items {
		items[i] = int32(i)
	}
	dist := make([]float64, n)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7670))
	t.build(items, dist, rng)
	return t
}

func (t *vpTree) row(i int32) []float32 { return t.x[int(i)*t.d : (int(i)+1)*t.d] }

// build adds the subtree over items (dist is scratch of the same length).
func (t *vpTree) build(items []int32, dist []float64, rng *rand.Rand) {
	if len(items) == 0 {
		return
	}
	v := rng.IntN(len(items))
	items[0], items[v] = items[v], items[0]
	at := len(t.nodes)
	t.nodes = append(t.nodes, vpNode{point: items[0], right: -1})
	rest := items[1:]
	if len(rest) == 0 {
		return
	}
	vp := t.row(items[0])
	dd := dist[:len(rest)]
	for i, p := range rest {
		dd[i] = math.Sqrt(dist2(vp, t.row(p)))
	}
	mid := len(rest) / 2
	quickselect.Nth(dd, mid, func(i, j int) { rest[i], rest[j] = rest[j], rest[i] })
	t.nodes[at].radius = dd[mid]
	if mid > 0 {
		t.nodes[at].hasL = true
		t.build(rest[:mid], dist[1:], rng)
	}
	t.nodes[at].right = int32(len(t.nodes))
	t.build(rest[mid:], dist[1:], rng)
}

// search keeps in h the limit nearest points to q (squared distances).
func (t *vpTree) search(q []float32, limit int, h *candHeap) {
	tau := math.Inf(1)
	var walk func(k int32)
	walk = func(k int32) {
		nd := &t.nodes[k]
		d2 := dist2(q, t.row(nd.point))
		h.push(cand{d2, nd.point}, limit)
		if len(*h) == limit {
			tau = math.Sqrt((*h)[0].d)
		}
		dist := math.Sqrt(d2)
		left, right := int32(-1), nd.right
		if nd.hasL {
			left = k + 1
		}
		if dist < nd.radius {
			if left >= 0 && dist-tau <= nd.radius {
				walk(left)
			}
			if right >= 0 && dist+tau >= nd.radius {
				walk(right)
			}
		} else {
			if right >= 0 && dist+tau >= nd.radius {
				walk(right)
			}
			if left >= 0 && dist-tau <= nd.radius {
				walk(left)
			}
		}
	}
	walk(0)
}

// vpKNN answers every point's query in parallel (the tree is read-only).
func vpKNN(ctx context.Context, x []float32, n, d, k int, seed int64, threads int) (*Neighbors, error) {
	t := buildVPTree(x, n, d, seed)
	nb := &Neighbors{N: n, K: k, Index: make([]int32, n*k), Dist2: make([]float64, n*k)}
	parallelFor(threads, n, 64, func(lo, hi int) {
		if ctx.Err() != nil {
			return
		}
		h := make(candHeap, 0, k+1)
		for i := lo; i < hi; i++ {
			h = h[:0]
			t.search(x[i*d:(i+1)*d], k+1, &h)
			sortCands(h)
			t := 0
			for _, c := range h {
				if int(c.i) == i || t == k {
					continue
				}
				nb.Index[i*k+t], nb.Dist2[i*k+t] = c.i, c.d
				t++
			}
		}
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nb, nil
}
