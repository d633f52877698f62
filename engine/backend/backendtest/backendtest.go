package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Run checks every kernel of b, one subtest each.
func Run(t *testing.T, b backend.Backend) {
	s := &suite{b: b, o: cpu.New()}
	for _, k := range []struct {
		name string
		f    func(*testing.T, *suite)
	}{
		{"Memory", testMemory},
		{"Unary", testUnary},
		{"UnaryGrad", testUnaryGrad},
		{"Binary", testBinary},
		{"InPlace", testInPlace},
		{"Axpy", testAxpy},
		{"SumTo", testSumTo},
		{"Reduce", testReduce},
		{"Permute", testPermute},
		{"Gemm", testGemm},
		{"Im2Col", testIm2Col},
		{"Col2Im", testCol2Im},
		{"DirectConv", testDirectConv},
		{"MaxPool", testMaxPool},
		{"MaxPoolGrad", testMaxPoolGrad},
		{"MaxPoolReLU", testMaxPoolReLU},
		{"AvgPool", testAvgPool},
		{"AvgPoolGrad", testAvgPoolGrad},
		{"Softmax", testSoftmax},
		{"SoftmaxGrad", testSoftmaxGrad},
		{"SoftmaxXent", testSoftmaxXent},
		{"ChannelStats", testChannelStats},
		{"ChannelAffine", testChannelAffine},
		{"DropoutMask", testDropoutMask},
		{"SGDStep", testSGDStep},
		{"AdamStep", testAdamStep},
	} {
		t.Run(k.name, func(t *testing.T) { k.f(t, s) })
	}
}

type suite struct {
	b, o backend.Backend // under test, oracle
}

// rng is seeded per subtest so that each is reproducible on its own.
func rng(t *testing.T) *rand.Rand {
	var h uint64 = 14695981039346656037
	for _, c := range t.Name() {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return rand.New(rand.NewPCG(h, 0xbac))
}

func normal(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

func up(k backend.Backend, v []float32) backend.Buffer {
	buf := k.Alloc(len(v))
	k.Write(buf, 0, v)
	return buf
}

func down(k backend.Backend, buf backend.Buffer, n int) []float32 {
	v := make([]float32, n)
	k.Read(buf, 0, v)
	return v
}

// both runs f on the backend under test (who 0) and on the oracle (who 1).
// (Backends may be pointers to empty structs, which compare equal.)
func (s *suite) both(f func(k backend.Backend, who int) []float32) (got, oracle []float32) {
	return f(s.b, 0), f(s.o, 1)
}

// tol is a tolerance in float32 units in the last place (2⁻²³):
// |got - want| <= eps·(rel·magᵢ + abs·max(mag)), where magᵢ is the size of
// the terms that make up element i (|want| for a plain function).
type tol struct{ rel, abs float64 }

var (
	exact = tol{}
	ulp4  = tol{rel: 4}
	trans = tol{rel: 64, abs: 8} // exp, log, tanh and friends
)

const eps32 = 1.0 / (1 << 23)

func abs64(v []float64) []float64 {
	m := make([]float64, len(v))
	for i, x := range v {
		m[i] = math.Abs(x)
	}
	return m
}

func f64(v []float32) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}

// check compares got with want within tl and reports the count and the
// worst element.
func check(t *testing.T, what string, got []float32, want, mag []float64, tl tol) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	if mag == nil {
		mag = abs64(want)
	}
	maxMag := 0.0
	for _, m := range mag {
		if !math.IsInf(m, 0) && !math.IsNaN(m) {
			maxMag = max(maxMag, m)
		}
	}
	bad, worst, worstX := 0, 0, 0.0
	for i, g := range got {
		w, gg := want[i], float64(g)
		if gg == w || math.IsNaN(gg) && math.IsNaN(w) {
			continue
		}
		lim := eps32 * (tl.rel*mag[i] + tl.abs*maxMag)
		d := math.Abs(gg - w)
		if d <= lim {
			continue
		}
		bad++
		if x := d / max(lim, 1e-300); bad == 1 || x > worstX || math.IsNaN(d) {
			worst, worstX = i, x
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values out of tolerance (%g·ulp·|terms| + %g·ulp·max); worst at %d: got %.9g, want %.9g (%.3g× the limit)",
			what, bad, len(got), tl.rel, tl.abs, worst, got[worst], want[worst], worstX)
	}
}

