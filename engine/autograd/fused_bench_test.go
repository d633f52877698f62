package autograd_test

import (
	"fmt"
	"math"
	"syscall"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// BenchmarkResidualBackward times the forward and backward pass of one
// residual sum at ResNet-50's first stage at batch 16 (both inputs
// intermediates, the block input also feeding the branch), on one and two
// threads: go test -run xxx -bench ResidualBackward ./engine/autograd
func BenchmarkResidualBackward(b *testing.B) {
	shape := []int{16, 256, 56, 56}
	x := autograd.Param(tensor.Full(be, 0.5, shape...), "x")
	ones := tensor.Full(be, 1, shape...)
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads=%d", th), func(b *testing.B) {
			defer parallel.SetThreads(parallel.Threads())
			parallel.SetThreads(th)
			c0 := cpuSeconds()
			for b.Loop() {
				h := autograd.Scale(x, 1)
				out := autograd.AddReLU(autograd.Scale(h, 0.5), h)
				out.BackwardWith(ones)
				autograd.Release(out)
				x.ZeroGrad()
			}
			b.ReportMetric((cpuSeconds()-c0)*1e3/float64(b.N), "cpu-ms/op")
		})
	}
}

// cpuSeconds is the processor time of the process so far (user + system).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
