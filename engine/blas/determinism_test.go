package blas

import (
	"math"
	"math/big"
	"math/rand/v2"
	"runtime"
	"testing"
)

// fma32Ref rounds x*y + z, computed exactly, to float32.
func fma32Ref(x, y, z float32) float32 {
	p := new(big.Float).SetPrec(400).SetFloat64(float64(x))
	p.Mul(p, new(big.Float).SetPrec(400).SetFloat64(float64(y)))
	p.Add(p, new(big.Float).SetPrec(400).SetFloat64(float64(z)))
	f, _ := p.Float32()
	if f == 0 { // big.Float has no signed zero sums: IEEE gives +0 for x + -x
		return float32(float64(x)*float64(y) + float64(z))
	}
	return f
}

// TestFMA32IsCorrectlyRounded: the portable kernel's fused multiply-add
// rounds once, like the hardware's, including the ties that a plain
// float64 computation rounds twice.
func TestFMA32IsCorrectlyRounded(t *testing.T) {
	check := func(x, y, z float32) {
		t.Helper()
		if got, want := fma32(x, y, z), fma32Ref(x, y, z); math.Float32bits(got) != math.Float32bits(want) {
			t.Fatalf("fma32(%g, %g, %g) = %g (%#x), want %g (%#x)", x, y, z, got, math.Float32bits(got), want, math.Float32bits(want))
		}
	}
	// Double rounding: x*y = u(1 - 2^-46), u half an ulp of z, so that
	// z + x*y lies just inside a float32 halfway point and float64 rounds
	// it onto the halfway point; ties-to-even then goes the wrong way when
	// z's last bit is odd.
	ties := 0
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		z := float32(rng.NormFloat64() * math.Exp2(float64(rng.IntN(40)-20)))
		u := math.Ldexp(1, math.Ilogb(float64(z))-24)
		x, y := float32(1+0x1p-23), float32(u*(1-0x1p-23))
		if rng.IntN(2) == 0 {
			y = -y
		}
		if s := float64(x)*float64(y) + float64(z); math.Float64bits(s)&(1<<29-1) == 1<<28 {
			ties++
		}
		check(x, y, z)
		check(float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64()))
		// Subnormal results.
		check(float32(rng.NormFloat64())*0x1p-70, float32(rng.NormFloat64())*0x1p-70, float32(rng.NormFloat64())*0x1p-140)
	}
	if ties == 0 {
		t.Fatal("no halfway case was tested")
	}
	check(0, 5, 0)
	check(float32(math.Copysign(0, -1)), 5, float32(math.Copysign(0, -1)))
	check(3, 4, -12)
	check(math.MaxFloat32, 2, -math.MaxFloat32)
}

// TestGoKernelsAgreeBitForBit: every micro-kernel this CPU runs (AVX-512,
// AVX2, the portable one), on any thread count, gives the same bits, so
// the pure-Go build computes the same products on AVX2 and AVX-512
// machines. Odd sizes put partial tiles on every edge; k spans several
// KC blocks; beta != 0 adds to C.
func TestGoKernelsAgreeBitForBit(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []gemmCase{
		{m: 67, n: 45, k: 900, alpha: 1, beta: 0},
		{transA: true, transB: true, m: 29, n: 70, k: 385, alpha: -0.7, beta: 0.5, padA: 3, padC: 2},
		{transB: true, m: 130, n: 33, k: 50, alpha: 1, beta: 1},
	} {
		p := prepare(tc, rng)
		var first []float32
		var firstName string
		for _, kr := range kernels() {
			for _, nt := range []int{1, 2, 3, 8} {
				c := append([]float32(nil), p.c...)
				gemmGo(kr, nt, tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, p.a, p.lda, p.b, p.ldb, tc.beta, c, p.ldc)
				if first == nil {
					first, firstName = c, kr.name+"/1"
					continue
				}
				for i := range c {
					if math.Float32bits(c[i]) != math.Float32bits(first[i]) && !(c[i] != c[i] && first[i] != first[i]) {
						t.Fatalf("%v: %s on %d threads gives C[%d] = %g, %s %g", tc, kr.name, nt, i, c[i], firstName, first[i])
					}
				}
			}
		}
		t.Logf("%v: %d kernels agree", tc, len(kernels()))
	}
}

// TestSgemmBitsDoNotDependOnThreads: the native library (and whatever Sgemm
// is) gives the same bits on 1, 2, 3 and 8 threads, inside Serial too,
// for shapes that split into blocks of rows and of columns.
func TestSgemmBitsDoNotDependOnThreads(t *testing.T) {
	defer SetThreads(Threads())
	// The blocks follow the processor count; 8 as on an 8-core machine,
	// whatever this one has, so that the shapes below are split.
	defer func(n int) { splitMax = n }(splitMax)
	splitMax = 8
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []gemmCase{
		{m: 64, n: 128, k: 3136, alpha: 1},                // ref-cnn's fc1
		{transA: true, m: 3136, n: 128, k: 64, alpha: 1},  // its weight gradient, as rows
		{transB: true, m: 256, n: 600, k: 300, alpha: -2}, // a kNN distance block
		{m: 300, n: 77, k: 513, alpha: 1, beta: 1, padA: 1, padB: 2, padC: 3},
	} {
		if parts, _ := splitBlocks(tc.m, tc.n, tc.k); parts < 2 {
			t.Fatalf("%v is not split: the test would not test the blocks", tc)
		}
		p := prepare(tc, rng)
		SetThreads(3)
		p.check(t, "Sgemm in blocks", Sgemm) // the blocks make the right product
		var first []float32
		for _, nt := range []int{1, 2, 3, 8, -1} {
			c := append([]float32(nil), p.c...)
			run := func() {
				Sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, p.a, p.lda, p.b, p.ldb, tc.beta, c, p.ldc)
			}
			if nt < 0 {
				SetThreads(2)
				Serial(run)
			} else {
				SetThreads(nt)
				run()
			}
			if first == nil {
				first = c
				continue
			}
			for i := range c {
				if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
					t.Fatalf("%v: C[%d] = %g on %d threads, %g on 1 (-1: inside Serial)", tc, i, c[i], nt, first[i])
				}
			}
		}
	}
}

// TestSplitFollowsTheProcessorCount: a large product is cut into one
// block per processor of the machine (at most 64), not into more (each
// block packs the other operand again), and never by the thread setting.
func TestSplitFollowsTheProcessorCount(t *testing.T) {
	defer SetThreads(Threads())
	want := min(runtime.NumCPU(), 64)
	for _, nt := range []int{1, 2, 8} {
		SetThreads(nt)
		for _, n := range []int{1024, 2048} {
			if parts, _ := splitBlocks(n, n, n); parts != want {
				t.Errorf("%d threads: a %d x %d x %d product is cut into %d blocks, want %d (one per processor)", nt, n, n, n, parts, want)
			}
		}
	}
	if parts, _ := splitBlocks(64, 196, 289); parts != 1 {
		t.Errorf("a small product (ref-cnn's conv2 per image) is cut into %d blocks, want 1", parts)
	}
}
