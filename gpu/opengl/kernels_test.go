//go:build linux || windows

package opengl

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
)

// Each test runs a kernel on the GL backend and on the CPU backend (the
// oracle) with the same inputs and compares the outputs.

type twin struct {
	t   *testing.T
	g   *GL
	c   *cpu.CPU
	rng *rand.Rand
}

func newTwin(t *testing.T) *twin {
	return &twin{t: t, g: openOrSkip(t), c: cpu.New(), rng: rand.New(rand.NewPCG(1, 2))}
}

// pair is one tensor on both backends.
type pair struct{ g, c backend.Buffer }

func (w *twin) from(data []float32) pair {
	p := pair{w.g.Alloc(len(data)), w.c.Alloc(len(data))}
	w.g.Write(p.g, 0, data)
	w.c.Write(p.c, 0, data)
	return p
}

func (w *twin) zeros(n int) pair { return pair{w.g.Alloc(n), w.c.Alloc(n)} }

func (w *twin) randn(n int, lo, hi float32) []float32 {
	d := make([]float32, n)
	for i := range d {
		d[i] = lo + (hi-lo)*w.rng.Float32()
	}
	return d
}

func (w *twin) rand(n int) pair { return w.from(w.randn(n, -2, 2)) }

// read returns both backends' values.
func (w *twin) read(p pair) (gl, want []float32) {
	n := p.c.Len()
	gl, want = make([]float32, n), make([]float32, n)
	w.g.Read(p.g, 0, gl)
	w.c.Read(p.c, 0, want)
	return gl, want
}

// same fails unless |gl-want| <= atol + rtol*|want| everywhere (NaNs must
// match NaNs).
func (w *twin) same(name string, p pair, atol, rtol float64) {
	w.t.Helper()
	got, want := w.read(p)
	closeTo(w.t, name, got, want, atol, rtol)
}

func closeTo(t *testing.T, name string, got, want []float32, atol, rtol float64) {
	t.Helper()
	bad := 0
	for i := range want {
		g, c := float64(got[i]), float64(want[i])
		if math.IsNaN(c) || math.IsNaN(g) {
			if math.IsNaN(c) != math.IsNaN(g) {
				t.Errorf("%s[%d] = %v, want %v", name, i, g, c)
				bad++
			}
		} else if math.IsInf(c, 0) {
			if g != c {
				t.Errorf("%s[%d] = %v, want %v", name, i, g, c)
				bad++
			}
		} else if math.Abs(g-c) > atol+rtol*math.Abs(c) {
			t.Errorf("%s[%d] = %v, want %v (diff %.3g)", name, i, g, c, math.Abs(g-c))
			bad++
		}
		if bad >= 5 {
			t.Fatalf("%s: stopping after 5 mismatches", name)
		}
	}
}

// exact fails unless the values are bit-identical.
func (w *twin) exact(name string, p pair) {
	w.t.Helper()
	got, want := w.read(p)
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			w.t.Fatalf("%s[%d] = %v, want exactly %v", name, i, got[i], want[i])
		}
	}
}

func TestBuffersWriteReadCopyFill(t *testing.T) {
	w := newTwin(t)
	a := w.from(w.randn(1000, -1, 1))
	w.exact("write/read", a)
	part := []float32{7, 8, 9}
	w.g.Write(a.g, 997, part)
	w.c.Write(a.c, 997, part)
	w.exact("write at offset", a)
	got := make([]float32, 3)
	w.g.Read(a.g, 500, got)
	want := make([]float32, 3)
	w.c.Read(a.c, 500, want)
	closeTo(t, "read at offset", got, want, 0, 0)

	b := w.zeros(1000)
	w.exact("alloc zeroed", b)
	w.g.Copy(b.g, 10, a.g, 100, 300)
	w.c.Copy(b.c, 10, a.c, 100, 300)
	w.exact("copy", b)
	w.g.Copy(a.g, 0, a.g, 500, 400)
	w.c.Copy(a.c, 0, a.c, 500, 400)
	w.exact("copy within a buffer", a)
	w.g.Fill(b.g, -2.5)
	w.c.Fill(b.c, -2.5)
	w.exact("fill", b)
}

