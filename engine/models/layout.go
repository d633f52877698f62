package models

import (
	"container/heap"
	"sort"

	"github.com/workbench-cv/workbench/engine/graph"
)

// Spacing of the automatic layout, in canvas units.
const (
	LayoutDX = 180 // between nodes of one row
	LayoutDY = 80  // between rows
)

// Layout places every node of g by a layered layout: a node's row is the
// longest path to it from a node without inputs (flow runs downwards), nodes
// of a row are ordered by the mean position of their inputs and centred on
// x = 0. Nodes on a cycle go in a last row. Deterministic.
func Layout(g *graph.Graph) { layoutNodes(g.Nodes, 0, 0) }

// placeBelow lays out newly inserted nodes under anchor.
func placeBelow(nodes []graph.Node, anchor graph.Node) {
	layoutNodes(nodes, anchor.X, anchor.Y+LayoutDY)
}

// layoutNodes lays out nodes from (x0, y0); inputs that are not among nodes
// are ignored.
func layoutNodes(nodes []graph.Node, x0, y0 float32) {
	order, index := topoOrder(nodes)
	depth := make([]int, len(nodes))
	placed := make([]bool, len(nodes))
	maxDepth := -1
	for _, i := range order {
		d := 0
		for _, in := range nodes[i].Inputs {
			if j, ok := index[in]; ok && placed[j] {
				d = max(d, depth[j]+1)
			}
		}
		depth[i], placed[i] = d, true
		maxDepth = max(maxDepth, d)
	}
	for i := range nodes {
		if !placed[i] {
			depth[i] = maxDepth + 1
		}
	}
	rows := map[int][]int{}
	for i := range nodes {
		rows[depth[i]] = append(rows[depth[i]], i)
	}
	xs := make([]float64, len(nodes))
	for d := 0; d <= maxDepth+1; d++ {
		row := rows[d]
		key := make(map[int]float64, len(row))
		for _, i := range row {
			sum, n := 0.0, 0
			for _, in := range nodes[i].Inputs {
				if j, ok := index[in]; ok && depth[j] < d {
					sum += xs[j]
					n++
				}
			}
			if n > 0 {
				key[i] = sum / float64(n)
			}
		}
		sort.SliceStable(row, func(a, b int) bool { return key[row[a]] < key[row[b]] })
		for k, i := range row {
			xs[i] = (float64(k) - float64(len(row)-1)/2) * LayoutDX
			nodes[i].X = x0 + float32(xs[i])
			nodes[i].Y = y0 + float32(d*LayoutDY)
		}
	}
}

// topoOrder returns the indices of nodes in a topological order that keeps
// the nodes' own order where it can (Kahn's algorithm taking the earliest
// ready node), leaving out nodes on cycles, and the index of each ID.
func topoOrder(nodes []graph.Node) ([]int, map[string]int) {
	index := make(map[string]int, len(nodes))
	for i, n := range nodes {
		if _, dup := index[n.ID]; !dup {
			index[n.ID] = i
		}
	}
	indeg := make([]int, len(nodes))
	consumers := make([][]int, len(nodes))
	for i, n := range nodes {
		for _, in := range n.Inputs {
			if j, ok := index[in]; ok {
				indeg[i]++
				consumers[j] = append(consumers[j], i)
			}
		}
	}
	ready := &intHeap{}
	for i := range nodes {
		if indeg[i] == 0 {
			heap.Push(ready, i)
		}
	}
	var order []int
	for ready.Len() > 0 {
		i := heap.Pop(ready).(int)
		order = append(order, i)
		for _, c := range consumers[i] {
			if indeg[c]--; indeg[c] == 0 {
				heap.Push(ready, c)
			}
		}
	}
	return order, index
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
