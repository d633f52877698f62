package blas

import (
	"fmt"
	"runtime"
	"sync/atomic"
)

// threads is the goroutine count of a product (SgemmGo, and OpenBLAS
// products through split.go).
var threads atomic.Int64

func init() {
	threads.Store(int64(runtime.NumCPU()))
	initNative()
}

// SetThreads sets the number of threads matrix products may use. n <= 0
// restores the default, the number of CPUs.
func SetThreads(n int) {
	if n <= 0 {
		n = runtime.NumCPU()
	}
	threads.Store(int64(n))
}

// Threads reports the number of threads matrix products may use.
func Threads() int { return int(threads.Load()) }

// Impl names the implementation behind Sgemm: "openblas", "accelerate" or
// "go".
func Impl() string { return implName }

// Sgemm computes C = alpha * op(A) * op(B) + beta * C for row-major
// float32 matrices, where op(X) is X or its transpose, op(A) is m x k,
// op(B) is k x n and C is m x n. lda, ldb and ldc are the row strides
// (elements between the starts of consecutive rows) of a, b and c as
// stored. It behaves like cblas_sgemm with CblasRowMajor; when beta is 0,
// C is overwritten and its old contents (even NaN) are ignored.
//
// Sgemm panics when the sizes or slices do not describe valid matrices.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	nativeSgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// checkArgs panics with a descriptive message unless the arguments describe
// valid row-major matrices held by the slices.
func checkArgs(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("blas: negative size m=%d n=%d k=%d", m, n, k))
	}
	// Stored shapes: A is m x k (k x m when transposed), B is k x n (n x k).
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	checkMatrix("a", ar, ac, a, lda)
	checkMatrix("b", br, bc, b, ldb)
	checkMatrix("c", m, n, c, ldc)
}

func checkMatrix(name string, rows, cols int, x []float32, ld int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("blas: ld%s=%d is smaller than the row length %d of %s", name, ld, max(1, cols), name))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := (rows-1)*ld + cols; len(x) < need {
		panic(fmt.Sprintf("blas: len(%s)=%d is too short for a %dx%d matrix with ld%s=%d (need %d)", name, len(x), rows, cols, name, ld, need))
	}
}

// scaleC sets C = beta * C; beta == 0 clears C, ignoring NaNs in it.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}