func TestFreedBuffersComeBackZeroed(t *testing.T) {
	g := openOrSkip(t)
	for range 3 {
		b := g.Alloc(5000)
		g.Fill(b, 3)
		g.Free(b)
		c := g.Alloc(4999) // same size class: reuses b's storage
		got := make([]float32, c.Len())
		g.Read(c, 0, got)
		for i, v := range got {
			if v != 0 {
				t.Fatalf("reused buffer [%d] = %v, want 0", i, v)
			}
		}
		g.Free(c)
	}
	g.Free(g.Alloc(10)) // double free and free of nil are harmless
	g.Free(nil)
}

func TestSizeClassesWasteAtMostAQuarter(t *testing.T) {
	for _, n := range []int{0, 1, 64, 65, 100, 1000, 1 << 20, 3 << 19, 3<<19 + 1, 12345678} {
		c := sizeClass(n)
		if c < n*4 || (n > 64 && float64(c) > float64(n*4)*1.25) {
			t.Errorf("sizeClass(%d) = %d bytes for %d bytes", n, c, n*4)
		}
	}
}

var unaryInputs = map[backend.UnaryOp][2]float32{
	backend.Log: {0.01, 5}, backend.Sqrt: {0.01, 5}, backend.Recip: {0.2, 5}, backend.Pow: {0.1, 3},
}

func TestUnaryAndGradMatchCPU(t *testing.T) {
	w := newTwin(t)
	for op := backend.Neg; op <= backend.Clamp; op++ {
		lo, hi := float32(-6), float32(6)
		if r, ok := unaryInputs[op]; ok {
			lo, hi = r[0], r[1]
		}
		data := w.randn(1031, lo, hi)
		data[0], data[1] = 0, 1e-4 // the edges of ReLU, Sign, Abs, ELU
		if op == backend.Log || op == backend.Sqrt || op == backend.Recip || op == backend.Pow {
			data[0], data[1] = 1, 2
		}
		for _, alpha := range []float32{0.5, 2.5} {
			beta := alpha + 1
			if op == backend.Clamp {
				alpha, beta = -0.5, 1.5
			}
			x, y := w.from(data), w.zeros(len(data))
			w.g.Unary(op, y.g, x.g, alpha, beta)
			w.c.Unary(op, y.c, x.c, alpha, beta)
			w.same(fmt.Sprintf("%v(alpha=%v)", op, alpha), y, 1e-6, 2e-5)

			dy, dx := w.rand(len(data)), w.zeros(len(data))
			w.g.UnaryGrad(op, dx.g, x.g, y.g, dy.g, alpha, beta)
			w.c.UnaryGrad(op, dx.c, x.c, y.c, dy.c, alpha, beta)
			w.same(fmt.Sprintf("%v'(alpha=%v)", op, alpha), dx, 1e-5, 1e-4)
		}
	}
	// UnaryGrad without x or y where the derivative reads neither.
	x, y, dy, dx := w.rand(100), w.zeros(100), w.rand(100), w.zeros(100)
	w.g.Unary(backend.Exp, y.g, x.g, 0, 0)
	w.c.Unary(backend.Exp, y.c, x.c, 0, 0)
	w.g.UnaryGrad(backend.Exp, dx.g, nil, y.g, dy.g, 0, 0)
	w.c.UnaryGrad(backend.Exp, dx.c, nil, y.c, dy.c, 0, 0)
	w.same("exp' from y alone", dx, 1e-6, 1e-5)
}

func TestUnaryEdgeValues(t *testing.T) {
	w := newTwin(t)
	inf := float32(math.Inf(1))
	data := []float32{-inf, -100, -20, -1e-7, 0, 1e-7, 20, 100, inf}
	for _, op := range []backend.UnaryOp{backend.ReLU, backend.Sigmoid, backend.Tanh, backend.GELU, backend.ELU, backend.Abs, backend.Sign} {
		x, y := w.from(data), w.zeros(len(data))
		w.g.Unary(op, y.g, x.g, 1, 0)
		w.c.Unary(op, y.c, x.c, 1, 0)
		w.same(op.String()+" at the edges", y, 1e-6, 1e-5)
	}
}

