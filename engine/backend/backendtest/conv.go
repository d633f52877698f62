package backendtest

import (
	"fmt"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

func testGemm(t *testing.T, s *suite) {
	r := rng(t)
	dims := [][3]int{{1, 1, 1}, {7, 5, 3}, {33, 17, 65}, {64, 64, 64}, {129, 70, 257}, {3, 200, 1}, {1, 300, 40}}
	scal := [][2]float32{{1, 0}, {0.5, 1}, {-1.3, -0.7}}
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			t.Run(fmt.Sprintf("transA=%v,transB=%v", tA, tB), func(t *testing.T) {
				for di, d := range dims {
					m, n, k := d[0], d[1], d[2]
					ab := scal[di%len(scal)]
					// Stored shapes, with padded leading dimensions and offsets
					// on odd cases, contiguous on even ones.
					ar, ac := m, k
					if tA {
						ar, ac = k, m
					}
					br, bc := k, n
					if tB {
						br, bc = n, k
					}
					pad, off := 0, 0
					if di%2 == 1 {
						pad, off = 3, 5
					}
					lda, ldb, ldc := ac+pad, bc+pad, n+pad
					a := normal(r, off+ar*lda, 1)
					bm := normal(r, off+br*ldb, 1)
					c := normal(r, off+m*ldc+pad, 1) // pad: entries after the block must survive
					got, orc := s.both(func(kb backend.Backend, who int) []float32 {
						cb := up(kb, c)
						kb.Gemm(tA, tB, m, n, k, ab[0], up(kb, a), off, lda, up(kb, bm), off, ldb, ab[1], cb, off, ldc)
						return down(kb, cb, len(c))
					})
					ref, mag := refGemm(tA, tB, m, n, k, float64(ab[0]), a, off, lda, bm, off, ldb, float64(ab[1]), c, off, ldc)
					compare(t, fmt.Sprintf("m=%d n=%d k=%d alpha=%g beta=%g ld+%d off %d", m, n, k, ab[0], ab[1], pad, off),
						got, orc, ref, mag, tol{rel: float64(2*k + 4)})
				}
			})
		}
	}
}

// convGeoms cover stride, padding, dilation, 1×1 and rectangular kernels,
// and a size big enough for the parallel paths.
func convGeoms() []backend.ConvGeom {
	return []backend.ConvGeom{
		{N: 2, C: 3, H: 7, W: 9, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1},
		{N: 2, C: 3, H: 7, W: 9, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1, DH: 1, DW: 1},
		{N: 1, C: 2, H: 7, W: 9, KH: 3, KW: 3, SH: 1, SW: 1, PH: 2, PW: 2, DH: 2, DW: 2},
		{N: 2, C: 4, H: 5, W: 6, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1},
		{N: 1, C: 3, H: 9, W: 7, KH: 5, KW: 5, SH: 2, SW: 2, PH: 2, PW: 2, DH: 1, DW: 1},
		{N: 2, C: 3, H: 6, W: 7, KH: 2, KW: 3, SH: 2, SW: 1, PH: 1, PW: 0, DH: 1, DW: 2},
		{N: 3, C: 2, H: 4, W: 4, KH: 3, KW: 3, SH: 3, SW: 3, PH: 0, PW: 0, DH: 1, DW: 1},
		{N: 8, C: 16, H: 14, W: 14, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1},
	}
}

func (g geom) String() string { return fmt.Sprintf("%+v", backend.ConvGeom(g)) }

type geom backend.ConvGeom

func testIm2Col(t *testing.T, s *suite) {
	r := rng(t)
	for _, g := range convGeoms() {
		g = g.Out()
		x := normal(r, g.N*g.C*g.H*g.W, 1)
		n := g.ColRows() * g.ColCols()
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			col := up(k, normal(r, n, 1)) // overwritten, zeros included
			k.Im2Col(col, up(k, x), g)
			return down(k, col, n)
		})
		compare(t, geom(g).String(), got, orc, refIm2Col(x, g), nil, exact)
	}
}

