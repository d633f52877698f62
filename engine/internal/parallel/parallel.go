// Package parallel splits loops over goroutines, with a process-wide thread
// budget that --threads sets.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

var threads atomic.Int64

func init() { threads.Store(int64(runtime.NumCPU())) }

// SetThreads sets how many goroutines For uses (at least 1).
func SetThreads(n int) {
	if n < 1 {
		n = 1
	}
	threads.Store(int64(n))
}

// Threads reports the thread budget.
func Threads() int { return int(threads.Load()) }

// For calls body over [0, n) split into contiguous chunks, in parallel when
// the work (n*cost, in rough flops) is worth it. Chunks never overlap, so
// bodies that write disjoint ranges need no locks.
func For(n, cost int, body func(lo, hi int)) {
	t := Threads()
	if n <= 0 {
		return
	}
	if t == 1 || n == 1 || n*cost < 32768 {
		body(0, n)
		return
	}
	if t > n {
		t = n
	}
	var wg sync.WaitGroup
	chunk := (n + t - 1) / t
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			body(lo, hi)
		}(lo, hi)
	}
	wg.Wait()
}