func TestBinaryBroadcastMatchesCPU(t *testing.T) {
	w := newTwin(t)
	cases := []struct {
		shape, sa, sb []int
		na, nb        int
	}{
		{[]int{1000}, []int{1}, []int{1}, 1000, 1000},             // same shape
		{[]int{1000}, []int{1}, []int{0}, 1000, 1},                // scalar
		{[]int{7, 33}, []int{33, 1}, []int{0, 1}, 231, 33},        // row bias
		{[]int{4, 5, 6}, []int{30, 6, 1}, []int{0, 1, 0}, 120, 5}, // channel bias
		{[]int{6, 5}, []int{1, 6}, []int{5, 1}, 30, 30},           // a transposed
		{[]int{2, 3, 1, 4, 5}, []int{60, 20, 0, 5, 1}, []int{0, 4, 0, 1, 0}, 120, 12},
		{[]int{2, 2, 3, 2, 3, 2}, []int{72, 36, 12, 6, 2, 1}, []int{0, 6, 2, 0, 0, 1}, 144, 12},
		{[]int{}, []int{}, []int{}, 1, 1}, // scalars
	}
	for _, c := range cases {
		for op := backend.Add; op <= backend.GreaterMask; op++ {
			a, b := w.rand(c.na), w.rand(c.nb)
			if op == backend.Div {
				b = w.from(w.randn(c.nb, 0.5, 2))
			}
			n := numel(c.shape)
			z := w.zeros(n)
			s := backend.Strided{Shape: c.shape, StrideA: c.sa, StrideB: c.sb}
			w.g.Binary(op, z.g, a.g, b.g, s)
			w.c.Binary(op, z.c, a.c, b.c, s)
			w.same(fmt.Sprintf("%v %v", op, c.shape), z, 1e-7, 1e-6)
		}
	}
	// In place, as Linear adds its bias: dst is a.
	a, b := w.rand(12), w.rand(4)
	s := backend.Strided{Shape: []int{3, 4}, StrideA: []int{4, 1}, StrideB: []int{0, 1}}
	w.g.Binary(backend.Add, a.g, a.g, b.g, s)
	w.c.Binary(backend.Add, a.c, a.c, b.c, s)
	w.exact("in-place add", a)

	x, y := w.rand(500), w.rand(500)
	w.g.Axpy(y.g, -0.75, x.g)
	w.c.Axpy(y.c, -0.75, x.c)
	w.same("axpy", y, 1e-7, 1e-6)
}

func TestSumToMatchesCPU(t *testing.T) {
	w := newTwin(t)
	cases := []struct {
		shape, sa []int
		nOut      int
	}{
		{[]int{8, 5}, []int{0, 1}, 5},                  // bias of a linear layer
		{[]int{8, 5}, []int{1, 0}, 8},                  // row sums
		{[]int{4, 6, 7, 7}, []int{0, 1, 0, 0}, 6},      // conv bias (workgroup per output)
		{[]int{3, 300}, []int{0, 0}, 1},                // everything
		{[]int{64, 32, 14, 14}, []int{0, 1, 0, 0}, 32}, // ref-cnn's bias gradient
		{[]int{2, 3, 4, 5}, []int{0, 5, 0, 1}, 15},     // two kept axes
		{[]int{2, 3, 4}, []int{12, 4, 1}, 24},          // nothing summed
		{[]int{5, 1, 3}, []int{0, 7, 1}, 3},            // size-1 axis with a stride
		{[]int{3, 4}, []int{1, 0}, 5},                  // dst longer than needed: rest zeroed
		{[]int{2, 2, 2, 2, 2, 3}, []int{0, 6, 0, 3, 0, 1}, 12},
	}
	for _, c := range cases {
		x, z := w.rand(numel(c.shape)), w.zeros(c.nOut)
		w.g.Fill(z.g, 9) // overwritten, not accumulated
		s := backend.Strided{Shape: c.shape, StrideA: c.sa}
		w.g.SumTo(z.g, x.g, s)
		w.c.SumTo(z.c, x.c, s)
		// float32 sums of many terms differ in order: allow for rounding
		// that grows with their number.
		terms := numel(c.shape) / c.nOut
		w.same(fmt.Sprintf("sumto %v %v", c.shape, c.sa), z, 1e-6*float64(terms), 1e-5)
	}
}

func TestReduceMatchesCPU(t *testing.T) {
	w := newTwin(t)
	for _, d := range [][3]int{{5, 300, 1}, {64, 10, 1}, {3, 7, 11}, {1, 64, 128}, {2, 1, 5}, {1, 5000, 1}} {
		for _, op := range []backend.ReduceOp{backend.Sum, backend.Mean, backend.MaxReduce} {
			x, z := w.rand(d[0]*d[1]*d[2]), w.zeros(d[0]*d[2])
			w.g.Reduce(op, z.g, x.g, d[0], d[1], d[2])
			w.c.Reduce(op, z.c, x.c, d[0], d[1], d[2])
			w.same(fmt.Sprintf("reduce(%d) %v", op, d), z, 1e-5, 1e-5)
		}
	}
}

