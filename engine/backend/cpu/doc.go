// Package cpu is the CPU implementation of the engine's kernel interface
// (package backend). Matrix products go through engine/blas (OpenBLAS,
// Accelerate or a pure-Go kernel); the other kernels are plain Go loops split
// over goroutines by engine/internal/parallel. It is the reference that every
// other backend is tested against, and is itself tested against PyTorch.
//
// Importing the package registers it under the name "cpu".
package cpu
