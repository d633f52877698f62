package texture

// TSVQ is a tree-structured vector quantiser over a set of vectors (Gersho
// and Gray; the speed-up of Wei and Levoy, 2000): a binary tree built by
// splitting each node's vectors in two with 2-means, searched by going down
// to the child whose centroid is nearer, then scanning the leaf. The search
// is approximate: the nearest vector may sit in a leaf the descent does not
// reach. A vector of the set itself is always found (its path is the one
// the split gave it), and so is anything nearer to its own cluster's
// centroids at every level.
type TSVQ struct {
	dim   int
	data  []float32 // n vectors of dim values
	idx   []int32   // vector indices, each leaf a contiguous run
	nodes []tsvqNode
}

type tsvqNode struct {
	// left, right are child nodes (-1 at a leaf); c0, c1 their centroids.
	left, right int
	c0, c1      []float32
	lo, hi      int // the node's run in idx
}

// tsvqIters is the number of 2-means iterations per split.
const tsvqIters = 6

// NewTSVQ builds the tree over data (n vectors of dim values, kept, not
// copied), splitting until a node has at most leaf vectors (8 if leaf < 1).
// Building is deterministic.
func NewTSVQ(data []float32, dim, leaf int) *TSVQ {
	if leaf < 1 {
		leaf = 8
	}
	n := len(data) / dim
	t := &TSVQ{dim: dim, data: data, idx: make([]int32, n)}
	for i := range t.idx {
		t.idx[i] = int32(i)
	}
	t.build(0, n, leaf, 0)
	return t
}

func (t *TSVQ) vec(i int32) []float32 { return t.data[int(i)*t.dim : int(i+1)*t.dim] }

func sqDist(a, b []float32) float32 {
	var d float32
	for i, v := range a {
		e := v - b[i]
		d += e * e
	}
	return d
}

// build makes the node for idx[lo:hi] and returns its index.
func (t *TSVQ) build(lo, hi, leaf, depth int) int {
	id := len(t.nodes)
	t.nodes = append(t.nodes, tsvqNode{left: -1, right: -1, lo: lo, hi: hi})
	if hi-lo <= leaf || depth > 64 {
		return id
	}
	c0, c1, ok := t.split(t.idx[lo:hi])
	if !ok {
		return id
	}
	// Partition by the final centroids, the rule the search follows.
	part := t.idx[lo:hi]
	var left, right []int32
	for _, i := range part {
		if v := t.vec(i); sqDist(v, c0) <= sqDist(v, c1) {
			left = append(left, i)
		} else {
			right = append(right, i)
		}
	}
	if len(left) == 0 || len(right) == 0 {
		return id
	}
	copy(part, left)
	copy(part[len(left):], right)
	mid := lo + len(left)
	l := t.build(lo, mid, leaf, depth+1)
	r := t.build(mid, hi, leaf, depth+1)
	t.nodes[id].left, t.nodes[id].right, t.nodes[id].c0, t.nodes[id].c1 = l, r, c0, c1
	return id
}

// split runs 2-means on the vectors ids, starting from the vector farthest
// from their mean and the one farthest from that; ok is false when all the
// vectors are equal.
func (t *TSVQ) split(ids []int32) (c0, c1 []float32, ok bool) {
	mean := make([]float32, t.dim)
	for _, i := range ids {
		for k, v := range t.vec(i) {
			mean[k] += v
		}
	}
	for k := range mean {
		mean[k] /= float32(len(ids))
	}
	far := func(from []float32) int32 {
		best, bd := ids[0], float32(-1)
		for _, i := range ids {
			if d := sqDist(t.vec(i), from); d > bd {
				best, bd = i, d
			}
		}
		return best
	}
	a := far(mean)
	b := far(t.vec(a))
	if sqDist(t.vec(a), t.vec(b)) == 0 {
		return nil, nil, false
	}
	c0 = append([]float32(nil), t.vec(a)...)
	c1 = append([]float32(nil), t.vec(b)...)
	s0, s1 := make([]float32, t.dim), make([]float32, t.dim)
	for range tsvqIters {
		clear(s0)
		clear(s1)
		n0, n1 := 0, 0
		for _, i := range ids {
			v := t.vec(i)
			s, n := s1, &n1
			if sqDist(v, c0) <= sqDist(v, c1) {
				s, n = s0, &n0
			}
			for k, x := range v {
				s[k] += x
			}
			*n++
		}
		if n0 == 0 || n1 == 0 {
			break
		}
		for k := range c0 {
			c0[k], c1[k] = s0[k]/float32(n0), s1[k]/float32(n1)
		}
	}
	return c0, c1, true
}

// Nearest returns the index of the vector the tree finds for q (the
// nearest in the leaf q descends to; the first on ties) and its squared
// distance.
func (t *TSVQ) Nearest(q []float32) (int, float32) {
	n := t.nodes[0]
	for n.left >= 0 {
		if sqDist(q, n.c0) <= sqDist(q, n.c1) {
			n = t.nodes[n.left]
		} else {
			n = t.nodes[n.right]
		}
	}
	best, bd := -1, float32(0)
	for _, i := range t.idx[n.lo:n.hi] {
		if d := sqDist(q, t.vec(i)); best < 0 || d < bd || (d == bd && int(i) < best) {
			best, bd = int(i), d
		}
	}
	return best, bd
}

// Leaves is the number of leaves of the tree.
func (t *TSVQ) Leaves() int {
	n := 0
	for _, nd := range t.nodes {
		if nd.left < 0 {
			n++
		}
	}
	return n
}

// NearestExact returns the index of the nearest of the vectors in data
// (dim values each) to q (the first on ties) and its squared distance, by
// a full scan (in parallel when large; the result does not depend on it).
func NearestExact(data []float32, dim int, q []float32) (int, float32) {
	e := exactSearch{data: data, dim: dim}
	return e.Nearest(q)
}

// exactSearch is a full scan that keeps its distance buffer.
type exactSearch struct {
	data []float32
	dim  int
	buf  []float32
}

func (e *exactSearch) Nearest(q []float32) (int, float32) {
	dim := e.dim
	e.buf = scan(len(e.data)/dim, dim, e.buf, func(lo, hi int, out []float32) {
		for i := lo; i < hi; i++ {
			out[i-lo] = sqDist(q, e.data[i*dim:(i+1)*dim])
		}
	})
	i := argmin(e.buf)
	return i, e.buf[i]
}
