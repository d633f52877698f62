//go:build linux || windows

package opengl

import (
	"math/bits"

	"github.com/go-gl/gl/v4.3-core/gl"
)

// pool keeps released buffers by size class for reuse: a training step
// allocates the same shapes every time, so after the first step almost no
// buffer is created. It is touched only on the GL thread.
type pool struct {
	free      map[int][]uint32 // size class in bytes -> buffer names
	freeBytes int
	limit     int // free bytes kept; beyond it buffers are deleted
	// Bytes handed out by acquire and not yet put back (tensors and
	// kernels' scratch), and their high-water mark: tests check with them
	// that a kernel allocates no large temporaries.
	inUse, peak int
}

func newPool() pool { return pool{free: map[int][]uint32{}, limit: 512 << 20} }

// sizeClass rounds n values up to a buffer size in bytes: powers of two and
// the quarter points between them, so at most a quarter is wasted.
func sizeClass(n int) int {
	b := max(n*4, 256)
	p := 1 << bits.Len(uint(b-1)) // next power of two >= b
	step := p / 8                 // classes p/2 + {1,2,3,4}*p/8
	return (b + step - 1) / step * step
}

// acquire returns a buffer of the size class, reused or new (GL thread).
func (g *GL) acquire(bytes int) uint32 {
	g.pool.inUse += bytes
	g.pool.peak = max(g.pool.peak, g.pool.inUse)
	if ids := g.pool.free[bytes]; len(ids) > 0 {
		id := ids[len(ids)-1]
		g.pool.free[bytes] = ids[:len(ids)-1]
		g.pool.freeBytes -= bytes
		return id
	}
	var id uint32
	gl.GenBuffers(1, &id)
	gl.BindBuffer(gl.COPY_WRITE_BUFFER, id)
	gl.BufferData(gl.COPY_WRITE_BUFFER, bytes, nil, gl.DYNAMIC_COPY)
	if e := gl.GetError(); e == gl.OUT_OF_MEMORY && g.pool.freeBytes > 0 {
		g.drain(0) // give the pooled memory back and try once more
		gl.BufferData(gl.COPY_WRITE_BUFFER, bytes, nil, gl.DYNAMIC_COPY)
		e = gl.GetError()
		if e != gl.NO_ERROR {
			panic(glErrorText(e))
		}
	} else if e != gl.NO_ERROR {
		panic(glErrorText(e))
	}
	return id
}

// put returns a buffer to the pool, or deletes it when the pool is full.
func (g *GL) put(id uint32, bytes int) {
	g.pool.inUse -= bytes
	if g.pool.freeBytes+bytes > g.pool.limit {
		g.deleteBuffer(id)
		return
	}
	g.pool.free[bytes] = append(g.pool.free[bytes], id)
	g.pool.freeBytes += bytes
}

// drain deletes pooled buffers until at most keep bytes remain.
func (g *GL) drain(keep int) {
	for class, ids := range g.pool.free {
		for len(ids) > 0 && g.pool.freeBytes > keep {
			g.deleteBuffer(ids[len(ids)-1])
			ids = ids[:len(ids)-1]
			g.pool.freeBytes -= class
		}
		g.pool.free[class] = ids
	}
}

func (g *GL) deleteBuffer(id uint32) {
	for i, b := range g.bound {
		if b == id {
			g.bound[i] = 0
		}
	}
	gl.DeleteBuffers(1, &id)
}

// resetPeak waits for the kernels posted so far and returns the bytes in
// use, which become the new high-water mark; peakBytes returns the mark.
func (g *GL) resetPeak() int {
	var n int
	g.w.call(func() { g.pool.peak, n = g.pool.inUse, g.pool.inUse })
	return n
}

func (g *GL) peakBytes() int {
	var n int
	g.w.call(func() { n = g.pool.peak })
	return n
}