func TestPermuteMatchesCPU(t *testing.T) {
	w := newTwin(t)
	cases := []struct{ shape, perm []int }{
		{[]int{32, 4, 49}, []int{1, 0, 2}}, // the convolution's [OC,N,P] -> [N,OC,P]
		{[]int{7, 9}, []int{1, 0}},
		{[]int{2, 3, 4, 5}, []int{3, 1, 0, 2}},
		{[]int{2, 1, 3, 2, 2, 3}, []int{5, 4, 3, 2, 1, 0}},
		{[]int{3, 4}, []int{0, 1}},
	}
	for _, c := range cases {
		x, z := w.rand(numel(c.shape)), w.zeros(numel(c.shape))
		w.g.Permute(z.g, x.g, c.shape, c.perm)
		w.c.Permute(z.c, x.c, c.shape, c.perm)
		w.exact(fmt.Sprintf("permute %v by %v", c.shape, c.perm), z)
	}
}

// gemmCase runs one product on both backends; pl forces a GL plan (nil:
// the backend's own choice).
func (w *twin) gemmCase(pl *plan, transA, transB bool, m, n, k int, alpha, beta float32, offA, padA, offB, padB, offC, padC int) {
	w.t.Helper()
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	lda, ldb, ldc := max(ac+padA, 1), max(bc+padB, 1), n+padC
	a := w.rand(offA + ar*lda)
	b := w.rand(offB + br*ldb)
	c := w.rand(offC + m*ldc)
	if pl == nil {
		w.g.Gemm(transA, transB, m, n, k, alpha, a.g, offA, lda, b.g, offB, ldb, beta, c.g, offC, ldc)
	} else {
		ha, hb, hc := w.g.check(a.g, 0, "a"), w.g.check(b.g, 0, "b"), w.g.check(c.g, 0, "c")
		w.g.gemm(*pl, transA, transB, m, n, k, alpha, ha, offA, lda, hb, offB, ldb, beta, hc, offC, ldc)
	}
	w.c.Gemm(transA, transB, m, n, k, alpha, a.c, offA, lda, b.c, offB, ldb, beta, c.c, offC, ldc)
	tol := 2e-6 * float64(k+1)
	w.same(fmt.Sprintf("gemm(tA=%v tB=%v m=%d n=%d k=%d alpha=%v beta=%v offs=%d,%d,%d pads=%d,%d,%d plan=%v)",
		transA, transB, m, n, k, alpha, beta, offA, offB, offC, padA, padB, padC, pl), c, tol, 1e-5)
}

func TestGemmMatchesCPU(t *testing.T) {
	w := newTwin(t)
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			// Aligned (vec4 loads), ragged edges, offsets and padded rows.
			w.gemmCase(nil, tA, tB, 64, 64, 64, 1, 0, 0, 0, 0, 0, 0, 0)
			w.gemmCase(nil, tA, tB, 37, 71, 29, 0.5, 0, 0, 0, 0, 0, 0, 0)
			w.gemmCase(nil, tA, tB, 33, 20, 45, 1.5, -0.5, 4, 4, 8, 0, 3, 2)
			w.gemmCase(nil, tA, tB, 5, 130, 19, 1, 1, 1, 3, 2, 1, 5, 0)
		}
	}
	// Each tiling, on ragged and aligned shapes.
	for _, tile := range gemmTiles {
		pl := splitK(tile, 100, 1)
		w.gemmCase(&pl, false, false, 150, 140, 100, 1, 0, 0, 0, 0, 0, 0, 0)
		w.gemmCase(&pl, true, true, 129, 131, 100, 1, 0.25, 0, 1, 0, 0, 0, 0)
		pl = splitK(tile, 64, 1)
		w.gemmCase(&pl, true, false, 128, 256, 64, 1, 0, 0, 0, 0, 0, 0, 0)
	}
	// Split-K, forced and as chosen for long, thin products (the weight
	// gradients of convolutions).
	for _, tile := range gemmTiles {
		pl := splitK(tile, 300, 4)
		w.gemmCase(&pl, false, true, 40, 36, 300, 1, 0.5, 0, 0, 0, 0, 0, 0)
		// Scalar loads at the chunk edges: k and the leading dimensions
		// are not multiples of 4.
		pl = splitK(tile, 301, 3)
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				w.gemmCase(&pl, tA, tB, 41, 37, 301, 1, 0, 1, 1, 2, 1, 0, 0)
			}
		}
	}
	w.gemmCase(nil, false, true, 32, 72, 3000, 1, 0, 0, 0, 0, 0, 0, 0)
	// k = 0 and alpha = 0 scale C by beta, as BLAS does.
	w.gemmCase(nil, false, false, 9, 9, 0, 1, 0.5, 0, 0, 0, 0, 0, 0)
	w.gemmCase(nil, false, false, 9, 9, 5, 0, 0, 0, 0, 0, 0, 0, 3)
	w.gemmCase(nil, false, false, 9, 9, 5, 0, 1, 0, 0, 0, 0, 0, 0)
}