// compare checks the backend's result against the oracle's and against
// the reference.
func compare(t *testing.T, what string, got, oracle []float32, ref, mag []float64, tl tol) {
	t.Helper()
	if mag == nil {
		mag = abs64(ref)
	}
	check(t, what+" vs cpu", got, f64(oracle), mag, tl)
	check(t, what+" vs reference", got, ref, mag, tl)
}

// sizes include one above the CPU backend's threshold for splitting work
// over goroutines even for the cheapest kernels.
var sizes = []int{1, 7, 3001, 40001}

func testMemory(t *testing.T, s *suite) {
	r := rng(t)
	b := s.b
	for _, n := range sizes {
		buf := b.Alloc(n)
		if buf.Len() != n {
			t.Fatalf("Alloc(%d).Len() = %d", n, buf.Len())
		}
		for i, v := range down(b, buf, n) {
			if v != 0 {
				t.Fatalf("Alloc(%d) not zeroed at %d: %v", n, i, v)
			}
		}
		v := normal(r, n, 1)
		b.Write(buf, 0, v)
		check(t, fmt.Sprintf("Write/Read %d", n), down(b, buf, n), f64(v), nil, exact)
		// Partial reads and writes at offsets.
		if n > 2 {
			b.Write(buf, n-2, []float32{3.5, -4.25})
			tail := make([]float32, 3)
			b.Read(buf, n-3, tail)
			if tail[0] != v[n-3] || tail[1] != 3.5 || tail[2] != -4.25 {
				t.Errorf("Write at offset %d / Read at %d: %v", n-2, n-3, tail)
			}
		}
		b.Fill(buf, -1.5)
		for i, x := range down(b, buf, n) {
			if x != -1.5 {
				t.Fatalf("Fill: element %d is %v", i, x)
			}
		}
		b.Fill(buf, 0)
		for i, x := range down(b, buf, n) {
			if x != 0 {
				t.Fatalf("Fill 0: element %d is %v", i, x)
			}
		}
		b.Fill(buf, 7)
		b.Free(buf)
		// A buffer allocated after a dirty one was freed (a pool may hand
		// back the same storage) still reads as zeros.
		again := b.Alloc(n)
		for i, x := range down(b, again, n) {
			if x != 0 {
				t.Fatalf("Alloc(%d) after Free of a dirty buffer: element %d is %v", n, i, x)
			}
		}
		b.Free(again)
		b.Free(again) // a second Free does nothing
		// AllocUninit: any contents, but the right length and usable.
		u := backend.AllocUninit(b, n)
		if u.Len() != n {
			t.Fatalf("AllocUninit(%d).Len() = %d", n, u.Len())
		}
		b.Write(u, 0, v)
		check(t, fmt.Sprintf("AllocUninit Write/Read %d", n), down(b, u, n), f64(v), nil, exact)
		b.Free(u)
	}
	// Copy between buffers and within one buffer (disjoint ranges).
	v := normal(r, 100, 1)
	src, dst := up(b, v), b.Alloc(50)
	b.Copy(dst, 10, src, 33, 40)
	got := down(b, dst, 50)
	for i := range got {
		want := float32(0)
		if i >= 10 {
			want = v[33+i-10]
		}
		if got[i] != want {
			t.Fatalf("Copy: dst[%d] = %v, want %v", i, got[i], want)
		}
	}
	b.Copy(src, 60, src, 5, 30)
	got = down(b, src, 100)
	for i := range got {
		want := v[i]
		if i >= 60 && i < 90 {
			want = v[5+i-60]
		}
		if got[i] != want {
			t.Fatalf("Copy within a buffer: [%d] = %v, want %v", i, got[i], want)
		}
	}
}

type unaryCase struct {
	op          backend.UnaryOp
	alpha, beta float32
	gen         func(r *rand.Rand, n int) []float32
	tl          tol
}

func positive(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(0.05 + 3*r.Float64())
	}
	return v
}

