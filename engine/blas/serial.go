package blas

import (
	"sync"
	"sync/atomic"
)

// serial counts the Serial calls in progress; while it is above zero the
// native library runs every product on its caller's thread.
var serial struct {
	mu    sync.Mutex
	depth atomic.Int64
}

// Serial runs f with the native Sgemm confined to the calling thread: every
// product called while f runs (from any goroutine) uses one thread. It is
// for callers that split their work over goroutines themselves, such as the
// CPU backend's per-image convolutions: with a threaded BLAS underneath,
// two goroutines' products would queue for the library's thread pool, and
// its idle threads would spin (sched_yield) against the goroutines on the
// same cores. Calls may nest and overlap; the thread count of SetThreads
// returns when the last one ends. Other callers of Sgemm in the process
// also run single-threaded meanwhile.
func Serial(f func()) {
	serial.mu.Lock()
	if serial.depth.Add(1) == 1 {
		setNativeThreads(1)
	}
	serial.mu.Unlock()
	defer func() {
		serial.mu.Lock()
		if serial.depth.Add(-1) == 0 {
			setNativeThreads(Threads())
		}
		serial.mu.Unlock()
	}()
	f()
}

// syncNativeThreads passes the thread count to the native library unless
// a Serial call holds it at one.
func syncNativeThreads(n int) {
	serial.mu.Lock()
	if serial.depth.Load() == 0 {
		setNativeThreads(n)
	}
	serial.mu.Unlock()
}

// gemmThreads is the goroutine count for the pure-Go path: 1 inside
// Serial, else Threads().
func gemmThreads() int {
	if serial.depth.Load() > 0 {
		return 1
	}
	return Threads()
}
