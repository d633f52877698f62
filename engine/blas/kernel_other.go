//go:build !amd64 || purego

package blas

var bestKernel = genericKernel

// kernels lists the micro-kernels this machine can run, for tests.
func kernels() []*kernel { return []*kernel{genericKernel} }
