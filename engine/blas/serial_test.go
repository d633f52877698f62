package blas

import (
	"sync"
	"testing"
)

// TestSerialConfinesAndRestoresThreads: inside Serial (nested and from
// several goroutines) products run on one goroutine; afterwards the count
// of SetThreads is back, and products inside still compute correctly.
func TestSerialConfinesAndRestoresThreads(t *testing.T) {
	defer SetThreads(0)
	SetThreads(2)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			Serial(func() {
				Serial(func() {
					if n := gemmThreads(); n != 1 {
						t.Errorf("gemmThreads inside Serial = %d, want 1", n)
					}
					if implName == "openblas" {
						if n := nativeThreads(); n != 1 {
							t.Errorf("OpenBLAS threads inside Serial = %d, want 1", n)
						}
					}
					a := []float32{1, 2, 3, 4}
					c := make([]float32, 4)
					Sgemm(false, false, 2, 2, 2, 1, a, 2, a, 2, 0, c, 2)
					if c[0] != 7 || c[1] != 10 || c[2] != 15 || c[3] != 22 {
						t.Errorf("product inside Serial = %v", c)
					}
				})
			})
		}()
	}
	wg.Wait()
	if n := gemmThreads(); n != 2 {
		t.Errorf("gemmThreads after Serial = %d, want 2", n)
	}
	// OpenBLAS itself always runs on one thread: split.go threads the
	// products.
	if implName == "openblas" {
		if n := nativeThreads(); n != 1 {
			t.Errorf("OpenBLAS threads after Serial = %d, want 1", n)
		}
	}
	// SetThreads inside Serial takes effect when Serial ends.
	Serial(func() { SetThreads(1) })
	if Threads() != 1 || (implName == "openblas" && nativeThreads() != 1) {
		t.Errorf("threads after SetThreads(1) inside Serial: %d (native %d)", Threads(), nativeThreads())
	}
}
