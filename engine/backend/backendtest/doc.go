// Package backendtest is the conformance suite of the kernel interface
// (engine/backend), in the manner of gonum's blas/testblas: Run takes any
// Backend and checks every kernel, one subtest each, on seeded random
// inputs (odd sizes, every broadcasting pattern, GEMM at offsets with
// padded leading dimensions, convolution and pooling geometries with
// stride, padding and dilation, softmax at extreme logits, channel
// statistics far from zero, optimizer steps).
//
// Each result is compared twice: with the CPU backend, the oracle that is
// itself checked against PyTorch, and with a plain float64 reference
// implementation written from the interface's documentation (ref.go). Run on
// the CPU backend the first comparison is trivial and the second is the
// test. Tolerances are in float32 units in the last place (2⁻²³): a few
// for exact-rounding kernels, proportional to the number of terms summed
// for reductions and products, and a few dozen for transcendental functions,
// so that a GPU backend with fused multiply-adds, other summation orders
// and GLSL's exp/log precision passes while a wrong index does not. Random
// dropout masks must agree bit for bit, since every backend draws them from
// backend.Uniform.
//
// Use it from a backend's tests:
//
//	func TestConformance(t *testing.T) { backendtest.Run(t, mybackend.New()) }
package backendtest
