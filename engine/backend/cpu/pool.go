package cpu

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/workbench-cv/workbench/engine/backend"
)

// The buffer pool. A training step allocates the same shapes every time;
// keeping freed buffers by size class and handing them out again saves the
// garbage collector's work and, with AllocUninit, the clearing of memory
// that a kernel is about to overwrite (together a fifth of a ref-cnn step
// before the pool). Only buffers that the pool made (Buf.pooled) return to
// it, so a Buf wrapped around someone else's slice is never recycled.
//
// Pooled memory is given back to the garbage collector when a collection
// finds that nothing was taken from the pool since the previous one, so an
// idle program does not hold a training step's working set.

const (
	// poolMin is the smallest buffer pooled, in values: smaller ones are
	// cheap for the allocator.
	poolMin = 1 << 11
	// poolLimit bounds the memory kept in the pool, in values (1 GiB).
	poolLimit = 1 << 28
	// classes: powers of two and the quarter points between them.
	numClasses = 4 * 64
)

type bufPool struct {
	mu    sync.Mutex
	free  [numClasses][][]float32
	kept  int // values held in free
	taken atomic.Bool
}

var pool = newPool()

func newPool() *bufPool {
	p := &bufPool{}
	armTrim(p)
	return p
}

// armTrim schedules a check after the next garbage collection: a finalizer
// on a fresh object runs once that collection has found it unreachable.
func armTrim(p *bufPool) {
	sentinel := new([16]byte)
	runtime.SetFinalizer(sentinel, func(*[16]byte) {
		if !p.taken.Swap(false) {
			p.drain()
		}
		armTrim(p)
	})
}

// drain drops every pooled buffer.
func (p *bufPool) drain() {
	p.mu.Lock()
	for i := range p.free {
		clear(p.free[i])
		p.free[i] = p.free[i][:0]
	}
	p.kept = 0
	p.mu.Unlock()
}

// class returns the size class of n values (n >= poolMin): its index and
// its capacity, the smallest class size >= n.
func class(n int) (idx, size int) {
	e := bits.Len(uint(n - 1))           // 2^(e-1) < n <= 2^e
	step := 1 << (e - 3)                 // classes 2^(e-1) + {1,2,3,4}·2^(e-3)
	q := (n - 1 - (1 << (e - 1))) / step // 0..3
	return 4*e + q, (1 << (e - 1)) + (q+1)*step
}

// get returns a slice of length n, recycled (with stale contents) or new
// (zeroed), and whether it came from the pool.
func (p *bufPool) get(n int) (s []float32, reused bool) {
	idx, size := class(n)
	p.mu.Lock()
	if l := p.free[idx]; len(l) > 0 {
		s = l[len(l)-1]
		l[len(l)-1] = nil
		p.free[idx] = l[:len(l)-1]
		p.kept -= cap(s)
		p.mu.Unlock()
		p.taken.Store(true)
		return s[:n], true
	}
	p.mu.Unlock()
	return make([]float32, n, size), false
}

// put returns s to the pool unless the pool is full.
func (p *bufPool) put(s []float32) {
	if cap(s) < poolMin {
		return
	}
	idx, size := class(cap(s))
	if size != cap(s) {
		return // not one of ours
	}
	p.mu.Lock()
	if p.kept+cap(s) <= poolLimit {
		p.free[idx] = append(p.free[idx], s[:cap(s)])
		p.kept += cap(s)
	}
	p.mu.Unlock()
}

// alloc makes a buffer of n values; zero says it must read as zeros.
func alloc(n int, zero bool) *Buf {
	if n < poolMin {
		return &Buf{D: make([]float32, n)}
	}
	s, reused := pool.get(n)
	if reused && zero {
		clear(s)
	}
	return &Buf{D: s, pooled: true}
}

// Alloc implements backend.Backend: a zeroed buffer, recycled when the
// pool has one of its size.
func (*CPU) Alloc(n int) backend.Buffer { return alloc(n, true) }

// AllocUninit implements backend.UninitAllocator: like Alloc without the
// clearing, for outputs that a kernel overwrites completely.
func (*CPU) AllocUninit(n int) backend.Buffer { return alloc(n, false) }

// Free implements backend.Backend: the storage returns to the pool (or to
// the garbage collector), and the buffer reads as empty afterwards, so a
// use after Free fails loudly instead of seeing another tensor's values.
// Freeing twice, or freeing nil, does nothing.
func (*CPU) Free(b backend.Buffer) {
	if x, ok := b.(*Buf); ok {
		freeBuf(x)
	}
}

func freeBuf(x *Buf) {
	if x == nil || x.D == nil {
		return
	}
	s := x.D
	x.D = nil
	if x.pooled {
		x.pooled = false
		pool.put(s)
	}
}