// With beta = 0, C is overwritten, never read: NaNs in it must not leak.
func TestGemmIgnoresCWhenBetaIsZero(t *testing.T) {
	w := newTwin(t)
	nan := float32(math.NaN())
	for _, k := range []int{0, 7, 2000} {
		a, b := w.rand(5*max(k, 1)), w.rand(max(k, 1)*6)
		cd := make([]float32, 30)
		for i := range cd {
			cd[i] = nan
		}
		c := w.from(cd)
		w.g.Gemm(false, false, 5, 6, k, 1, a.g, 0, max(k, 1), b.g, 0, 6, 0, c.g, 0, 6)
		w.c.Gemm(false, false, 5, 6, k, 1, a.c, 0, max(k, 1), b.c, 0, 6, 0, c.c, 0, 6)
		w.same(fmt.Sprintf("gemm over NaN C, k=%d", k), c, 1e-6*float64(k+1), 1e-5)
	}
}

func TestGemmPlans(t *testing.T) {
	if p := gemmPlan(4096, 4096, 4096); p.t != tileLarge || p.splits != 1 {
		t.Errorf("4096³ planned as %+v, want large tiles, no split", p)
	}
	if p := gemmPlan(32, 50176, 9); p.t != tileWide || p.splits != 1 {
		t.Errorf("conv1 forward planned as %+v, want wide tiles", p)
	}
	p := gemmPlan(64, 288, 12544) // ref-cnn conv2 weight gradient
	if p.splits < 2 || p.kChunk%p.t.BK != 0 || (p.splits-1)*p.kChunk >= 12544 || p.splits*p.kChunk < 12544 {
		t.Errorf("conv2 weight gradient planned as %+v, want a split of k in whole BK slices", p)
	}
}

func TestConvolutionLoweringMatchesCPU(t *testing.T) {
	w := newTwin(t)
	geoms := []backend.ConvGeom{
		{N: 2, C: 3, H: 9, W: 8, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1},
		{N: 1, C: 2, H: 11, W: 10, KH: 3, KW: 2, SH: 2, SW: 3, PH: 1, PW: 0, DH: 1, DW: 1},
		{N: 2, C: 2, H: 12, W: 12, KH: 3, KW: 3, SH: 2, SW: 2, PH: 2, PW: 2, DH: 2, DW: 2},
		{N: 3, C: 1, H: 5, W: 5, KH: 5, KW: 5, SH: 1, SW: 1, PH: 0, PW: 0, DH: 1, DW: 1},
		{N: 1, C: 4, H: 7, W: 7, KH: 1, KW: 1, SH: 2, SW: 2, PH: 0, PW: 0, DH: 1, DW: 1},
	}
	for _, g := range geoms {
		g = g.Out()
		x, col := w.rand(g.N*g.C*g.H*g.W), w.zeros(g.ColRows()*g.ColCols())
		w.g.Im2Col(col.g, x.g, g)
		w.c.Im2Col(col.c, x.c, g)
		w.exact(fmt.Sprintf("im2col %+v", g), col)
		dcol, dx := w.rand(g.ColRows()*g.ColCols()), w.zeros(g.N*g.C*g.H*g.W)
		w.g.Col2Im(dx.g, dcol.g, g)
		w.c.Col2Im(dx.c, dcol.c, g)
		w.exact(fmt.Sprintf("col2im %+v", g), dx)
	}
}