// withJoints is normal values including exact zeros and the clamp bounds,
// where conventions are pinned.
func withJoints(r *rand.Rand, n int) []float32 {
	v := normal(r, n, 2)
	for i := 0; i < n; i += 5 {
		v[i] = 0
	}
	if n > 3 {
		v[1], v[3] = -0.5, 0.75
	}
	return v
}

func unaryCases() []unaryCase {
	nz := func(r *rand.Rand, n int) []float32 { // away from 0 for 1/x
		v := normal(r, n, 1)
		for i := range v {
			if math.Abs(float64(v[i])) < 0.1 {
				v[i] += 0.2
			}
		}
		return v
	}
	wide := func(r *rand.Rand, n int) []float32 { return normal(r, n, 6) }
	return []unaryCase{
		{backend.Neg, 0, 0, withJoints, exact},
		{backend.Exp, 0, 0, wide, trans},
		{backend.Log, 0, 0, positive, trans},
		{backend.Sqrt, 0, 0, positive, ulp4},
		{backend.Abs, 0, 0, withJoints, exact},
		{backend.Square, 0, 0, withJoints, ulp4},
		{backend.Recip, 0, 0, nz, ulp4},
		{backend.ReLU, 0, 0, withJoints, exact},
		{backend.LeakyReLU, 0.1, 0, withJoints, ulp4},
		{backend.ELU, 1.3, 0, withJoints, trans},
		{backend.SELU, 0, 0, withJoints, trans},
		{backend.GELU, 0, 0, wide, trans},
		{backend.Sigmoid, 0, 0, wide, trans},
		{backend.Tanh, 0, 0, wide, trans},
		{backend.Sign, 0, 0, withJoints, exact},
		{backend.Pow, 1.7, 0, positive, trans},
		{backend.Pow, -0.5, 0, positive, trans},
		{backend.Pow, 2, 0, positive, trans},
		{backend.AddScalar, 0.7, 0, withJoints, ulp4},
		{backend.MulScalar, -1.9, 0, withJoints, ulp4},
		{backend.Clamp, -0.5, 0.75, withJoints, exact},
	}
}

func testUnary(t *testing.T, s *suite) {
	r := rng(t)
	for _, c := range unaryCases() {
		t.Run(fmt.Sprintf("%v(%g,%g)", c.op, c.alpha, c.beta), func(t *testing.T) {
			for _, n := range sizes {
				x := c.gen(r, n)
				got, orc := s.both(func(k backend.Backend, who int) []float32 {
					dst := k.Alloc(n)
					k.Unary(c.op, dst, up(k, x), c.alpha, c.beta)
					return down(k, dst, n)
				})
				ref := make([]float64, n)
				for i, v := range x {
					ref[i] = refUnary(c.op, float64(v), float64(c.alpha), float64(c.beta))
				}
				compare(t, fmt.Sprint(n), got, orc, ref, nil, c.tl)
			}
		})
	}
}

func testUnaryGrad(t *testing.T, s *suite) {
	r := rng(t)
	for _, c := range unaryCases() {
		t.Run(fmt.Sprintf("%v(%g,%g)", c.op, c.alpha, c.beta), func(t *testing.T) {
			for _, n := range sizes {
				x := c.gen(r, n)
				y := make([]float32, n)
				for i, v := range x {
					y[i] = float32(refUnary(c.op, float64(v), float64(c.alpha), float64(c.beta)))
				}
				dy := normal(r, n, 1)
				got, orc := s.both(func(k backend.Backend, who int) []float32 {
					dx := k.Alloc(n)
					k.UnaryGrad(c.op, dx, up(k, x), up(k, y), up(k, dy), c.alpha, c.beta)
					return down(k, dx, n)
				})
				ref, mag := make([]float64, n), make([]float64, n)
				for i, v := range x {
					d := refDeriv(c.op, float64(v), float64(c.alpha), float64(c.beta))
					ref[i] = float64(dy[i]) * d
					// A backend may compute f' from the rounded y (1-y² for
					// tanh): its error is relative to the terms, not to f'.
					yi, terms := math.Abs(float64(y[i])), math.Abs(d)
					switch c.op {
					case backend.Tanh:
						terms = 1 + yi*yi
					case backend.Sigmoid:
						terms = yi * (1 + yi)
					case backend.ELU, backend.SELU:
						terms += yi + seluScale*seluAlpha
					}
					mag[i] = math.Abs(float64(dy[i])) * terms
				}
				tl := c.tl
				if tl == exact {
					tl = ulp4
				}
				// Derivatives computed from the rounded y (σ(1-σ), 1-tanh²)
				// lose a little more.
				tl.rel *= 4
				compare(t, fmt.Sprint(n), got, orc, ref, mag, tl)
			}
		})
	}
}

