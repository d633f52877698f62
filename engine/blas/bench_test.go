package blas

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkSgemm reports GFLOPS of square products for the native Sgemm
// and for every Go micro-kernel, at Threads() threads.
func BenchmarkSgemm(b *testing.B) {
	for _, n := range []int{64, 256, 1024} {
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		x := matrix(rng, n, n, n, 0)
		y := matrix(rng, n, n, n, 0)
		z := make([]float32, n*n)
		run := func(name string, fn func()) {
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				for b.Loop() {
					fn()
				}
				b.ReportMetric(2*float64(n)*float64(n)*float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOPS")
			})
		}
		run(Impl(), func() { Sgemm(false, false, n, n, n, 1, x, n, y, n, 0, z, n) })
		for _, kr := range kernels() {
			run("go-"+kr.name, func() { gemmGo(kr, Threads(), false, false, n, n, n, 1, x, n, y, n, 0, z, n) })
		}
	}
}
