package inspect

import (
	"context"
	"math"
	"runtime"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
)

// TestTSNEBitsDoNotDependOnTheEngineThreads: t-SNE with the engine's
// thread setting (--threads) at 1, 2, 3 and 8 gives the same layout and
// KL bit for bit, exact and Barnes-Hut, with the PCA start and the
// neighbour search (both matrix products on the engine's threads).
func TestTSNEBitsDoNotDependOnTheEngineThreads(t *testing.T) {
	defer cpu.SetThreads(cpu.Threads())
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	x, _ := clusters(300, 40, 4, 7)
	for _, method := range []string{TSNEExact, TSNEBarnesHut} {
		var first *TSNEResult
		for _, n := range []int{1, 2, 3, 8} {
			cpu.SetThreads(n)
			r, err := TSNE(context.Background(), x, 300, 40, TSNEOptions{Method: method, Perplexity: 20, Iterations: 150, Seed: 4})
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = r
				continue
			}
			if math.Float64bits(r.KL) != math.Float64bits(first.KL) {
				t.Errorf("%s on %d threads: KL %v, on 1 thread %v", method, n, r.KL, first.KL)
			}
			for i, v := range r.Layout {
				if math.Float64bits(v) != math.Float64bits(first.Layout[i]) {
					t.Fatalf("%s on %d threads: layout[%d] = %v, on 1 thread %v", method, n, i, v, first.Layout[i])
				}
			}
		}
	}
}