// shapes of broadcast operand pairs.
var bcastPairs = [][2][]int{
	{{5, 7}, {5, 7}},
	{{5, 7}, {7}},
	{{5, 7}, {5, 1}},
	{{7}, {5, 7}},
	{{2, 3, 4}, {3, 1}},
	{{1, 4}, {3, 1}},
	{{4, 1, 3}, {1, 5, 1}},
	{{2, 1, 3, 1, 2, 2}, {1, 2, 1, 3, 1, 2}},
	{{}, {}},
	{{1}, {3, 2}},
	{{64, 50}, {50}},
	{{3, 600}, {3, 600}},
	{{300, 120}, {300, 1}},
	{{2, 150, 120}, {150, 1}},
}

func testBinary(t *testing.T, s *suite) {
	r := rng(t)
	for op := backend.Add; op <= backend.GreaterMask; op++ {
		t.Run(op.String(), func(t *testing.T) {
			for _, p := range bcastPairs {
				st, err := tensor.Broadcast(p[0], p[1])
				if err != nil {
					t.Fatal(err)
				}
				na, nb, n := tensor.Numel(p[0]), tensor.Numel(p[1]), tensor.Numel(st.Shape)
				a, bv := normal(r, na, 1), normal(r, nb, 1)
				if op == backend.Div {
					for i := range bv {
						if math.Abs(float64(bv[i])) < 0.1 {
							bv[i] += 0.3
						}
					}
				}
				if op >= backend.Max && na > 1 && nb > 1 {
					bv[0] = a[0] // a tie
				}
				got, orc := s.both(func(k backend.Backend, who int) []float32 {
					dst := k.Alloc(n)
					k.Binary(op, dst, up(k, a), up(k, bv), st)
					return down(k, dst, n)
				})
				oa, ob := offsets(st.Shape, st.StrideA, st.StrideB)
				ref := make([]float64, n)
				for i := range ref {
					ref[i] = refBinary(op, float64(a[oa[i]]), float64(bv[ob[i]]))
				}
				tl := exact
				if op <= backend.Div {
					tl = ulp4
				}
				compare(t, fmt.Sprintf("%v with %v", p[0], p[1]), got, orc, ref, nil, tl)
			}
		})
	}
}

// The autograd package updates in place (bias adds, masks): dst may be the
// same buffer as x or a for the elementwise kernels.
func testInPlace(t *testing.T, s *suite) {
	r := rng(t)
	b := s.b
	n := 1001
	x := normal(r, n, 1)
	buf := up(b, x)
	b.Unary(backend.MulScalar, buf, buf, -2, 0)
	b.Unary(backend.AddScalar, buf, buf, 1, 0)
	ref := make([]float64, n)
	for i, v := range x {
		ref[i] = -2*float64(v) + 1
	}
	check(t, "Unary in place", down(b, buf, n), ref, nil, ulp4)

	bias := normal(r, 7, 1)
	rows := 143
	y := normal(r, rows*7, 1)
	ybuf := up(b, y)
	b.Binary(backend.Add, ybuf, ybuf, up(b, bias), backend.Strided{Shape: []int{rows, 7}, StrideA: []int{7, 1}, StrideB: []int{0, 1}})
	ref = make([]float64, rows*7)
	for i := range ref {
		ref[i] = float64(y[i]) + float64(bias[i%7])
	}
	check(t, "Binary in place", down(b, ybuf, rows*7), ref, nil, ulp4)
}

