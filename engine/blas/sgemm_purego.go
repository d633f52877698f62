//go:build !((linux || darwin) && cgo) || noblas

package blas

const implName = "go"

func initNative() {}

func nativeSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gemmGo(bestKernel, gemmThreads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// nativeThreads reports Threads(), which SgemmGo uses.
func nativeThreads() int { return Threads() }
