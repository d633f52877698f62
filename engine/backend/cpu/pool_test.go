package cpu

import (
	"runtime"
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

// TestPoolSurvivesBusyCollections: collections that come while the pool
// is in use (every few milliseconds under a memory limit, often inside
// one long kernel that takes nothing) leave its buffers alone; once
// nothing has been taken for poolDrainIdle, the next collection drains it.
func TestPoolSurvivesBusyCollections(t *testing.T) {
	withPoolLimit(t, 1<<28, func() {
		debug.SetGCPercent(100)
		c := New()
		c.Free(c.AllocUninit(1 << 16))
		for range 3 {
			runtime.GC()
			time.Sleep(5 * time.Millisecond) // the trim runs in the finalizer goroutine
		}
		if kept := Mem().Kept; kept != 4<<16 {
			t.Fatalf("kept %d bytes after three collections in quick succession, want the buffer's %d", kept, 4<<16)
		}
		pool.lastTaken.Store(time.Now().Add(-2 * poolDrainIdle).UnixNano())
		deadline := time.Now().Add(5 * time.Second)
		for Mem().Kept != 0 {
			if time.Now().After(deadline) {
				t.Fatalf("kept %d bytes %v after the last take, want the pool drained", Mem().Kept, 2*poolDrainIdle)
			}
			runtime.GC()
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// TestPoolServesTheNextClassUp: with no buffer of a size's own class, a
// free one of the next class (at most a quarter larger) serves it, so a
// step whose sizes shift a little reuses memory instead of taking more.
func TestPoolServesTheNextClassUp(t *testing.T) {
	withPoolLimit(t, 1<<28, func() {
		c := New()
		_, size := class(1 << 16)
		_, up := class(size + 1)
		b := c.AllocUninit(up).(*Buf)
		p := &b.D[0]
		c.Free(b)
		got := c.Alloc(size).(*Buf)
		defer c.Free(got)
		if &got.D[0] != p || len(got.D) != size {
			t.Fatalf("a request of %d values got a new buffer (len %d), want the freed one of class size %d", size, len(got.D), up)
		}
		for i, v := range got.D {
			if v != 0 {
				t.Fatalf("Alloc's recycled buffer holds %g at %d, want zeros", v, i)
			}
		}
		if kept := Mem().Kept; kept != 0 {
			t.Fatalf("kept %d bytes, want none", kept)
		}
	})
}
