// Package blas is Workbench's CPU matrix-multiply layer: single-precision
// general matrix multiply (SGEMM) on row-major matrices, the kernel that
// fully connected layers, im2col convolutions, kNN distance matrices and
// t-SNE gradients all reduce to.
//
// [Sgemm] is the entry point the engine calls. Which implementation it uses
// is decided at build time:
//
//   - Linux with cgo: OpenBLAS through its CBLAS interface (link flag
//     -lopenblas; Debian package libopenblas-dev).
//   - macOS with cgo: Apple's Accelerate framework.
//   - Everything else, CGO_ENABLED=0, or the build tag noblas: [SgemmGo],
//     the pure-Go implementation in this package.
//
// [Impl] names the implementation in use. [SgemmGo] is always compiled, so
// tests and benchmarks can compare both paths in one binary.
//
// [MicroKernel] hands out SgemmGo's register-blocked micro-kernel itself,
// for callers that lay out its panels (the convolutions of
// engine/backend/cpu); [MicroKernels] lists every kernel the machine can
// run, so tests can check that they agree bit for bit.
//
// SgemmGo follows the GotoBLAS/BLIS design: C is split into one tile per
// thread; each thread walks its tile in cache blocks, copies ("packs") a
// KC x NC panel of op(B) and an MC x KC block of op(A) into contiguous
// buffers laid out in the order the micro-kernel reads them, and calls a
// register-blocked micro-kernel that keeps an MR x NR block of C in
// registers. On amd64 the micro-kernel is Go assembly using AVX-512
// (12 x 32) or AVX2 with FMA (6 x 16), chosen at start-up from CPUID;
// elsewhere, or with the build tag purego, it is a portable Go kernel.
// [GoKernel] says which one runs.
//
// Threading: [SetThreads] sets the number of goroutines a product uses on
// both paths. OpenBLAS itself always runs single-threaded: a product is cut
// into a fixed number of row or column blocks that depends on its sizes
// only, one OpenBLAS call each, spread over the goroutines (split.go). The
// Go path cuts C into one tile per goroutine, and every element is summed
// in the same order whatever the tiling. So Sgemm gives the same bits on
// any thread count. Accelerate schedules its own threads and ignores the
// setting. [Serial] confines products to the calling goroutine while it
// runs, for callers that parallelise over many small products themselves
// (the CPU backend's convolutions).
//
// Same bits across machines: the Go micro-kernels (AVX-512, AVX2 and the
// portable one, which emulates a fused multiply-add exactly) share one
// depth KC and one summation order, so the pure-Go build gives the same
// bits on AVX-512, AVX2 and other machines. OpenBLAS picks its kernels by
// CPU, and they round differently; with OpenBLAS, results match across
// machines only where OPENBLAS_CORETYPE selects the same kernels.
//
// Argument errors (negative sizes, leading dimensions smaller than a row,
// slices too short for the described matrix) are programming errors and
// panic with a message naming the argument, as gonum's BLAS does; they are
// checked before any C code sees the pointers.
package blas