func testAxpy(t *testing.T, s *suite) {
	r := rng(t)
	for _, n := range sizes {
		y, x := normal(r, n, 1), normal(r, n, 1)
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			dst := up(k, y)
			k.Axpy(dst, -0.37, up(k, x))
			return down(k, dst, n)
		})
		ref, mag := make([]float64, n), make([]float64, n)
		for i := range ref {
			ref[i] = float64(y[i]) - 0.37*float64(x[i])
			mag[i] = math.Abs(float64(y[i])) + math.Abs(0.37*float64(x[i]))
		}
		compare(t, fmt.Sprint(n), got, orc, ref, mag, ulp4)
	}
}

func testSumTo(t *testing.T, s *suite) {
	r := rng(t)
	for _, p := range bcastPairs {
		// Sum a gradient of the broadcast shape back to each operand.
		for side := 0; side < 2; side++ {
			st, _ := tensor.Broadcast(p[0], p[1])
			small := p[side]
			strides := st.StrideA
			if side == 1 {
				strides = st.StrideB
			}
			n, ns := tensor.Numel(st.Shape), tensor.Numel(small)
			g := normal(r, n, 1)
			got, orc := s.both(func(k backend.Backend, who int) []float32 {
				dst := up(k, normal(r, ns, 1)) // overwritten
				k.SumTo(dst, up(k, g), backend.Strided{Shape: st.Shape, StrideA: strides})
				return down(k, dst, ns)
			})
			off, _ := offsets(st.Shape, strides, strides)
			ref, mag := make([]float64, ns), make([]float64, ns)
			for i, v := range g {
				ref[off[i]] += float64(v)
				mag[off[i]] += math.Abs(float64(v))
			}
			compare(t, fmt.Sprintf("%v to %v", st.Shape, small), got, orc, ref, mag, tol{rel: float64(2 * n / ns)})
		}
	}
}

func testReduce(t *testing.T, s *suite) {
	r := rng(t)
	geoms := [][3]int{{1, 1, 1}, {3, 5, 7}, {1, 100, 1}, {7, 9, 1}, {2, 1, 5}, {16, 301, 1}, {5, 64, 33}, {1, 3, 1000}, {64, 600, 1}, {40, 30, 40}, {1, 65536, 1}, {1, 1 << 18, 1}, {2, 20000, 3}}
	for _, op := range []backend.ReduceOp{backend.Sum, backend.Mean, backend.MaxReduce} {
		t.Run(fmt.Sprint([]string{"sum", "mean", "max"}[op]), func(t *testing.T) {
			for _, g := range geoms {
				for _, shift := range []float32{0, 100} {
					outer, n, inner := g[0], g[1], g[2]
					x := normal(r, outer*n*inner, 1)
					for i := range x {
						x[i] += shift
					}
					got, orc := s.both(func(k backend.Backend, who int) []float32 {
						dst := k.Alloc(outer * inner)
						k.Reduce(op, dst, up(k, x), outer, n, inner)
						return down(k, dst, outer*inner)
					})
					ref, mag := refReduce(op, x, outer, n, inner)
					// A sum must be as good as a pairwise (tree) sum,
					// O(log n) ulps: a float32 running sum of 65536 values
					// near 100 is off by hundreds, enough to spoil a layer
					// norm's mean.
					tl := tol{rel: math.Ceil(math.Log2(float64(n))) + 4}
					if op == backend.MaxReduce {
						tl = exact
					}
					compare(t, fmt.Sprintf("[%d,%d,%d] shifted by %g", outer, n, inner, shift), got, orc, ref, mag, tl)
				}
			}
		})
	}
}

