package inspect

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
)

// threadsOr returns n, or the engine's thread budget (--threads) when n <= 0.
func threadsOr(n int) int {
	if n > 0 {
		return n
	}
	if t := cpu.Threads(); t > 0 {
		return t
	}
	return runtime.NumCPU()
}

// parallelFor calls body over [0, n) in chunks of chunk items, on up to
// threads goroutines that take chunks in turn (so uneven chunks balance).
// Each chunk is a fixed range whatever the thread count, so loops that
// write per-item results are deterministic.
func parallelFor(threads, n, chunk int, body func(lo, hi int)) {
	if n <= 0 {
		return
	}
	chunk = max(chunk, 1)
	chunks := (n + chunk - 1) / chunk
	if threads <= 1 || chunks == 1 {
		body(0, n)
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(threads, chunks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				lo := c * chunk
				body(lo, min(lo+chunk, n))
			}
		}()
	}
	wg.Wait()
}
