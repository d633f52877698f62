package classic

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkDistancesL2 is the knn workload's kernel: 500 x 5,000 images of
// 3,072 values.
func BenchmarkDistancesL2(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	mk := func(n int) *Matrix {
		m := &Matrix{Rows: n, Cols: 3072, Data: make([]float32, n*3072)}
		for i := range m.Data {
			m.Data[i] = float32(rng.IntN(256))
		}
		return m
	}
	tr, te := mk(5000), mk(500)
	b.ResetTimer()
	for range b.N {
		if _, err := Distances(tr, te, L2); err != nil {
			b.Fatal(err)
		}
	}
}
