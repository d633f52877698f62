package backendtest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

func poolGeoms() []backend.PoolGeom {
	return []backend.PoolGeom{
		{N: 2, C: 3, H: 7, W: 9, KH: 2, KW: 2, SH: 2, SW: 2},
		{N: 2, C: 3, H: 8, W: 8, KH: 2, KW: 2, SH: 2, SW: 2},
		{N: 2, C: 3, H: 7, W: 9, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1},
		{N: 1, C: 2, H: 5, W: 6, KH: 3, KW: 3, SH: 1, SW: 1},
		{N: 2, C: 2, H: 6, W: 6, KH: 2, KW: 2, SH: 1, SW: 1, PH: 1, PW: 1},
		{N: 1, C: 2, H: 6, W: 7, KH: 2, KW: 3, SH: 2, SW: 1, PH: 1, PW: 1},
		{N: 8, C: 16, H: 28, W: 28, KH: 2, KW: 2, SH: 2, SW: 2},
	}
}

type pgeom backend.PoolGeom

func (g pgeom) String() string { return fmt.Sprintf("%+v", backend.PoolGeom(g)) }

// plateaus has runs of equal values, so that windows hold ties (the first
// maximum in row-major order wins) and negative values only (padding must
// not win).
func plateaus(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = -float32(1 + r.IntN(3))
	}
	return v
}

func testMaxPool(t *testing.T, s *suite) {
	r := rng(t)
	for _, g := range poolGeoms() {
		g = g.Out()
		for _, gen := range []func(*rand.Rand, int) []float32{func(r *rand.Rand, n int) []float32 { return normal(r, n, 1) }, plateaus} {
			x := gen(r, g.N*g.C*g.H*g.W)
			n := g.N * g.C * g.OH * g.OW
			var gotIdx, orcIdx []float32
			got, orc := s.both(func(k backend.Backend, who int) []float32 {
				dst, idx := k.Alloc(n), k.Alloc(n)
				k.MaxPool(dst, idx, up(k, x), g)
				if who == 0 {
					gotIdx = down(k, idx, n)
				} else {
					orcIdx = down(k, idx, n)
				}
				return down(k, dst, n)
			})
			ref, refIdx := refMaxPool(x, g)
			compare(t, pgeom(g).String()+" values", got, orc, ref, nil, exact)
			compare(t, pgeom(g).String()+" indices", gotIdx, orcIdx, refIdx, nil, exact)
		}
	}
}

func testMaxPoolGrad(t *testing.T, s *suite) {
	r := rng(t)
	for _, g := range poolGeoms() {
		g = g.Out()
		n := g.N * g.C * g.OH * g.OW
		_, idx := refMaxPool(normal(r, g.N*g.C*g.H*g.W, 1), g)
		idx32 := make([]float32, n)
		for i, v := range idx {
			idx32[i] = float32(v)
		}
		dy := normal(r, n, 1)
		nx := g.N * g.C * g.H * g.W
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			dx := up(k, normal(r, nx, 1)) // overwritten
			k.MaxPoolGrad(dx, up(k, dy), up(k, idx32), g)
			return down(k, dx, nx)
		})
		ref, mag := refMaxPoolGrad(dy, idx32, g)
		compare(t, pgeom(g).String(), got, orc, ref, mag, tol{rel: float64(2 * g.KH * g.KW)})
	}
}

// testMaxPoolReLU checks backends that implement backend.MaxPoolReLUer:
// the pooled values are max(0, MaxPool), the indices MaxPool's, and the
// gradient is MaxPoolGrad of dy where the output is positive.
func testMaxPoolReLU(t *testing.T, s *suite) {
	if _, ok := s.b.(backend.MaxPoolReLUer); !ok {
		t.Skip("the backend has no fused max-pool + ReLU; autograd uses MaxPool and Unary")
	}
	r := rng(t)
	for _, g := range poolGeoms() {
		g = g.Out()
		for _, gen := range []func(*rand.Rand, int) []float32{func(r *rand.Rand, n int) []float32 { return normal(r, n, 1) }, plateaus} {
			x := gen(r, g.N*g.C*g.H*g.W)
			n, nx := g.N*g.C*g.OH*g.OW, g.N*g.C*g.H*g.W
			dy := normal(r, n, 1)
			var gotIdx, orcIdx, gotDx, orcDx []float32
			got, orc := s.both(func(k backend.Backend, who int) []float32 {
				f := k.(backend.MaxPoolReLUer)
				dst, idx := up(k, normal(r, n, 1)), up(k, normal(r, n, 1))
				f.MaxPoolReLU(dst, idx, up(k, x), g)
				dx := up(k, normal(r, nx, 1)) // overwritten
				f.MaxPoolReLUGrad(dx, up(k, dy), dst, idx, g)
				if who == 0 {
					gotIdx, gotDx = down(k, idx, n), down(k, dx, nx)
				} else {
					orcIdx, orcDx = down(k, idx, n), down(k, dx, nx)
				}
				return down(k, dst, n)
			})
			ref, refIdx := refMaxPool(x, g)
			masked := make([]float32, n)
			for i := range ref {
				if ref[i] > 0 {
					masked[i] = dy[i]
				} else {
					ref[i] = 0
				}
			}
			idx32 := make([]float32, n)
			for i, v := range refIdx {
				idx32[i] = float32(v)
			}
			refDx, mag := refMaxPoolGrad(masked, idx32, g)
			compare(t, pgeom(g).String()+" values", got, orc, ref, nil, exact)
			compare(t, pgeom(g).String()+" indices", gotIdx, orcIdx, refIdx, nil, exact)
			compare(t, pgeom(g).String()+" gradient", gotDx, orcDx, refDx, mag, tol{rel: float64(2 * g.KH * g.KW)})
		}
	}
}

func testAvgPool(t *testing.T, s *suite) {
	r := rng(t)
	for _, g := range poolGeoms() {
		g = g.Out()
		x := normal(r, g.N*g.C*g.H*g.W, 1)
		n := g.N * g.C * g.OH * g.OW
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			dst := k.Alloc(n)
			k.AvgPool(dst, up(k, x), g)
			return down(k, dst, n)
		})
		ref, mag := refAvgPool(x, g)
		compare(t, pgeom(g).String(), got, orc, ref, mag, tol{rel: float64(2*g.KH*g.KW + 2)})
	}
}

func testAvgPoolGrad(t *testing.T, s *suite) {
	r := rng(t)
	for _, g := range poolGeoms() {
		g = g.Out()
		n := g.N * g.C * g.OH * g.OW
		nx := g.N * g.C * g.H * g.W
		dy := normal(r, n, 1)
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			dx := up(k, normal(r, nx, 1))
			k.AvgPoolGrad(dx, up(k, dy), g)
			return down(k, dx, nx)
		})
		ref, mag := refAvgPoolGrad(dy, g)
		compare(t, pgeom(g).String(), got, orc, ref, mag, tol{rel: float64(2*g.KH*g.KW + 2)})
	}
}

// logits returns rows×cols values: normal at the given scale, with one
// constant row and, when extreme, values of ±1e4.
