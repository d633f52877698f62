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
// A backend may also implement optional interfaces that callers use when
// present and replace by primitive kernels otherwise: UninitAllocator
// (AllocUninit: no clearing for outputs a kernel overwrites), DirectConv
// (convolution without the whole-batch column matrix), MaxPoolReLUer
// (max-pooling with ReLU in one kernel), and the batch-norm fusions
// (BatchNormForwarder, BatchNormGrader, BatchNormAddReLUer), among others.
// The CPU backend implements them all; a new backend can start with the
// interface alone.
//
// The conformance suite in backend/backendtest checks any Backend against the
// CPU one, which is itself checked against PyTorch, and checks the optional
// kernels of backends that have them.
package backend
