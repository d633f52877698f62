package cpu

import (
	"math"
	"runtime"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

func TestSizeClasses(t *testing.T) {
	prev := 0
	for n := poolMin; n < 1<<22; n += 97 {
		idx, size := class(n)
		if size < n || size > n+n/4+1 {
			t.Fatalf("class(%d) size %d: want n <= size <= 1.25n", n, size)
		}
		if i2, s2 := class(size); i2 != idx || s2 != size {
			t.Fatalf("class(%d) = (%d, %d) but class of its size = (%d, %d)", n, idx, size, i2, s2)
		}
		if size < prev {
			t.Fatalf("class sizes not monotonic at %d", n)
		}
		prev = size
	}
}

// TestPoolRecyclesOnlyItsOwnBuffers: a freed buffer's storage serves the
// next allocation of its class (cleared by Alloc, stale for AllocUninit);
// a Buf wrapped around a caller's slice is never recycled; the freed Buf
// reads as empty.
func TestPoolRecyclesOnlyItsOwnBuffers(t *testing.T) {
	c := New()
	pool.drain()
	a := c.Alloc(5000).(*Buf)
	for i := range a.D {
		a.D[i] = 7
	}
	p := &a.D[0]
	c.Free(a)
	if a.D != nil || a.Len() != 0 {
		t.Fatal("a freed buffer still holds storage")
	}
	b := c.AllocUninit(4900).(*Buf) // same class (5120)
	if &b.D[0] != p || b.D[0] != 7 {
		t.Fatalf("AllocUninit did not reuse the freed storage with its contents")
	}
	c.Free(b)
	z := c.Alloc(5100).(*Buf)
	if &z.D[0] != p || z.D[0] != 0 || z.D[5099] != 0 {
		t.Fatal("Alloc reused storage without clearing it")
	}
	own := make([]float32, 5120)
	c.Free(&Buf{D: own})
	if n := c.AllocUninit(5000).(*Buf); &n.D[0] == &own[0] {
		t.Fatal("a caller's slice was recycled")
	}
	runtime.KeepAlive(z)
}

// TestMaxPoolZeroTies: in a window of -0 and +0 the first wins, as in
// PyTorch, and the value is the element itself.
func TestMaxPoolZeroTies(t *testing.T) {
	c := New()
	negz := float32(math.Copysign(0, -1))
	x := []float32{negz, 0, 0, negz, -1, -1, -1, -1}
	g := backend.PoolGeom{N: 1, C: 2, H: 2, W: 2, KH: 2, KW: 2, SH: 2, SW: 2}.Out()
	xb, y, idx := &Buf{D: x}, c.Alloc(2), c.Alloc(2)
	c.MaxPool(y, idx, xb, g)
	if ix := Data(idx); ix[0] != 0 || ix[1] != 0 {
		t.Errorf("indices %v, want the first of each window", ix)
	}
	if v := Data(y)[0]; math.Signbit(float64(v)) != true {
		t.Errorf("value %v, want the window's first element (-0)", v)
	}
}
