package blas

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// impl is one way of computing a product, for the comparison tests.
type impl struct {
	name string
	fn   func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)
}

// impls lists every implementation this binary can run: the native Sgemm
// and, for each micro-kernel the CPU supports, the Go path with its real
// block sizes and with tiny ones (so that every blocking loop and edge case
// runs many times on small matrices), on one and on three threads.
func impls() []impl {
	out := []impl{{"Sgemm/" + Impl(), Sgemm}, {"SgemmGo", SgemmGo}}
	for _, kr := range kernels() {
		tiny := *kr
		tiny.mc, tiny.kc, tiny.nc = 2*kr.mr, 5, 2*kr.nr
		for _, k := range []*kernel{kr, &tiny} {
			for _, nt := range []int{1, 3} {
				name := fmt.Sprintf("go/%s/mc%d,kc%d,nc%d/threads%d", k.name, k.mc, k.kc, k.nc, nt)
				out = append(out, impl{name, func(transA, transB bool, m, n, kk int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
					checkArgs(transA, transB, m, n, kk, a, lda, b, ldb, c, ldc)
					gemmGo(k, nt, transA, transB, m, n, kk, alpha, a, lda, b, ldb, beta, c, ldc)
				}})
			}
		}
	}
	return out
}

// sentinel fills the padding of every matrix: an implementation that reads
// it produces NaN, and one that writes C's padding is caught.
var sentinel = float32(math.NaN())

// matrix returns rows x cols random values with row stride ld, padding
// set to pad.
func matrix(rng *rand.Rand, rows, cols, ld int, pad float32) []float32 {
	x := make([]float32, max(0, (rows-1)*ld+cols)+ld-cols) // a ragged last row too
	for i := range x {
		x[i] = pad
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			x[i*ld+j] = float32(rng.NormFloat64())
		}
	}
	return x
}

// reference computes alpha*op(A)*op(B) + beta*C in float64, and for each
// element a bound on its magnitude sum for the error tolerance.
func reference(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, scale []float64) {
	want = make([]float64, m*n)
	scale = make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
				abs += math.Abs(float64(av) * float64(bv))
			}
			w := float64(alpha) * s
			sc := math.Abs(float64(alpha)) * abs
			if beta != 0 {
				w += float64(beta) * float64(c[i*ldc+j])
				sc += math.Abs(float64(beta) * float64(c[i*ldc+j]))
			}
			want[i*n+j], scale[i*n+j] = w, sc
		}
	}
	return want, scale
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	padA, padB     int
	padC           int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d/%d/%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC)
}

// prepared is a case's operands and the float64 reference result.
type prepared struct {
	tc            gemmCase
	a, b, c       []float32
	lda, ldb, ldc int
	want, scale   []float64
}

// prepare makes random operands for tc, with padding filled by sentinels,
// and computes the reference.
func prepare(tc gemmCase, rng *rand.Rand) *prepared {
	ar, ac := tc.m, tc.k
	if tc.transA {
		ar, ac = tc.k, tc.m
	}
	br, bc := tc.k, tc.n
	if tc.transB {
		br, bc = tc.n, tc.k
	}
	p := &prepared{tc: tc, lda: max(1, ac) + tc.padA, ldb: max(1, bc) + tc.padB, ldc: max(1, tc.n) + tc.padC}
	p.a = matrix(rng, ar, ac, p.lda, sentinel)
	p.b = matrix(rng, br, bc, p.ldb, sentinel)
	p.c = matrix(rng, tc.m, tc.n, p.ldc, 1234.5)
	if tc.beta == 0 {
		// beta == 0 must overwrite C without reading it, NaN included.
		for i := 0; i < tc.m; i++ {
			for j := 0; j < tc.n; j++ {
				p.c[i*p.ldc+j] = float32(math.NaN())
			}
		}
	}
	p.want, p.scale = reference(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, p.a, p.lda, p.b, p.ldb, tc.beta, p.c, p.ldc)
	return p
}

