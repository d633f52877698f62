package train

import (
	"context"
	"math"
	"runtime"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
)

// trainBits trains model name for a few steps on threads goroutines and
// returns every weight and the run's metrics.
func trainBits(t *testing.T, name string, threads int) (map[string]Tensor, []float64) {
	t.Helper()
	ds := sample(t)
	g, err := models.Graph(name, []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Build(g, nil, cpu.New(), 7, "default")
	if err != nil {
		t.Fatal(err)
	}
	SetThreads(threads)
	tr, err := New(m, ds.Train, ds.Val, Config{Epochs: 1, Batch: 100, Seed: 7, Optimizer: "adam"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := tr.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return hostCopy(m.State()), res.History[0].values()[1:5]
}

func TestTrainingBitsDoNotDependOnThreads(t *testing.T) {
	defer SetThreads(Threads())
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	for _, name := range []string{"ref-cnn", "bn-cnn"} {
		t.Run(name, func(t *testing.T) {
			w1, m1 := trainBits(t, name, 1)
			for _, n := range []int{2, 3, 8} {
				wn, mn := trainBits(t, name, n)
				for i := range m1 {
					if math.Float64bits(m1[i]) != math.Float64bits(mn[i]) {
						t.Errorf("%d threads: metrics %v, 1 thread %v", n, mn, m1)
						break
					}
				}
				weightsEqual(t, w1, wn)
			}
		})
	}
}