func testPermute(t *testing.T, s *suite) {
	r := rng(t)
	cases := []struct{ shape, perm []int }{
		{[]int{2, 3, 4}, []int{0, 1, 2}},
		{[]int{2, 3, 4}, []int{0, 2, 1}},
		{[]int{2, 3, 4}, []int{1, 0, 2}},
		{[]int{2, 3, 4}, []int{1, 2, 0}},
		{[]int{2, 3, 4}, []int{2, 0, 1}},
		{[]int{2, 3, 4}, []int{2, 1, 0}},
		{[]int{3, 1, 5, 2}, []int{3, 0, 2, 1}},
		{[]int{7, 9}, []int{1, 0}},
		{[]int{32, 8, 196}, []int{1, 0, 2}},
		{[]int{2, 3, 1, 2, 2, 3}, []int{5, 4, 3, 2, 1, 0}},
	}
	for _, c := range cases {
		n := tensor.Numel(c.shape)
		x := normal(r, n, 1)
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			dst := k.Alloc(n)
			k.Permute(dst, up(k, x), c.shape, c.perm)
			return down(k, dst, n)
		})
		outShape := make([]int, len(c.shape))
		inSt := tensor.Strides(c.shape)
		st := make([]int, len(c.shape))
		for i, p := range c.perm {
			outShape[i], st[i] = c.shape[p], inSt[p]
		}
		off, _ := offsets(outShape, st, st)
		ref := make([]float64, n)
		for i := range ref {
			ref[i] = float64(x[off[i]])
		}
		compare(t, fmt.Sprintf("%v by %v", c.shape, c.perm), got, orc, ref, nil, exact)
	}
}

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
func logits(r *rand.Rand, rows, cols int, scale float64) []float32 {
	x := normal(r, rows*cols, scale)
	if rows > 1 {
		for i := 0; i < cols; i++ {
			x[i] = 3 // a constant row: uniform probabilities
		}
	}
	if scale >= 100 && rows > 2 {
		x[2*cols] = 1e4
		x[2*cols+cols-1] = -1e4
	}
	return x
}

var softmaxGeoms = [][2]int{{1, 1}, {3, 7}, {5, 1000}, {64, 10}, {300, 3}}

func testSoftmax(t *testing.T, s *suite) {
	r := rng(t)
	for _, log := range []bool{false, true} {
		for _, scale := range []float64{1, 30, 1000} {
			for _, rc := range softmaxGeoms {
				rows, cols := rc[0], rc[1]
				x := logits(r, rows, cols, scale)
				got, orc := s.both(func(k backend.Backend, who int) []float32 {
					dst := k.Alloc(rows * cols)
					k.Softmax(dst, up(k, x), rows, cols, log)
					return down(k, dst, rows*cols)
				})
				ref := refSoftmax(x, rows, cols, log)
				// log-softmax: x - max - lse, rounding relative to |x|.
				mag := abs64(ref)
				if log {
					for i := range mag {
						mag[i] += math.Abs(float64(x[i])) + math.Log(float64(cols))
					}
				}
				for i, v := range got {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) && !log {
						t.Fatalf("log=%v scale %g [%d,%d]: non-finite %v at %d", log, scale, rows, cols, v, i)
					}
				}
				compare(t, fmt.Sprintf("log=%v scale %g [%d,%d]", log, scale, rows, cols), got, orc, ref, mag, trans)
			}
		}
	}
}

func testSoftmaxGrad(t *testing.T, s *suite) {
	r := rng(t)
	for _, log := range []bool{false, true} {
		for _, rc := range softmaxGeoms {
			rows, cols := rc[0], rc[1]
			yf := refSoftmax(logits(r, rows, cols, 3), rows, cols, log)
			y := make([]float32, len(yf))
			for i, v := range yf {
				y[i] = float32(v)
			}
			dy := normal(r, rows*cols, 1)
			got, orc := s.both(func(k backend.Backend, who int) []float32 {
				dx := k.Alloc(rows * cols)
				k.SoftmaxGrad(dx, up(k, y), up(k, dy), rows, cols, log)
				return down(k, dx, rows*cols)
			})
			ref, mag := refSoftmaxGrad(y, dy, rows, cols, log)
			compare(t, fmt.Sprintf("log=%v [%d,%d]", log, rows, cols), got, orc, ref, mag, tol{rel: float64(2*cols + 16)})
		}
	}
}

