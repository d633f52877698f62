package blas

import "sync/atomic"

// serial counts the Serial calls in progress; while it is above zero every
// product runs on its caller's goroutine.
var serial struct{ depth atomic.Int64 }

// Serial runs f with every product confined to the calling goroutine: a
// product called while f runs (from any goroutine) computes its blocks
// one after the other instead of on Threads() goroutines. It is for callers
// that split their work over goroutines themselves, such as the CPU
// backend's per-image convolutions, where more goroutines per product
// would only queue for the same cores. The blocks, and so the result, are
// the same bits either way. Calls may nest and overlap. Other callers of
// Sgemm in the process also run on one goroutine meanwhile.
func Serial(f func()) {
	serial.depth.Add(1)
	defer serial.depth.Add(-1)
	f()
}

// gemmThreads is the goroutine count of a product: 1 inside Serial, else
// Threads().
func gemmThreads() int {
	if serial.depth.Load() > 0 {
		return 1
	}
	return Threads()
}
