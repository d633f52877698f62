package bench

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/workbench-cv/workbench/engine/backend"
)

// runGemmDevice is the gemm workload on a non-CPU backend: the matrices
// live on the device, each timed call is one Gemm kernel followed by a
// wait for the device, and C is read back once to check it.
func runGemmDevice(ctx context.Context, o Options) (Result, error) {
	b, err := openDevice(o.Device)
	if err != nil {
		return Result{}, err
	}
	sizes := o.Sizes
	if len(sizes) == 0 {
		sizes = gemmSizes
	}
	var rows []gemmRow
	for _, n := range sizes {
		rng := rand.New(rand.NewPCG(uint64(o.Seed), uint64(n)))
		a, bb := make([]float32, n*n), make([]float32, n*n)
		for i := range a {
			a[i], bb[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
		}
		da, db, dc := b.Alloc(n*n), b.Alloc(n*n), b.Alloc(n*n)
		b.Write(da, 0, a)
		b.Write(db, 0, bb)
		t, err := o.Measure(ctx, func() {
			b.Gemm(false, false, n, n, n, 1, da, 0, n, db, 0, n, 0, dc, 0, n)
			syncDevice(b)
		})
		if err != nil {
			return Result{}, err
		}
		c := make([]float32, n*n)
		b.Read(dc, 0, c)
		if err := checkProduct(rng, n, a, bb, c); err != nil {
			return Result{}, fmt.Errorf("gemm on %s at n=%d: %v", b.Describe(), n, err)
		}
		for _, x := range []backend.Buffer{da, db, dc} {
			b.Free(x)
		}
		flops := 2 * float64(n) * float64(n) * float64(n)
		rows = append(rows, gemmRow{N: n, GFLOPS: flops / t.Best / 1e9, MedianGFLOPS: flops / t.Median / 1e9, Calls: t.Calls})
		o.Logf("ours gemm %d (%s): %.1f GFLOPS", n, b.Describe(), rows[len(rows)-1].GFLOPS)
	}
	return Result{Value: rows[len(rows)-1].GFLOPS, Fields: map[string]any{"sizes": rows, "impl": b.Name(), "renderer": b.Describe()}}, nil
}