func testSoftmaxXent(t *testing.T, s *suite) {
	r := rng(t)
	for _, scale := range []float64{1, 30, 1000} {
		for _, rc := range softmaxGeoms {
			rows, cols := rc[0], rc[1]
			x := logits(r, rows, cols, scale)
			// One-hot rows, smoothed rows and soft (mixup) rows.
			target := make([]float32, rows*cols)
			for i := 0; i < rows; i++ {
				row := target[i*cols : (i+1)*cols]
				switch i % 3 {
				case 0:
					row[r.IntN(cols)] = 1
				case 1:
					for j := range row {
						row[j] = 0.1 / float32(cols)
					}
					row[r.IntN(cols)] += 0.9
				case 2:
					var sum float32
					for j := range row {
						row[j] = r.Float32()
						sum += row[j]
					}
					for j := range row {
						row[j] /= sum
					}
				}
			}
			sc := float32(1) / float32(rows)
			var gotLoss, orcLoss []float32
			got, orc := s.both(func(k backend.Backend, who int) []float32 {
				loss, grad := k.Alloc(rows), k.Alloc(rows*cols)
				k.SoftmaxXent(loss, grad, up(k, x), up(k, target), rows, cols, sc)
				if who == 0 {
					gotLoss = down(k, loss, rows)
				} else {
					orcLoss = down(k, loss, rows)
				}
				return down(k, grad, rows*cols)
			})
			loss, lossMag, grad, gradMag := refXent(x, target, rows, cols, float64(sc))
			for i := range lossMag {
				lossMag[i] += math.Log(float64(cols)) // log-sum-exp rounding
			}
			what := fmt.Sprintf("scale %g [%d,%d]", scale, rows, cols)
			compare(t, what+" loss", gotLoss, orcLoss, loss, lossMag, tol{rel: float64(2*cols + 64), abs: 8})
			compare(t, what+" grad", got, orc, grad, gradMag, trans)
		}
	}
}

func testChannelStats(t *testing.T, s *suite) {
	r := rng(t)
	for _, g := range [][3]int{{4, 3, 5}, {1, 1, 2}, {2, 5, 1}, {16, 8, 49}, {64, 3, 1}, {32, 16, 49}} {
		outer, c, inner := g[0], g[1], g[2]
		for _, shift := range []float64{0, 100} {
			x := normal(r, outer*c*inner, 1)
			for i := range x {
				x[i] += float32(shift) // statistics far from zero must stay accurate
			}
			var gotVar, orcVar []float32
			got, orc := s.both(func(k backend.Backend, who int) []float32 {
				mean, variance := k.Alloc(c), k.Alloc(c)
				k.ChannelStats(mean, variance, up(k, x), outer, c, inner)
				if who == 0 {
					gotVar = down(k, variance, c)
				} else {
					orcVar = down(k, variance, c)
				}
				return down(k, mean, c)
			})
			mean, variance := refChannelStats(x, outer, c, inner)
			count := float64(outer * inner)
			what := fmt.Sprintf("[%d,%d,%d] shifted by %g", outer, c, inner, shift)
			meanMag := make([]float64, c)
			for i := range meanMag {
				meanMag[i] = math.Abs(mean[i]) + math.Sqrt(variance[i])
			}
			compare(t, what+" mean", got, orc, mean, meanMag, tol{rel: 2 * count})
			// The variance must be accurate relative to itself, not to
			// mean² (the one-pass E[x²]-E[x]² formula fails this).
			compare(t, what+" variance", gotVar, orcVar, variance, nil, tol{rel: 4 * count, abs: 1})
		}
	}
}

func testChannelAffine(t *testing.T, s *suite) {
	r := rng(t)
	for _, g := range [][3]int{{4, 3, 5}, {1, 1, 2}, {2, 5, 1}, {16, 8, 49}, {32, 16, 49}} {
		outer, c, inner := g[0], g[1], g[2]
		n := outer * c * inner
		x, scale, shift := normal(r, n, 1), normal(r, c, 1), normal(r, c, 1)
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			dst := k.Alloc(n)
			k.ChannelAffine(dst, up(k, x), up(k, scale), up(k, shift), outer, c, inner)
			return down(k, dst, n)
		})
		ref, mag := make([]float64, n), make([]float64, n)
		for i, v := range x {
			ch := (i / inner) % c
			ref[i] = float64(v)*float64(scale[ch]) + float64(shift[ch])
			mag[i] = math.Abs(float64(v)*float64(scale[ch])) + math.Abs(float64(shift[ch]))
		}
		compare(t, fmt.Sprintf("[%d,%d,%d]", outer, c, inner), got, orc, ref, mag, ulp4)
	}
}

