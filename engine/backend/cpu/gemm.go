package cpu

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/blas"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// gemmSplitFlops is the work (m·n·k) per goroutine below which a product
// runs on one goroutine.
const gemmSplitFlops = 1 << 19

// Gemm implements backend.Backend. The backend does its own threading: a
// large product is cut into blocks of rows or columns of C, one goroutine
// each, and every block is a single-threaded BLAS call (blas.Serial). The
// library's own thread pool stays asleep, so it never spins against the
// goroutines of the other kernels.
func (*CPU) Gemm(transA, transB bool, m, n, k int, alpha float32,
	a backend.Buffer, offA, lda int, b backend.Buffer, offB, ldb int,
	beta float32, c backend.Buffer, offC, ldc int) {
	as, bs, cs := d(a)[offA:], d(b)[offB:], d(c)[offC:]
	blas.Serial(func() { gemm(transA, transB, m, n, k, alpha, as, lda, bs, ldb, beta, cs, ldc) })
}

// gemm is Gemm on slices, split over goroutines; the caller holds
// blas.Serial.
func gemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	parts := min(parallel.Threads(), m*n*k/gemmSplitFlops)
	if parts <= 1 || (m < 32 && n < 64) {
		blas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if n >= m { // blocks of columns, multiples of 16 wide
		blocks := (n + 15) / 16
		parallel.For(parts, 1<<20, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				j0, j1 := min(n, p*blocks/parts*16), min(n, (p+1)*blocks/parts*16)
				if j0 == j1 {
					continue
				}
				offB := j0 // op(B) columns: stored columns, or stored rows when transposed
				if transB {
					offB = j0 * ldb
				}
				blas.Sgemm(transA, transB, m, j1-j0, k, alpha, a, lda, b[offB:], ldb, beta, c[j0:], ldc)
			}
		})
		return
	}
	blocks := (m + 7) / 8
	parallel.For(parts, 1<<20, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			i0, i1 := min(m, p*blocks/parts*8), min(m, (p+1)*blocks/parts*8)
			if i0 == i1 {
				continue
			}
			offA := i0 * lda // op(A) rows: stored rows, or stored columns when transposed
			if transA {
				offA = i0
			}
			blas.Sgemm(transA, transB, i1-i0, n, k, alpha, a[offA:], lda, b, ldb, beta, c[i0*ldc:], ldc)
		}
	})
}