func testCol2Im(t *testing.T, s *suite) {
	r := rng(t)
	for _, g := range convGeoms() {
		g = g.Out()
		col := normal(r, g.ColRows()*g.ColCols(), 1)
		n := g.N * g.C * g.H * g.W
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			dx := up(k, normal(r, n, 1)) // overwritten
			k.Col2Im(dx, up(k, col), g)
			return down(k, dx, n)
		})
		ref, mag := refCol2Im(col, g)
		compare(t, geom(g).String(), got, orc, ref, mag, tol{rel: float64(2 * g.KH * g.KW)})
	}
}

// testDirectConv checks backends that implement backend.DirectConv
// against the definition of a grouped convolution, for every geometry of
// convGeoms with and without groups and bias, and each gradient alone.
func testDirectConv(t *testing.T, s *suite) {
	if _, ok := s.b.(backend.DirectConv); !ok {
		t.Skip("the backend has no direct convolution; autograd uses Im2Col and Gemm")
	}
	r := rng(t)
	for gi, g := range convGeoms() {
		g = g.Out()
		for _, o := range []backend.ConvGroups{{OC: 5, Groups: 1}, {OC: 2 * g.C, Groups: g.C}, {OC: 16, Groups: 1}} {
			if g.C%o.Groups != 0 || o.OC%o.Groups != 0 {
				continue
			}
			kk := g.C / o.Groups * g.KH * g.KW
			x := normal(r, g.N*g.C*g.H*g.W, 1)
			w := normal(r, o.OC*kk, 1)
			ny := g.N * o.OC * g.OH * g.OW
			dy := normal(r, ny, 1)
			var bias []float32
			if gi%2 == 0 {
				bias = normal(r, o.OC, 1)
			}
			ref := refConv(x, w, bias, dy, g, o)
			what := fmt.Sprintf("%v %+v", geom(g), o)
			tl := tol{rel: float64(2*kk + 4)}
			got, orc := s.both(func(k backend.Backend, who int) []float32 {
				y := up(k, normal(r, ny, 1)) // overwritten
				var bb backend.Buffer
				if bias != nil {
					bb = up(k, bias)
				}
				k.(backend.DirectConv).ConvForward(y, up(k, x), up(k, w), bb, g, o)
				return down(k, y, ny)
			})
			compare(t, "forward "+what, got, orc, ref.y, ref.ymag, tl)
			// All three gradients at once, then each alone (the others nil).
			for _, want := range []string{"all", "dx", "dw", "db"} {
				grads := map[string][]float32{}
				var orcs map[string][]float32
				for who, k := range []backend.Backend{s.b, s.o} {
					out := map[string][]float32{}
					var dx, dw, db backend.Buffer
					if want == "all" || want == "dx" {
						dx = up(k, normal(r, len(x), 1))
					}
					if want == "all" || want == "dw" {
						dw = up(k, normal(r, len(w), 1))
					}
					if want == "all" || want == "db" {
						db = up(k, normal(r, o.OC, 1))
					}
					k.(backend.DirectConv).ConvBackward(dx, dw, db, up(k, dy), up(k, x), up(k, w), g, o)
					if dx != nil {
						out["dx"] = down(k, dx, len(x))
					}
					if dw != nil {
						out["dw"] = down(k, dw, len(w))
					}
					if db != nil {
						out["db"] = down(k, db, o.OC)
					}
					if who == 0 {
						grads = out
					} else {
						orcs = out
					}
				}
				if v, ok := grads["dx"]; ok {
					compare(t, "dx ("+want+") "+what, v, orcs["dx"], ref.dx, ref.dxmag, tol{rel: float64(2*o.OC/o.Groups*g.KH*g.KW + 4)})
				}
				if v, ok := grads["dw"]; ok {
					compare(t, "dw ("+want+") "+what, v, orcs["dw"], ref.dw, ref.dwmag, tol{rel: float64(2*g.N*g.OH*g.OW + 4)})
				}
				if v, ok := grads["db"]; ok {
					compare(t, "db ("+want+") "+what, v, orcs["db"], ref.db, ref.dbmag, tol{rel: float64(2*g.N*g.OH*g.OW + 4)})
				}
			}
		}
	}
}