// check runs the prepared case through fn and compares with the reference.
func (p *prepared) check(t *testing.T, name string, fn func(bool, bool, int, int, int, float32, []float32, int, []float32, int, float32, []float32, int)) {
	t.Helper()
	tc, ldc := p.tc, p.ldc
	c := slices.Clone(p.c)
	fn(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, p.a, p.lda, p.b, p.ldb, tc.beta, c, ldc)
	// float32 sums of k products lose at most about k ulps of the sum of
	// magnitudes; allow a margin for different summation orders.
	tol := float64(tc.k+4) * 2 * 0x1p-23
	for i := 0; i < tc.m; i++ {
		for j := 0; j < ldc && i*ldc+j < len(c); j++ {
			got := c[i*ldc+j]
			if j >= tc.n {
				if got != 1234.5 {
					t.Fatalf("%s %v: C padding at (%d,%d) changed to %g", name, tc, i, j, got)
				}
				continue
			}
			w := p.want[i*tc.n+j]
			if d := math.Abs(float64(got) - w); !(d <= tol*p.scale[i*tc.n+j]+1e-30) {
				t.Fatalf("%s %v: C[%d,%d] = %g, want %g (diff %g, allowed %g)", name, tc, i, j, got, w, d, tol*p.scale[i*tc.n+j])
			}
		}
	}
}

func TestSgemmMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{1, 2, 3, 5, 7, 12, 13, 16, 17, 31, 33, 47, 48, 64, 65}
	var cases []gemmCase
	for _, tA := range []bool{false, true} {
		for _, tB := range []bool{false, true} {
			for i := 0; i < 14; i++ {
				cases = append(cases, gemmCase{
					transA: tA, transB: tB,
					m: sizes[rng.IntN(len(sizes))], n: sizes[rng.IntN(len(sizes))], k: sizes[rng.IntN(len(sizes))],
					alpha: []float32{1, -0.5, 2.25}[rng.IntN(3)],
					beta:  []float32{0, 1, 0.75, -1}[rng.IntN(4)],
					padA:  rng.IntN(3) * 3, padB: rng.IntN(3) * 2, padC: rng.IntN(2) * 5,
				})
			}
			// Larger than the real block sizes in every direction.
			cases = append(cases, gemmCase{transA: tA, transB: tB, m: 205, n: 70, k: 300, alpha: 1, beta: 0.5, padA: 1, padB: 2, padC: 3})
		}
	}
	ims := impls()
	for _, tc := range cases {
		p := prepare(tc, rng)
		for _, im := range ims {
			p.check(t, im.name, im.fn)
		}
	}
}

// TestSgemmWideN crosses the real nc block of every kernel (up to 2048)
// with a thin product, so the jc loop runs more than once.
func TestSgemmWideN(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	p1 := prepare(gemmCase{m: 13, n: 2100, k: 9, alpha: 1, beta: 1, padC: 1}, rng)
	p2 := prepare(gemmCase{transB: true, m: 3, n: 2050, k: 20, alpha: -1, beta: 0}, rng)
	for _, im := range impls() {
		if strings.Contains(im.name, ",kc5,") { // tiny blocks: covered above
			continue
		}
		p1.check(t, im.name, im.fn)
		p2.check(t, im.name, im.fn)
	}
}

func TestSgemmDegenerate(t *testing.T) {
	for _, im := range impls() {
		// k == 0: C = beta*C.
		c := []float32{1, 2, 3, 4}
		im.fn(false, false, 2, 2, 0, 1, nil, 1, nil, 2, 0.5, c, 2)
		if c[0] != 0.5 || c[3] != 2 {
			t.Errorf("%s: k=0 gave %v, want C scaled by beta", im.name, c)
		}
		// alpha == 0 ignores A and B entirely (NaN included), beta == 0 clears.
		nan := float32(math.NaN())
		c = []float32{nan, 2, 3, nan}
		im.fn(false, false, 2, 2, 2, 0, []float32{nan, nan, nan, nan}, 2, []float32{1, 1, 1, 1}, 2, 0, c, 2)
		for _, v := range c {
			if v != 0 {
				t.Errorf("%s: alpha=0, beta=0 gave %v, want zeros", im.name, c)
				break
			}
		}
		// m == 0 or n == 0 touches nothing.
		im.fn(false, false, 0, 3, 2, 1, nil, 2, []float32{1, 2, 3, 4, 5, 6}, 3, 0, nil, 3)
	}
}

