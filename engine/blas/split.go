package blas

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Products on a native library (OpenBLAS) are threaded here, not by the
// library: C is cut into a fixed number of blocks of whole rows or whole
// columns, one single-threaded library call each, and up to Threads()
// goroutines take the blocks in turn. The cut depends on the sizes and
// the machine's processor count only, never on the thread count, so every
// element of C comes from the same library call with the same arguments
// on 1 thread or 64: the result is the same bit for bit. (Machines differ
// anyway: OpenBLAS picks its kernels by processor, and its AVX-512 and
// AVX2 kernels round differently.) (The library's own threading cuts C by its thread
// count, and its kernels round edge blocks differently from full ones:
// with OpenBLAS's Haswell kernels a product's bits changed between 1 and 2
// threads.) The library's own thread pool stays asleep, so it never spins
// against the goroutines of the engine's other kernels either.

const (
	// splitFlops is the least work (m·n·k) of a block: the CPU backend's
	// per-image convolution products (ref-cnn's conv2: 64 x 196 x 289)
	// stay whole, as one library call.
	splitFlops = 1 << 22
	// Blocks of columns are at least splitCols wide and blocks of rows
	// at least splitRows high, so each call's packing of the other
	// operand stays small next to its arithmetic.
	splitCols = 64
	splitRows = 32
)

// splitMax bounds the blocks of a product: the machine's processor count
// (at most 64), fixed at start-up and never the thread setting, so that
// on one machine every thread count computes the same blocks. More
// blocks than cores only cost: each block is a library call that packs
// the whole of the other operand again, and a block runs at the speed of
// one core whatever its size. With 8 blocks (the bound before), a
// 1024 x 1024 product on 2 cores ran at about 245 GFLOPS against
// OpenBLAS's own 2 threads' 320; with 2 blocks at 295-325.
var splitMax = min(max(runtime.NumCPU(), 1), 64)

// splitBlocks returns how many blocks a product is cut into, and whether
// they are blocks of columns (else of rows). It depends on the sizes only.
func splitBlocks(m, n, k int) (parts int, cols bool) {
	w := int64(m) * int64(n) * int64(k) / splitFlops // int64: 32-bit systems
	parts = int(min(w, int64(splitMax)))
	if n >= m {
		return max(1, min(parts, n/splitCols)), true
	}
	return max(1, min(parts, m/splitRows)), false
}

// sgemmFunc is a single-threaded product with Sgemm's arguments.
type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// splitSgemm computes the product as the blocks of splitBlocks, calling
// one for each, on up to nt goroutines. Arguments have been checked and
// m, n, k and alpha are not zero.
func splitSgemm(nt int, one sgemmFunc, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	parts, cols := splitBlocks(m, n, k)
	if parts == 1 {
		one(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	block := func(p int) {
		if cols { // blocks of columns, multiples of 16 wide
			blocks := ceilDiv(n, 16)
			j0, j1 := min(n, p*blocks/parts*16), min(n, (p+1)*blocks/parts*16)
			offB := j0 // op(B) columns: stored columns, or stored rows when transposed
			if transB {
				offB = j0 * ldb
			}
			one(transA, transB, m, j1-j0, k, alpha, a, lda, b[offB:], ldb, beta, c[j0:], ldc)
			return
		}
		blocks := ceilDiv(m, 8)
		i0, i1 := min(m, p*blocks/parts*8), min(m, (p+1)*blocks/parts*8)
		offA := i0 * lda // op(A) rows: stored rows, or stored columns when transposed
		if transA {
			offA = i0
		}
		one(transA, transB, i1-i0, n, k, alpha, a[offA:], lda, b, ldb, beta, c[i0*ldc:], ldc)
	}
	workers := min(nt, parts)
	if workers <= 1 {
		for p := range parts {
			block(p)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := int(next.Add(1) - 1); p < parts; p = int(next.Add(1) - 1) {
				block(p)
			}
		}()
	}
	wg.Wait()
}