func testDropoutMask(t *testing.T, s *suite) {
	for _, c := range []struct {
		n    int
		p    float32
		seed uint64
	}{{1, 0.5, 1}, {10007, 0.3, 12345}, {5000, 0, 7}, {4096, 0.9, 1 << 40}} {
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			m := k.Alloc(c.n)
			k.DropoutMask(m, c.p, c.seed)
			return down(k, m, c.n)
		})
		keep := 1 / (1 - c.p)
		ref := make([]float64, c.n)
		kept := 0
		for i := range ref {
			if backend.Uniform(c.seed, uint64(i)) >= c.p {
				ref[i] = float64(keep)
				kept++
			}
		}
		// Bit for bit: every backend draws the same mask.
		compare(t, fmt.Sprintf("n=%d p=%g seed=%d", c.n, c.p, c.seed), got, orc, ref, nil, exact)
		if c.n > 1000 {
			if frac := float64(kept) / float64(c.n); math.Abs(frac-float64(1-c.p)) > 0.03 {
				t.Errorf("p=%g keeps %.3f of the elements", c.p, frac)
			}
		}
	}
}

func testSGDStep(t *testing.T, s *suite) {
	r := rng(t)
	n := 10007
	for _, c := range []struct {
		momentum, wd float32
		nesterov     bool
	}{{0, 0, false}, {0, 0.01, false}, {0.9, 0, false}, {0.9, 5e-4, true}} {
		w0, v0 := normal(r, n, 1), make([]float32, n)
		grads := [][]float32{normal(r, n, 1), normal(r, n, 1), normal(r, n, 1)}
		var gotV, orcV []float32
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			w := up(k, w0)
			var v backend.Buffer
			if c.momentum != 0 {
				v = up(k, v0)
			}
			for _, g := range grads {
				k.SGDStep(w, up(k, g), v, 0.1, c.momentum, c.wd, c.nesterov)
			}
			if v != nil {
				if who == 0 {
					gotV = down(k, v, n)
				} else {
					orcV = down(k, v, n)
				}
			}
			return down(k, w, n)
		})
		w, v := f64(w0), f64(v0)
		for _, g := range grads {
			refSGD(w, v, g, 0.1, float64(c.momentum), float64(c.wd), c.nesterov)
		}
		what := fmt.Sprintf("momentum %g wd %g nesterov %v", c.momentum, c.wd, c.nesterov)
		mag := make([]float64, n)
		for i := range mag {
			mag[i] = math.Abs(float64(w0[i])) + 0.5 // |w| plus the steps' size
		}
		compare(t, what+" weights", got, orc, w, mag, tol{rel: 16})
		if c.momentum != 0 {
			compare(t, what+" velocity", gotV, orcV, v, nil, tol{rel: 16, abs: 4})
		}
	}
}

func testAdamStep(t *testing.T, s *suite) {
	r := rng(t)
	n := 10007
	for _, c := range []struct {
		wd        float32
		decoupled bool
	}{{0, false}, {0.01, false}, {0.05, true}} {
		w0 := normal(r, n, 1)
		grads := [][]float32{normal(r, n, 1), normal(r, n, 0.1), normal(r, n, 3)}
		p := backend.AdamParams{LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: c.wd, Decoupled: c.decoupled}
		var moments [2][]float32
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			w, m, v := up(k, w0), k.Alloc(n), k.Alloc(n)
			for i, g := range grads {
				p.Step = i + 1
				k.AdamStep(w, up(k, g), m, v, p)
			}
			if who == 0 {
				moments = [2][]float32{down(k, m, n), down(k, v, n)}
			}
			return down(k, w, n)
		})
		w, m, v := f64(w0), make([]float64, n), make([]float64, n)
		for i, g := range grads {
			p.Step = i + 1
			refAdam(w, m, v, g, p)
		}
		what := fmt.Sprintf("wd %g decoupled %v", c.wd, c.decoupled)
		mag := make([]float64, n)
		for i := range mag {
			mag[i] = math.Abs(float64(w0[i])) + 0.03 // |w| plus three steps of lr
		}
		compare(t, what+" weights", got, orc, w, mag, tol{rel: 16})
		check(t, what+" first moment", moments[0], m, nil, tol{rel: 16, abs: 4})
		check(t, what+" second moment", moments[1], v, nil, tol{rel: 16, abs: 4})
	}
}
