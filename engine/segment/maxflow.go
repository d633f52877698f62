package segment

// graph is a flow network for Dinic's algorithm: nodes 0..n-1 are pixels,
// n the source and n+1 the sink.
type graph struct {
	head  []int32
	next  []int32
	to    []int32
	cap   []float64
	level []int32
	iter  []int32
}

func newGraph(nodes, arcs int) *graph {
	g := &graph{head: make([]int32, nodes), level: make([]int32, nodes), iter: make([]int32, nodes)}
	for i := range g.head {
		g.head[i] = -1
	}
	g.next = make([]int32, 0, arcs)
	g.to = make([]int32, 0, arcs)
	g.cap = make([]float64, 0, arcs)
	return g
}

// edge adds u→v of capacity c and v→u of capacity rc (each the other's
// residual).
func (g *graph) edge(u, v int, c, rc float64) {
	g.to = append(g.to, int32(v), int32(u))
	g.cap = append(g.cap, c, rc)
	e := int32(len(g.to) - 2)
	g.next = append(g.next, g.head[u], g.head[v])
	g.head[u], g.head[v] = e, e+1
}

const flowEps = 1e-9

// bfs sets the levels from s in the residual graph and reports whether t
// is reachable.
func (g *graph) bfs(s, t int) bool {
	for i := range g.level {
		g.level[i] = -1
	}
	q := []int32{int32(s)}
	g.level[s] = 0
	for len(q) > 0 {
		u := q[0]
		q = q[1:]
		for e := g.head[u]; e >= 0; e = g.next[e] {
			if v := g.to[e]; g.cap[e] > flowEps && g.level[v] < 0 {
				g.level[v] = g.level[u] + 1
				q = append(q, v)
			}
		}
	}
	return g.level[t] >= 0
}

// dfs pushes up to f from u towards t along the level graph.
func (g *graph) dfs(u, t int, f float64) float64 {
	if u == t {
		return f
	}
	for ; g.iter[u] >= 0; g.iter[u] = g.next[g.iter[u]] {
		e := g.iter[u]
		v := int(g.to[e])
		if g.cap[e] <= flowEps || g.level[v] != g.level[u]+1 {
			continue
		}
		if d := g.dfs(v, t, min(f, g.cap[e])); d > 0 {
			g.cap[e] -= d
			g.cap[e^1] += d
			return d
		}
	}
	return 0
}

// maxFlow runs Dinic's algorithm from s to t and returns the flow.
func (g *graph) maxFlow(s, t int) float64 {
	var flow float64
	for g.bfs(s, t) {
		copy(g.iter, g.head)
		for {
			f := g.dfs(s, t, 1e300)
			if f <= 0 {
				break
			}
			flow += f
		}
	}
	return flow
}

// sourceSide marks the nodes reachable from s in the residual graph (the
// source side of a minimum cut, after maxFlow).
func (g *graph) sourceSide(s int) []bool {
	seen := make([]bool, len(g.head))
	seen[s] = true
	q := []int32{int32(s)}
	for len(q) > 0 {
		u := q[0]
		q = q[1:]
		for e := g.head[u]; e >= 0; e = g.next[e] {
			if v := g.to[e]; g.cap[e] > flowEps && !seen[v] {
				seen[v] = true
				q = append(q, v)
			}
		}
	}
	return seen
}