func TestSgemmRejectsBadArguments(t *testing.T) {
	a := make([]float32, 6)
	b := make([]float32, 6)
	c := make([]float32, 4)
	for _, tc := range []struct {
		name string
		call func()
		msg  string
	}{
		{"negative m", func() { Sgemm(false, false, -1, 2, 3, 1, a, 3, b, 2, 0, c, 2) }, "negative size"},
		{"lda too small", func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, b, 2, 0, c, 2) }, "lda=2"},
		{"a too short", func() { Sgemm(false, false, 2, 2, 3, 1, a[:5], 3, b, 2, 0, c, 2) }, "len(a)=5"},
		{"transposed b too short", func() { SgemmGo(false, true, 2, 3, 3, 1, a, 3, b, 3, 0, make([]float32, 6), 3) }, "len(b)=6"},
		{"ldc too small", func() { SgemmGo(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 1) }, "ldc=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if r == nil || !strings.Contains(fmt.Sprint(r), tc.msg) {
					t.Fatalf("panic %v, want one mentioning %q", r, tc.msg)
				}
			}()
			tc.call()
		})
	}
}

// TestSgemmGoConcurrentCalls guards the shared packing-buffer pool: many
// products at once must not disturb each other (run with -race).
func TestSgemmGoConcurrentCalls(t *testing.T) {
	const m, n, k = 70, 90, 110
	rng := rand.New(rand.NewPCG(7, 8))
	a := matrix(rng, m, k, k, 0)
	b := matrix(rng, k, n, n, 0)
	want := make([]float32, m*n)
	SgemmGo(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := make([]float32, m*n)
			for rep := 0; rep < 5; rep++ {
				SgemmGo(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				for i := range c {
					if c[i] != want[i] {
						errs <- fmt.Sprintf("element %d: %g != %g", i, c[i], want[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// TestSgemmGoDeterministic: the same product gives the same bits whatever
// the thread count, because each element is summed in the same order.
func TestSgemmGoDeterministic(t *testing.T) {
	const m, n, k = 150, 130, 600
	rng := rand.New(rand.NewPCG(9, 10))
	a := matrix(rng, m, k, k, 0)
	b := matrix(rng, k, n, n, 0)
	c1 := make([]float32, m*n)
	c4 := make([]float32, m*n)
	gemmGo(bestKernel, 1, false, false, m, n, k, 1, a, k, b, n, 0, c1, n)
	gemmGo(bestKernel, 4, false, false, m, n, k, 1, a, k, b, n, 0, c4, n)
	for i := range c1 {
		if math.Float32bits(c1[i]) != math.Float32bits(c4[i]) {
			t.Fatalf("element %d: %g with 1 thread, %g with 4", i, c1[i], c4[i])
		}
	}
}

func TestSetThreads(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(1)
	if Threads() != 1 || nativeThreads() != 1 {
		t.Fatalf("after SetThreads(1): Threads()=%d, native=%d", Threads(), nativeThreads())
	}
	SetThreads(2)
	if Threads() != 2 {
		t.Fatalf("after SetThreads(2): Threads()=%d", Threads())
	}
	SetThreads(0)
	if Threads() < 1 {
		t.Fatalf("after SetThreads(0): Threads()=%d, want the CPU count", Threads())
	}
}

func TestSplitGrid(t *testing.T) {
	for _, tc := range []struct{ nt, m, n, tm, tn int }{
		{2, 1024, 1024, 2, 1},
		{4, 1024, 1024, 2, 2},
		{2, 4, 1024, 1, 2}, // one row of micro-tiles: split columns
		{3, 4, 4, 1, 1},    // one micro-tile: nothing to split
		{8, 12, 2048, 1, 8},
		{3, 1024, 1024, 3, 1},
	} {
		tm, tn := splitGrid(tc.nt, tc.m, tc.n, 4, 4)
		if tm != tc.tm || tn != tc.tn {
			t.Errorf("splitGrid(%d, %d, %d) = %d x %d, want %d x %d", tc.nt, tc.m, tc.n, tm, tn, tc.tm, tc.tn)
		}
	}
}
