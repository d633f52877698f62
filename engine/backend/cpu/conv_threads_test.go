package cpu

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

// The convolution kernels give the same bits on any thread count: a batch
// smaller than the thread count threads each image's products and column
// matrix, a larger one spreads whole images, and both must agree with one
// thread.
func TestConvBitsDoNotDependOnThreads(t *testing.T) {
	defer SetThreads(Threads())
	rng := rand.New(rand.NewPCG(3, 4))
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return v
	}
	b := New()
	for _, g := range []backend.ConvGeom{
		{N: 1, C: 8, H: 13, W: 11, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1},
		{N: 2, C: 16, H: 9, W: 9, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1},
		{N: 3, C: 5, H: 15, W: 12, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1, DH: 1, DW: 1},
		{N: 1, C: 6, H: 20, W: 20, KH: 7, KW: 7, SH: 2, SW: 2, PH: 3, PW: 3, DH: 1, DW: 1},
	} {
		g = g.Out()
		o := backend.ConvGroups{OC: 24, Groups: 1}
		x, w, bias := rnd(g.N*g.C*g.H*g.W), rnd(o.OC*g.C*g.KH*g.KW), rnd(o.OC)
		dy := rnd(g.N * o.OC * g.OH * g.OW)
		run := func(threads int) [][]float32 {
			SetThreads(threads)
			y := &Buf{D: make([]float32, len(dy))}
			dx, dw, db := &Buf{D: make([]float32, len(x))}, &Buf{D: make([]float32, len(w))}, &Buf{D: make([]float32, o.OC)}
			b.ConvForward(y, &Buf{D: x}, &Buf{D: w}, &Buf{D: bias}, g, o)
			b.ConvBackward(dx, dw, db, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
			return [][]float32{y.D, dx.D, dw.D, db.D}
		}
		want := run(1)
		for _, th := range []int{2, 3, 4} {
			for i, got := range run(th) {
				if !slices.Equal(got, want[i]) {
					t.Errorf("%+v on %d threads: output %d differs from 1 thread", g, th, i)
				}
			}
		}
	}
}
