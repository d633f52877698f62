// Package cpu is the CPU implementation of the engine's kernel interface
// (package backend). Matrix products go through engine/blas (OpenBLAS,
// Accelerate or a pure-Go kernel); the other kernels are plain Go loops split
// over goroutines by engine/internal/parallel, with AVX-512 assembly for 2x2
// max-pooling and AVX2 assembly for batch and instance norm's loops. It is the reference that every other backend is tested
// against, and is itself tested against PyTorch.
//
// Where the time goes in a training step, and what the package does about
// it:
//   - Memory: buffers come from a size-class pool (pool.go) and freed ones
//     are handed out again (or one of the next class up), uncleared when
//     the caller asks (AllocUninit), so a step allocates and clears almost
//     nothing after the first. The pool drains only after 2 s with nothing
//     taken, so frequent garbage collections do not hand a working set
//     back to the kernel between steps.
//   - Convolutions run image by image (directconv.go): an L2-sized column
//     matrix per image, the GEMM writing NCHW directly, the bias folded into
//     it, goroutines taking whole images; a batch smaller than the thread
//     count threads each image instead. The path is chosen per shape
//     (ConvPath names it for profiles): 1x1 stride-1 as a plain GEMM on
//     the NCHW image, stride-1 3x3 on large planes by Winograd F(2x2,3x3)
//     forward and for the input gradient (winograd.go), im2col + GEMM
//     otherwise; small planes over the whole batch (batchconv.go).
//   - Where engine/blas has an assembly micro-kernel (blas.MicroKernel),
//     the convolutions lay out its panels themselves instead of handing
//     matrices to Sgemm: Winograd with the transforms writing and reading
//     the panels block by block (winofused.go), im2col straight into
//     panels for strided and wide layers (fusedconv.go). Winograd's
//     transforms run in AVX2 where the processor has it, with the Go
//     code's bits (winovec_amd64.s), and then take a third of the time
//     or less, so the whole-batch Winograd path reaches layers of 16
//     channels with 192 tiles over the batch (winogradBatchVec).
//   - Weight gradients of 3x3 "same" layers: on planes 12 or more wide,
//     with no column matrix and no packing (shiftdw.go): x and dy are
//     copied with their channels interleaved in the kernel's lanes
//     (interleave_amd64.s) into grids with a zero column, and each tap is
//     a plain panel of the copy shifted by a few cells. On smaller planes,
//     in the Winograd domain with AVX2 transforms on the same
//     interleaved grids writing the kernel's panels (winolanes.go);
//     elsewhere the Winograd domain's GEMM form (winograd_dw.go) or
//     im2col.
//   - Batch norm's backward pass, batch norm followed by ReLU, and batch
//     norm plus a residual followed by ReLU (a ResNet block's end) are
//     fused kernels (batchnorm.go). Their sums and affine passes, which
//     instance norm shares, are defined by Go loops (bnvec.go) and run in
//     AVX2 where the processor has it with the same bits (32 running sums
//     a block, no fused multiply-adds): three to four times the Go loops'
//     speed.
//   - Threads: the backend splits work over goroutines itself and the BLAS
//     library runs single-threaded inside its calls (engine/blas threads a
//     product over goroutines, blas.Serial keeps a product on its caller's
//     goroutine), so OpenBLAS's thread pool neither queues our goroutines
//     nor spins against them.
//   - Same bits on any thread count: every output value is computed by one
//     goroutine in a fixed order, and sums over the batch (weight and bias
//     gradients of convolutions) are cut into chunks that depend on the
//     sizes only, added in chunk order.
//
// Importing the package registers it under the name "cpu".
package cpu
