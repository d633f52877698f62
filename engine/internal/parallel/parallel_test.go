package parallel

import (
	"sync/atomic"
	"testing"
	"time"
)

// For calls body on contiguous pieces that cover [0, n) once each, for
// small and large n, below and above the thread count.
func TestForCoversOnce(t *testing.T) {
	defer SetThreads(Threads())
	for _, th := range []int{1, 2, 3, 8} {
		SetThreads(th)
		for _, n := range []int{0, 1, 2, 5, 7, 8, 31, 1000} {
			seen := make([]int32, n)
			var calls atomic.Int32
			For(n, 1<<20, func(lo, hi int) {
				calls.Add(1)
				if lo >= hi {
					t.Errorf("threads %d, n %d: empty piece [%d, %d)", th, n, lo, hi)
				}
				for i := lo; i < hi; i++ {
					atomic.AddInt32(&seen[i], 1)
				}
			})
			for i, s := range seen {
				if s != 1 {
					t.Fatalf("threads %d, n %d: index %d done %d times", th, n, i, s)
				}
			}
			if n > 0 && (th == 1 || n == 1) && calls.Load() != 1 {
				t.Errorf("threads %d, n %d: %d calls, want 1", th, n, calls.Load())
			}
		}
	}
}

// A piece that stalls (a core taken away by the host) does not hold up
// the pieces after it: the other goroutine does them. Piece 0 waits until
// every other piece is done; with the work cut into one fixed range per
// goroutine, the stalled call would hold half of them.
func TestForStalledPieceDoesNotHoldOthers(t *testing.T) {
	defer SetThreads(Threads())
	SetThreads(2)
	n := 2 * piecesPerThread
	var done atomic.Int32
	othersFirst, stalled := false, 0
	For(n, 1<<20, func(lo, hi int) {
		if lo == 0 {
			stalled = hi
			for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
				if done.Load() == int32(n-hi) {
					othersFirst = true
					break
				}
				time.Sleep(time.Millisecond)
			}
		}
		done.Add(int32(hi - lo))
	})
	if done.Load() != int32(n) {
		t.Fatalf("%d of %d indices done", done.Load(), n)
	}
	if !othersFirst {
		t.Error("the pieces after a stalled one waited for it")
	}
	if stalled > n/4 {
		t.Errorf("the stalled goroutine held %d of %d indices; the other should have taken all but the first piece", stalled, n)
	}
}
