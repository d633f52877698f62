//go:build darwin && cgo && !noblas

package blas

/*
#cgo CFLAGS: -DACCELERATE_NEW_LAPACK
#cgo LDFLAGS: -framework Accelerate
#include <Accelerate/Accelerate.h>

// wb_sgemm hides CBLAS's enum and integer typedefs behind plain ints.
// Sizes were checked in Go to fit the slices.
static void wb_sgemm(int ta, int tb, int m, int n, int k, float alpha,
		const float *a, int lda, const float *b, int ldb,
		float beta, float *c, int ldc) {
	cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
		tb ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
		beta, c, ldc);
}
*/
import "C"

const implName = "accelerate"

func initNative() {}

func nativeSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkInt32("Accelerate", m, n, k, lda, ldb, ldc)
	C.wb_sgemm(C.int(boolInt(transA)), C.int(boolInt(transB)), C.int(m), C.int(n), C.int(k), C.float(alpha),
		(*C.float)(&a[0]), C.int(lda), (*C.float)(&b[0]), C.int(ldb),
		C.float(beta), (*C.float)(&c[0]), C.int(ldc))
}

// nativeThreads reports Threads(): Accelerate does not say.
func nativeThreads() int { return Threads() }
