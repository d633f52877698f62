package cpu

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/blas"
)

// Gemm implements backend.Backend. engine/blas threads a large product
// itself: C is cut into blocks of rows or columns whose number depends on
// the sizes only (never on the thread count), one single-threaded library
// call each, so the result has the same bits on any number of threads and
// the library's own thread pool never spins against our goroutines.
func (*CPU) Gemm(transA, transB bool, m, n, k int, alpha float32,
	a backend.Buffer, offA, lda int, b backend.Buffer, offB, ldb int,
	beta float32, c backend.Buffer, offC, ldc int) {
	blas.Sgemm(transA, transB, m, n, k, alpha, d(a)[offA:], lda, d(b)[offB:], ldb, beta, d(c)[offC:], ldc)
}