func TestPoolingMatchesCPU(t *testing.T) {
	w := newTwin(t)
	geoms := []backend.PoolGeom{
		{N: 2, C: 3, H: 8, W: 8, KH: 2, KW: 2, SH: 2, SW: 2},
		{N: 1, C: 2, H: 9, W: 7, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1}, // overlapping windows
		{N: 2, C: 1, H: 6, W: 10, KH: 2, KW: 3, SH: 1, SW: 3},
		{N: 1, C: 1, H: 7, W: 7, KH: 7, KW: 7, SH: 1, SW: 1},
	}
	for _, g := range geoms {
		g = g.Out()
		in, out := g.N*g.C*g.H*g.W, g.N*g.C*g.OH*g.OW
		for _, ties := range []bool{false, true} {
			data := w.randn(in, -2, 2)
			if ties { // small integers: many equal maxima, the first must win
				for i := range data {
					data[i] = float32(int(data[i]))
				}
			}
			x, y, idx := w.from(data), w.zeros(out), w.zeros(out)
			w.g.MaxPool(y.g, idx.g, x.g, g)
			w.c.MaxPool(y.c, idx.c, x.c, g)
			w.exact(fmt.Sprintf("maxpool %+v ties=%v", g, ties), y)
			w.exact(fmt.Sprintf("maxpool indices %+v ties=%v", g, ties), idx)
			dy, dx := w.rand(out), w.zeros(in)
			w.g.MaxPoolGrad(dx.g, dy.g, idx.g, g)
			w.c.MaxPoolGrad(dx.c, dy.c, idx.c, g)
			w.exact(fmt.Sprintf("maxpool grad %+v ties=%v", g, ties), dx)
		}
		x, y := w.rand(in), w.zeros(out)
		w.g.AvgPool(y.g, x.g, g)
		w.c.AvgPool(y.c, x.c, g)
		w.same(fmt.Sprintf("avgpool %+v", g), y, 1e-6, 1e-6)
		dy, dx := w.rand(out), w.zeros(in)
		w.g.AvgPoolGrad(dx.g, dy.g, g)
		w.c.AvgPoolGrad(dx.c, dy.c, g)
		w.same(fmt.Sprintf("avgpool grad %+v", g), dx, 1e-6, 1e-6)
	}
}

func TestSoftmaxFamilyMatchesCPU(t *testing.T) {
	w := newTwin(t)
	for _, d := range [][2]int{{64, 10}, {3, 1000}, {5, 1}, {200, 129}} {
		rows, cols := d[0], d[1]
		x := w.from(w.randn(rows*cols, -8, 8))
		for _, log := range []bool{false, true} {
			y := w.zeros(rows * cols)
			w.g.Softmax(y.g, x.g, rows, cols, log)
			w.c.Softmax(y.c, x.c, rows, cols, log)
			w.same(fmt.Sprintf("softmax %v log=%v", d, log), y, 1e-6, 1e-5)
			dy, dx := w.rand(rows*cols), w.zeros(rows*cols)
			w.g.SoftmaxGrad(dx.g, y.g, dy.g, rows, cols, log)
			w.c.SoftmaxGrad(dx.c, y.c, dy.c, rows, cols, log)
			w.same(fmt.Sprintf("softmax grad %v log=%v", d, log), dx, 1e-5, 1e-4)
		}
		// Soft targets that sum to 1.5 per row, to exercise sum(t).
		tg := w.randn(rows*cols, 0, 1)
		for r := range rows {
			var s float32
			for j := range cols {
				s += tg[r*cols+j]
			}
			for j := range cols {
				tg[r*cols+j] *= 1.5 / s
			}
		}
		target, loss, grad := w.from(tg), w.zeros(rows), w.zeros(rows*cols)
		w.g.SoftmaxXent(loss.g, grad.g, x.g, target.g, rows, cols, 0.25)
		w.c.SoftmaxXent(loss.c, grad.c, x.c, target.c, rows, cols, 0.25)
		w.same(fmt.Sprintf("xent loss %v", d), loss, 1e-4, 1e-5)
		w.same(fmt.Sprintf("xent grad %v", d), grad, 1e-6, 1e-5)
	}
}

