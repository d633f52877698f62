//go:build amd64 && !purego

package blas

import "github.com/workbench-cv/workbench/engine/blas/internal/microkernel"

// The wrappers below check that the slices cover everything the assembly
// reads and writes.

var avx512Kernel = &kernel{name: "avx512", mr: 12, nr: 32, mc: 192, kc: kcAll, nc: 1024, edge: true,
	fn: func(kc int, a, b, c []float32, ldc, h, w int) {
		_, _, _ = a[12*kc-1], b[32*kc-1], c[(h-1)*ldc+w-1]
		if h < 1 || h > 12 || w < 1 || w > 32 {
			panic("blas: AVX-512 tile out of range")
		}
		m0, m1 := microkernel.Masks(w)
		microkernel.AVX512(kc, &a[0], &b[0], &c[0], ldc, h, m0, m1)
	}}

var avx2Kernel = &kernel{name: "avx2", mr: 6, nr: 16, mc: 144, kc: kcAll, nc: 1024,
	fn: func(kc int, a, b, c []float32, ldc, _, _ int) {
		_, _, _ = a[6*kc-1], b[16*kc-1], c[5*ldc+15]
		microkernel.AVX2(kc, &a[0], &b[0], &c[0], ldc)
	}}

var (
	hasAVX512 = microkernel.HasAVX512
	hasAVX2   = microkernel.HasAVX2
)

var bestKernel = func() *kernel {
	switch {
	case hasAVX512:
		return avx512Kernel
	case hasAVX2:
		return avx2Kernel
	}
	return genericKernel
}()

// kernels lists the micro-kernels this machine can run, for tests.
func kernels() []*kernel {
	ks := []*kernel{genericKernel}
	if hasAVX2 {
		ks = append(ks, avx2Kernel)
	}
	if hasAVX512 {
		ks = append(ks, avx512Kernel)
	}
	return ks
}
