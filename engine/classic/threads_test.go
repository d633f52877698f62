package classic

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
)

// TestBitsDoNotDependOnThreads: kNN distances and neighbours, and a linear
// classifier's training (losses and weights), are the same bits with the
// engine's thread setting (--threads) at 1, 2, 3 and 8. The sizes make
// every matrix product big enough to be cut into blocks.
func TestBitsDoNotDependOnThreads(t *testing.T) {
	defer cpu.SetThreads(cpu.Threads())
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	rng := rand.New(rand.NewPCG(8, 8))
	tr, te := randMatrix(rng, 1000, 300), randMatrix(rng, 200, 300)
	y := make([]int32, tr.Rows)
	for i := range y {
		y[i] = int32(rng.IntN(10))
	}
	type result struct {
		l2, l1 []float32
		neigh  [][]int
		hist   []float64
		w      []float32
	}
	run := func() result {
		var r result
		var err error
		if r.l2, err = Distances(tr, te, L2); err != nil {
			t.Fatal(err)
		}
		if r.l1, err = Distances(tr, te, L1); err != nil {
			t.Fatal(err)
		}
		r.neigh = Neighbors(r.l2, tr.Rows, 5)
		for _, loss := range []Loss{SVM, Softmax} {
			l := NewLinear(tr.Cols, 10, loss, 3)
			h, err := l.Train(context.Background(), tr, y, SGDConfig{LR: 1e-3, Reg: 1e-3, Iters: 20, Batch: 400, Seed: 5}, nil)
			if err != nil {
				t.Fatal(err)
			}
			r.hist = append(r.hist, h...)
			r.w = append(r.w, l.W...)
		}
		return r
	}
	same32 := func(a, b []float32) bool {
		return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
	}
	cpu.SetThreads(1)
	first := run()
	for _, n := range []int{2, 3, 8} {
		cpu.SetThreads(n)
		r := run()
		if !same32(r.l2, first.l2) || !same32(r.l1, first.l1) {
			t.Errorf("%d threads: distances differ from 1 thread", n)
		}
		if !slices.EqualFunc(r.neigh, first.neigh, slices.Equal) {
			t.Errorf("%d threads: neighbours differ from 1 thread", n)
		}
		if !slices.EqualFunc(r.hist, first.hist, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) }) || !same32(r.w, first.w) {
			t.Errorf("%d threads: linear classifier losses or weights differ from 1 thread", n)
		}
	}
}