func TestChannelKernelsMatchCPU(t *testing.T) {
	w := newTwin(t)
	for _, d := range [][3]int{{8, 4, 49}, {64, 3, 1}, {2, 5, 700}} {
		outer, c, inner := d[0], d[1], d[2]
		data := w.randn(outer*c*inner, 3, 5) // a large mean, to catch one-pass variance
		x, mean, variance := w.from(data), w.zeros(c), w.zeros(c)
		w.g.ChannelStats(mean.g, variance.g, x.g, outer, c, inner)
		w.c.ChannelStats(mean.c, variance.c, x.c, outer, c, inner)
		w.same(fmt.Sprintf("channel mean %v", d), mean, 1e-6, 1e-5)
		w.same(fmt.Sprintf("channel variance %v", d), variance, 1e-6, 1e-4)
		scale, shift, y := w.rand(c), w.rand(c), w.zeros(outer*c*inner)
		w.g.ChannelAffine(y.g, x.g, scale.g, shift.g, outer, c, inner)
		w.c.ChannelAffine(y.c, x.c, scale.c, shift.c, outer, c, inner)
		w.same(fmt.Sprintf("channel affine %v", d), y, 1e-6, 1e-6)
	}
}

func TestDropoutMaskIsBitIdentical(t *testing.T) {
	w := newTwin(t)
	for _, seed := range []uint64{0, 1, 0xDEADBEEFCAFEF00D, math.MaxUint64} {
		for _, p := range []float32{0.1, 0.5, 0.9} {
			m := w.zeros(4099)
			w.g.DropoutMask(m.g, p, seed)
			w.c.DropoutMask(m.c, p, seed)
			w.exact(fmt.Sprintf("dropout mask seed=%x p=%v", seed, p), m)
		}
	}
}

func TestOptimizerStepsMatchCPU(t *testing.T) {
	w := newTwin(t)
	for _, c := range []struct {
		momentum, wd float32
		nesterov     bool
	}{{0, 0, false}, {0.9, 0, false}, {0.9, 1e-2, true}, {0, 1e-2, false}} {
		wt, gr := w.rand(777), w.rand(777)
		var v pair
		if c.momentum != 0 {
			v = w.rand(777)
		}
		for range 3 {
			w.g.SGDStep(wt.g, gr.g, v.g, 0.1, c.momentum, c.wd, c.nesterov)
			w.c.SGDStep(wt.c, gr.c, v.c, 0.1, c.momentum, c.wd, c.nesterov)
		}
		w.same(fmt.Sprintf("sgd %+v", c), wt, 1e-6, 1e-5)
		if c.momentum != 0 {
			w.same(fmt.Sprintf("sgd velocity %+v", c), v, 1e-6, 1e-5)
		}
	}
	for _, dec := range []bool{false, true} {
		wt, m, v := w.rand(777), w.zeros(777), w.zeros(777)
		for step := 1; step <= 3; step++ {
			gr := w.rand(777)
			p := backend.AdamParams{LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 0.05, Decoupled: dec, Step: step}
			w.g.AdamStep(wt.g, gr.g, m.g, v.g, p)
			w.c.AdamStep(wt.c, gr.c, m.c, v.c, p)
		}
		w.same(fmt.Sprintf("adam weights decoupled=%v", dec), wt, 1e-6, 1e-5)
		w.same(fmt.Sprintf("adam m decoupled=%v", dec), m, 1e-6, 1e-5)
		w.same(fmt.Sprintf("adam v decoupled=%v", dec), v, 1e-7, 1e-5)
	}
}

// Misuse panics with the problem named, on the caller's goroutine, as the
// CPU backend's slice bounds would; the backend stays usable.
func TestMisusePanicsWithAMessage(t *testing.T) {
	g := openOrSkip(t)
	expect := func(what, want string, f func()) {
		t.Helper()
		defer func() {
			r := recover()
			if r == nil || !strings.Contains(fmt.Sprint(r), want) {
				t.Errorf("%s: recovered %v, want a panic mentioning %q", what, r, want)
			}
		}()
		f()
	}
	small, big := g.Alloc(3), g.Alloc(10)
	expect("foreign buffer", "another backend", func() { g.Unary(backend.ReLU, big, cpu.New().Alloc(10), 0, 0) })
	expect("short input", "holds 3 values", func() { g.Unary(backend.ReLU, big, small, 0, 0) })
	expect("bad ld", "ldb=2", func() { g.Gemm(false, false, 2, 3, 2, 1, big, 0, 2, big, 0, 2, 0, big, 0, 3) })
	freed := g.Alloc(10)
	g.Free(freed)
	expect("freed buffer", "freed", func() { g.Fill(freed, 1) })
	expect("bad permutation", "not a permutation", func() { g.Permute(big, big, []int{2, 5}, []int{0, 0}) })
	got := make([]float32, 3)
	g.Read(small, 0, got) // still working
}
