//go:build linux && cgo && !noblas

package blas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>

// wb_sgemm hides CBLAS's enum and integer typedefs (blasint may be 32 or
// 64 bits) behind plain ints. Sizes were checked in Go to fit the slices.
static void wb_sgemm(int ta, int tb, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb,
		float beta, float *c, int ldc) {
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
		tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
		beta, c, ldc);
}
*/
import "C"

const implName = "openblas"

func initNative() {
	// OpenBLAS starts with OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or all
	// cores; that becomes our thread count, and OpenBLAS itself runs every
	// call on one thread (split.go threads the products).
	threads.Store(int64(C.openblas_get_num_threads()))
	C.openblas_set_num_threads(1)
}

func nativeSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	splitSgemm(gemmThreads(), openblasSgemm, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// openblasSgemm is one single-threaded OpenBLAS call.
func openblasSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkInt32("OpenBLAS", m, n, k, lda, ldb, ldc)
	C.wb_sgemm(C.int(boolInt(transA)), C.int(boolInt(transB)), C.int(m), C.int(n), C.int(k), C.float(alpha),
		(*C.float)(&a[0]), C.int(lda), (*C.float)(&b[0]), C.int(ldb),
		C.float(beta), (*C.float)(&c[0]), C.int(ldc))
}

// nativeThreads asks OpenBLAS how many threads it will use (always 1).
func nativeThreads() int { return int(C.openblas_get_num_threads()) }
