// Package backend defines the small kernel interface on which every layer,
// loss, optimizer and inspection method of the engine is written, and a
// registry of the implementations (the CPU backend in backend/cpu, the OpenGL
// compute backend in gpu/opengl, which registers itself by blank import).
//
// A Backend owns device buffers (Buffer) and runs about two dozen primitive
// kernels on them: elementwise maps with broadcasting, reductions, GEMM,
// im2col/col2im, pooling, softmax cross-entropy, batch-norm statistics and
// fused optimizer updates. Tensors stay in device buffers between kernels;
// only what is shown or logged is read back with Read.
//
// The conformance suite in backend/backendtest checks any Backend against the
// CPU one, which is itself checked against PyTorch.
package backend
