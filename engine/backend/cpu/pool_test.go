package cpu

import (
	"runtime/debug"
	"testing"
	"time"
)

// withPoolLimit runs f on a drained pool whose least cap is limit values,
// with the garbage collector off (a collection that finds nothing reused
// since the last one drains the pool).
func withPoolLimit(t *testing.T, limit int64, f func()) {
	t.Helper()
	old := poolLimit
	poolLimit = limit
	gc := debug.SetGCPercent(-1)
	pool.drain()
	defer func() {
		debug.SetGCPercent(gc)
		poolLimit = old
		pool.drain()
	}()
	f()
}

// TestPoolKeepsAStepLargerThanItsCap: a working set far above the pool's
// least cap (a ResNet-50 step at batch 16 against the 1 GiB it had) is
// kept whole when freed and serves the next step's allocations, so no
// buffer becomes garbage; and Mem counts the live bytes exactly.
func TestPoolKeepsAStepLargerThanItsCap(t *testing.T) {
	withPoolLimit(t, 1<<15, func() {
		c := New()
		live0 := Mem().Live
		ResetPeak()
		const n, size = 40, 4096 // 160 Ki values: five times the cap
		seen := map[*float32]bool{}
		var bufs []*Buf
		for range n {
			b := c.AllocUninit(size).(*Buf)
			seen[&b.D[0]] = true
			bufs = append(bufs, b)
		}
		if got, want := Mem().Live-live0, int64(4*n*size); got != want {
			t.Fatalf("live bytes grew by %d for %d buffers of %d values, want %d", got, n, size, want)
		}
		for _, b := range bufs {
			c.Free(b)
		}
		m := Mem()
		if m.Live != live0 || m.Peak != live0+4*n*size {
			t.Fatalf("after freeing: live %d (want %d), peak %d (want %d)", m.Live, live0, m.Peak, live0+4*n*size)
		}
		if m.Kept != 4*n*size {
			t.Fatalf("the pool kept %d bytes of the %d freed (its least cap: %d)", m.Kept, 4*n*size, 4*poolLimit)
		}
		for i := range n {
			b := c.AllocUninit(size).(*Buf)
			if !seen[&b.D[0]] {
				t.Fatalf("allocation %d of the second step was not served by the pool", i)
			}
			defer c.Free(b)
		}
	})
}

// TestPoolStaysBounded: buffers of sizes that are no longer asked for are
// kept only up to twice the high-water mark of live values; beyond it,
// freed buffers go to the garbage collector.
func TestPoolStaysBounded(t *testing.T) {
	withPoolLimit(t, 1<<13, func() {
		c := New()
		// Enough buffers that the other tests' live ones do not matter.
		n := 8 + int(Mem().Live/4/32768)
		sizes := []int{32768, 40960, 49152, 57344} // four classes
		freed := int64(0)
		for _, size := range sizes {
			var bufs []*Buf
			for range n {
				bufs = append(bufs, c.AllocUninit(size).(*Buf))
			}
			for _, b := range bufs {
				c.Free(b)
			}
			freed += int64(n * size)
		}
		// At most n x 57344 values were live at once (and whatever other
		// tests left allocated); the pool keeps up to twice that, less
		// than was freed.
		high := pool.high.Load()
		if freed <= 2*high {
			t.Fatalf("the test frees %d values, not more than twice the high-water mark %d", freed, high)
		}
		if kept := Mem().Kept / 4; kept > 2*high || kept < high {
			t.Fatalf("kept %d values, want between %d and %d", kept, high, 2*high)
		}
	})
}

// TestPoolDropsIdleSizes: buffers of a size nobody has asked for in
// poolIdle go at the next collection while the sizes in use stay, so a
// program that goes on with small work after a large job does not keep
// the large job's buffers.
func TestPoolDropsIdleSizes(t *testing.T) {
	withPoolLimit(t, 1<<28, func() {
		c := New()
		big, small := c.AllocUninit(1<<16).(*Buf), c.AllocUninit(4096).(*Buf)
		c.Free(big)
		c.Free(small)
		if kept := Mem().Kept; kept != 4*(1<<16+4096) {
			t.Fatalf("kept %d bytes, want both buffers", kept)
		}
		idx, _ := class(1 << 16)
		pool.asked[idx].Store(time.Now().Add(-2 * poolIdle).UnixNano())
		pool.dropIdle(time.Now().UnixNano())
		if kept := Mem().Kept; kept != 4*4096 {
			t.Fatalf("kept %d bytes after dropping idle sizes, want only the small buffer's %d", kept, 4*4096)
		}
		if b := c.AllocUninit(4096).(*Buf); b.D == nil {
			t.Fatal("no buffer")
		} else {
			c.Free(b)
		}
	})
}
