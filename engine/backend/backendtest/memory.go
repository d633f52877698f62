package backendtest

import (
	"fmt"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

var sizes = []int{1, 7, 3001, 40001}

func testMemory(t *testing.T, s *suite) {
	r := rng(t)
	b := s.b
	for _, n := range sizes {
		buf := b.Alloc(n)
		if buf.Len() != n {
			t.Fatalf("Alloc(%d).Len() = %d", n, buf.Len())
		}
		for i, v := range down(b, buf, n) {
			if v != 0 {
				t.Fatalf("Alloc(%d) not zeroed at %d: %v", n, i, v)
			}
		}
		v := normal(r, n, 1)
		b.Write(buf, 0, v)
		check(t, fmt.Sprintf("Write/Read %d", n), down(b, buf, n), f64(v), nil, exact)
		// Partial reads and writes at offsets.
		if n > 2 {
			b.Write(buf, n-2, []float32{3.5, -4.25})
			tail := make([]float32, 3)
			b.Read(buf, n-3, tail)
			if tail[0] != v[n-3] || tail[1] != 3.5 || tail[2] != -4.25 {
				t.Errorf("Write at offset %d / Read at %d: %v", n-2, n-3, tail)
			}
		}
		b.Fill(buf, -1.5)
		for i, x := range down(b, buf, n) {
			if x != -1.5 {
				t.Fatalf("Fill: element %d is %v", i, x)
			}
		}
		b.Fill(buf, 0)
		for i, x := range down(b, buf, n) {
			if x != 0 {
				t.Fatalf("Fill 0: element %d is %v", i, x)
			}
		}
		b.Fill(buf, 7)
		b.Free(buf)
		// A buffer allocated after a dirty one was freed (a pool may hand
		// back the same storage) still reads as zeros.
		again := b.Alloc(n)
		for i, x := range down(b, again, n) {
			if x != 0 {
				t.Fatalf("Alloc(%d) after Free of a dirty buffer: element %d is %v", n, i, x)
			}
		}
		b.Free(again)
		b.Free(again) // a second Free does nothing
		// AllocUninit: any contents, but the right length and usable.
		u := backend.AllocUninit(b, n)
		if u.Len() != n {
			t.Fatalf("AllocUninit(%d).Len() = %d", n, u.Len())
		}
		b.Write(u, 0, v)
		check(t, fmt.Sprintf("AllocUninit Write/Read %d", n), down(b, u, n), f64(v), nil, exact)
		b.Free(u)
	}
	// Copy between buffers and within one buffer (disjoint ranges).
	v := normal(r, 100, 1)
	src, dst := up(b, v), b.Alloc(50)
	b.Copy(dst, 10, src, 33, 40)
	got := down(b, dst, 50)
	for i := range got {
		want := float32(0)
		if i >= 10 {
			want = v[33+i-10]
		}
		if got[i] != want {
			t.Fatalf("Copy: dst[%d] = %v, want %v", i, got[i], want)
		}
	}
	b.Copy(src, 60, src, 5, 30)
	got = down(b, src, 100)
	for i := range got {
		want := v[i]
		if i >= 60 && i < 90 {
			want = v[5+i-60]
		}
		if got[i] != want {
			t.Fatalf("Copy within a buffer: [%d] = %v, want %v", i, got[i], want)
		}
	}
}
