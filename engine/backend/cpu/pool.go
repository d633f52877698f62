package cpu

import (
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

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
// finds that nothing was taken from the pool for poolDrainIdle, so an idle
// program does not hold a training step's working set; otherwise a
// collection drops the buffers of the sizes nobody asked for in the last
// minute. The test is time, not "nothing since the previous collection":
// under a memory limit (the speedrun bench sets one) the collector runs
// every few tens of milliseconds, often inside one long convolution that
// takes nothing, and each such collection emptied the pool. The step then
// allocated its working set afresh, the runtime had meanwhile handed the
// dropped pages back to the kernel, and writing them faulted them in
// again: 4 speedrun steps of 1024 took 1.24 million page faults for a
// 1.9 GB process.
//
// The pool keeps up to twice the most that was in use at once since it
// last drained (at least 1 GiB), so a training step whose working set is
// larger than any fixed cap still reuses the last step's buffers. Twice,
// because the order of frees and allocations can leave buffers of one
// size kept while another size is asked for. A fixed 1 GiB cap made a
// ResNet-50 step at batch 16 (live buffers peaking at 2.2 GiB) drop about
// 1.3 GiB of buffers as garbage every step and allocate them again, and
// the collector let the heap grow to twice the live data meanwhile: the
// process peaked at 4.3 GiB, against 2.4 GiB with this rule.

const (
	// poolMin is the smallest buffer pooled, in values: smaller ones are
	// cheap for the allocator.
	poolMin = 1 << 11
	// classes: powers of two and the quarter points between them.
	numClasses = 4 * 64
)

// poolIdle: the buffers of a size nobody asked for in this long are
// dropped at the next garbage collection (a variable for tests).
var poolIdle = time.Minute

// poolDrainIdle: a collection that finds nothing taken from the pool for
// this long drains it (a variable for tests).
var poolDrainIdle = 2 * time.Second

// poolLimit is the least bound on the values kept in the pool (1 GiB);
// a variable for tests.
var poolLimit int64 = 1 << 28

type bufPool struct {
	mu   sync.Mutex
	free [numClasses][][]float32
	kept int // values held in free
	// lastTaken is when a buffer was last taken from the pool (UnixNano).
	lastTaken atomic.Int64
	// live counts the values of pooled buffers handed out and not yet
	// freed, peak its largest value since ResetPeak and high its largest
	// since the pool last drained.
	live, peak, high atomic.Int64
	// asked holds when each size class was last asked for (UnixNano).
	asked [numClasses]atomic.Int64
}

// MemStats reports the buffers of the pool's sizes (2,048 values and up:
// every activation, gradient and weight of a real network), in bytes.
type MemStats struct {
	Live int64 // handed out and not yet freed
	Peak int64 // the largest Live since ResetPeak (or the start)
	Kept int64 // freed and held by the pool for reuse
}

// Mem reports the live, peak and pooled bytes of the CPU backend's
// buffers. Tests use it to check that a pass frees what it no longer
// needs; benchmarks, to see what a peak is made of.
func Mem() MemStats {
	pool.mu.Lock()
	kept := int64(pool.kept)
	pool.mu.Unlock()
	return MemStats{Live: 4 * pool.live.Load(), Peak: 4 * pool.peak.Load(), Kept: 4 * kept}
}

// Trim drops every buffer the pool holds for reuse, giving the memory
// back to the garbage collector. Which size class serves a request
// depends on what the pool holds (a request may take a free buffer of the
// next class up), so tests that compare Live across runs start each run
// from an empty pool.
func Trim() { pool.drain() }

// ResetPeak starts a new peak at the current live bytes.
func ResetPeak() { pool.peak.Store(pool.live.Load()) }

// addLive counts n values handed out (n < 0: freed).
func (p *bufPool) addLive(n int) {
	l := p.live.Add(int64(n))
	for pk := p.peak.Load(); l > pk && !p.peak.CompareAndSwap(pk, l); pk = p.peak.Load() {
	}
	for h := p.high.Load(); l > h && !p.high.CompareAndSwap(h, l); h = p.high.Load() {
	}
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
		now := time.Now().UnixNano()
		if now-p.lastTaken.Load() > int64(poolDrainIdle) {
			p.drain()
		} else {
			p.dropIdle(now)
		}
		armTrim(p)
	})
}

// dropIdle drops the buffers of the sizes nobody asked for in the last
// poolIdle: after a large job, a program that goes on with small work
// (which keeps the pool from draining) does not hold the large job's
// buffers for good.
func (p *bufPool) dropIdle(now int64) {
	p.mu.Lock()
	for i := range p.free {
		if len(p.free[i]) > 0 && now-p.asked[i].Load() > int64(poolIdle) {
			for _, s := range p.free[i] {
				p.kept -= cap(s)
			}
			clear(p.free[i])
			p.free[i] = p.free[i][:0]
		}
	}
	p.mu.Unlock()
}

// drain drops every pooled buffer.
func (p *bufPool) drain() {
	p.mu.Lock()
	for i := range p.free {
		clear(p.free[i])
		p.free[i] = p.free[i][:0]
	}
	p.kept = 0
	p.high.Store(p.live.Load())
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
	now := time.Now().UnixNano()
	p.asked[idx].Store(now)
	p.lastTaken.Store(now)
	p.mu.Lock()
	// The size's own class, else the next one up (at most a quarter
	// larger): a step's sizes shift a little between calls (the last
	// batch, a chunked scratch), and a near fit reused beats fresh memory.
	for _, i := range [2]int{idx, idx + 1} {
		if i >= numClasses {
			break
		}
		if l := p.free[i]; len(l) > 0 {
			s = l[len(l)-1]
			l[len(l)-1] = nil
			p.free[i] = l[:len(l)-1]
			p.kept -= cap(s)
			p.mu.Unlock()
			p.asked[i].Store(now)
			p.addLive(cap(s))
			return s[:n], true
		}
	}
	p.mu.Unlock()
	p.addLive(size)
	return make([]float32, n, size), false
}

// put returns s to the pool unless the pool is full: unless the values
// kept would exceed both twice the high-water mark of those in use and
// poolLimit. Either way s no longer counts as live.
func (p *bufPool) put(s []float32) {
	if cap(s) < poolMin {
		return
	}
	idx, size := class(cap(s))
	if size != cap(s) {
		return // not one of ours
	}
	p.addLive(-size)
	limit := max(poolLimit, 2*p.high.Load())
	p.mu.Lock()
	if int64(p.kept+size) <= limit {
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
