package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/workbench-cv/workbench/engine/classic"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/npy"
)

// The knn workload: the L2 distance matrix between 500 test and 5,000
// training CIFAR-10 images (3,072 values each), ours (one GEMM plus norms)
// against NumPy's vectorised expression, in seconds per matrix. Both sides
// read the same pixels: our side loads the class-balanced subsets and
// writes them as .npy files that the peer loads (synthetic 0-255 pixels
// when CIFAR-10 is not installed; the done event says which).
func init() {
	Register(Workload{
		Name:    "knn",
		Summary: "L2 distance matrix, CIFAR-10 5,000 train x 500 test",
		Unit:    "seconds",
		Ours:    runKNN,
		Peers:   []Peer{{Name: "numpy", Script: "knn_numpy.py", Modules: []string{"numpy"}}},
	})
}

const knnTrain, knnTest = 5000, 500

// knnFiles are where our side leaves the matrices for the peer.
func knnFiles(seed int64) (train, test string) {
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("workbench-bench-knn-%d", seed))
	return filepath.Join(dir, "train.npy"), filepath.Join(dir, "test.npy")
}

func knnData(ctx context.Context, o Options) (train, test *classic.Matrix, source string) {
	ds, err := data.Load(ctx, "cifar10", data.Options{LimitTrain: knnTrain, LimitTest: knnTest, Seed: o.Seed})
	if err == nil && ds.Train.Len() == knnTrain && ds.Test.Len() == knnTest && ds.Train.Size() == 3072 {
		return classic.Pixels(ds.Train), classic.Pixels(ds.Test), "cifar10"
	}
	o.Logf("knn: CIFAR-10 not available (%v); using synthetic 0-255 pixels of the same shape", err)
	rng := rand.New(rand.NewPCG(uint64(o.Seed), 3))
	mk := func(n int) *classic.Matrix {
		m := &classic.Matrix{Rows: n, Cols: 3072, Data: make([]float32, n*3072)}
		for i := range m.Data {
			m.Data[i] = float32(rng.IntN(256))
		}
		return m
	}
	return mk(knnTrain), mk(knnTest), "synthetic"
}

func writeMatrix(path string, m *classic.Matrix) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := npy.Write(f, npy.FromFloat32([]int{m.Rows, m.Cols}, m.Data)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func runKNN(ctx context.Context, o Options) (Result, error) {
	tr, te, source := knnData(ctx, o)
	trPath, tePath := knnFiles(o.Seed)
	if err := writeMatrix(trPath, tr); err != nil {
		return Result{}, fmt.Errorf("knn: writing the shared matrices: %w", err)
	}
	if err := writeMatrix(tePath, te); err != nil {
		return Result{}, fmt.Errorf("knn: writing the shared matrices: %w", err)
	}
	t, err := o.Measure(ctx, func() {
		if _, err := classic.Distances(tr, te, classic.L2); err != nil {
			panic(err)
		}
	})
	if err != nil {
		return Result{}, err
	}
	// The course's two-loop version, once (it takes seconds).
	start := time.Now()
	classic.DistancesTwoLoops(tr, te)
	two := time.Since(start).Seconds()
	o.Logf("knn: ours %.4f s per matrix, two loops %.2f s", t.Best, two)
	return Result{Value: t.Best, Fields: map[string]any{"median": t.Median, "two_loop_seconds": two,
		"speedup_vs_two_loops": two / t.Best, "data": source, "train_npy": trPath, "test_npy": tePath}}, nil
}
