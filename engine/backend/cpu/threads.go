package cpu

import (
	"github.com/workbench-cv/workbench/engine/blas"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// SetThreads sets how many CPU threads the engine uses, for its own loops and
// for matrix products (--threads). n <= 0 means all cores.
func SetThreads(n int) {
	blas.SetThreads(n)
	if n <= 0 {
		n = blas.Threads()
	}
	parallel.SetThreads(n)
}

// Threads reports the CPU thread budget.
func Threads() int { return parallel.Threads() }
