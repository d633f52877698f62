package cpu

import (
	"fmt"
	"math"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/blas"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

func init() {
	backend.Register("cpu", func() (backend.Backend, error) { return New(), nil })
}

// Buf is a CPU buffer: a plain slice. Buffers made by Alloc come from a
// pool of recycled storage (see pool.go).
type Buf struct {
	D      []float32
	pooled bool // D belongs to the pool and returns to it on Free
}

// Len is the number of values.
func (b *Buf) Len() int { return len(b.D) }

// CPU is the CPU backend. It has no state: a zero value works.
type CPU struct{}

// New returns the CPU backend.
func New() *CPU { return &CPU{} }

// Data exposes a CPU buffer's values without copying. It panics for buffers
// of other backends, which is a programming error.
func Data(b backend.Buffer) []float32 { return b.(*Buf).D }

func d(b backend.Buffer) []float32 {
	if b == nil {
		return nil
	}
	return b.(*Buf).D
}

// Name implements backend.Backend.
func (*CPU) Name() string { return "cpu" }

// Describe implements backend.Backend.
func (*CPU) Describe() string {
	return fmt.Sprintf("CPU (%s, %d threads)", blas.Impl(), parallel.Threads())
}

// Write implements backend.Backend.
func (*CPU) Write(b backend.Buffer, off int, src []float32) { copy(d(b)[off:], src) }

// Read implements backend.Backend.
func (*CPU) Read(b backend.Buffer, off int, dst []float32) { copy(dst, d(b)[off:off+len(dst)]) }

// Copy implements backend.Backend.
func (*CPU) Copy(dst backend.Buffer, dstOff int, src backend.Buffer, srcOff, n int) {
	copy(d(dst)[dstOff:dstOff+n], d(src)[srcOff:srcOff+n])
}

// Fill implements backend.Backend.
func (*CPU) Fill(b backend.Buffer, v float32) {
	x := d(b)
	if v == 0 {
		clear(x)
		return
	}
	for i := range x {
		x[i] = v
	}
}

// Axpy implements backend.Backend.
func (*CPU) Axpy(dst backend.Buffer, alpha float32, x backend.Buffer) {
	y, xs := d(dst), d(x)
	parallel.For(len(y), 2, func(lo, hi int) {
		yy, xx := y[lo:hi], xs[lo:hi]
		for i := range yy {
			yy[i] += alpha * xx[i]
		}
	})
}

// DropoutMask implements backend.Backend with the shared counter-based hash.
func (*CPU) DropoutMask(mask backend.Buffer, p float32, seed uint64) {
	m := d(mask)
	keep := 1 / (1 - p)
	parallel.For(len(m), 8, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if backend.Uniform(seed, uint64(i)) < p {
				m[i] = 0
			} else {
				m[i] = keep
			}
		}
	})
}

// SGDStep implements backend.Backend.
func (*CPU) SGDStep(w, g, v backend.Buffer, lr, momentum, wd float32, nesterov bool) {
	ws, gs, vs := d(w), d(g), d(v)
	parallel.For(len(ws), 4, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gi := gs[i] + wd*ws[i]
			if momentum != 0 {
				vs[i] = momentum*vs[i] + gi
				if nesterov {
					gi += momentum * vs[i]
				} else {
					gi = vs[i]
				}
			}
			ws[i] -= lr * gi
		}
	})
}

// AdamStep implements backend.Backend.
func (*CPU) AdamStep(w, g, m, v backend.Buffer, p backend.AdamParams) {
	ws, gs, ms, vs := d(w), d(g), d(m), d(v)
	bc1 := 1 - math.Pow(float64(p.Beta1), float64(p.Step))
	bc2 := 1 - math.Pow(float64(p.Beta2), float64(p.Step))
	stepSize := float32(float64(p.LR) / bc1)
	sqrtBC2 := float32(math.Sqrt(bc2))
	parallel.For(len(ws), 10, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gi := gs[i]
			if p.Decoupled {
				ws[i] *= 1 - p.LR*p.WeightDecay
			} else if p.WeightDecay != 0 {
				gi += p.WeightDecay * ws[i]
			}
			ms[i] = p.Beta1*ms[i] + (1-p.Beta1)*gi
			vs[i] = p.Beta2*vs[i] + (1-p.Beta2)*gi*gi
			denom := float32(math.Sqrt(float64(vs[i])))/sqrtBC2 + p.Eps
			ws[i] -= stepSize * ms[i] / denom
		}
	})
}
