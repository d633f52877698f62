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

// For calls body over [0, n) split into contiguous pieces, in parallel
// when the work (n*cost, in rough flops) is worth it. Pieces never
// overlap, so bodies that write disjoint ranges need no locks. The calling
// goroutine works too, and the pieces (up to piecesPerThread a thread) are
// handed out as the goroutines finish theirs: on a machine whose cores are
// also given to others (a virtual machine's host taking one away for a
// while), the goroutine that still runs takes the pieces the stalled one
// would have waited to do. Bodies must not depend on how [0, n) is split;
// the callers' results keep the same bits for any split, as for any
// thread count.
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
	pieces := min(n, piecesPerThread*t)
	var next atomic.Int64
	run := func() {
		for {
			p := int(next.Add(1)) - 1
			if p >= pieces {
				return
			}
			body(p*n/pieces, (p+1)*n/pieces)
		}
	}
	var wg sync.WaitGroup
	wg.Add(t - 1)
	for range t - 1 {
		go func() {
			defer wg.Done()
			run()
		}()
	}
	run()
	wg.Wait()
}

// piecesPerThread is how many pieces For cuts the work into per thread.
const piecesPerThread = 4
