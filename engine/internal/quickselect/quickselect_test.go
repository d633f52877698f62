package quickselect

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestNthMatchesSortAndMovesTheParallelSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 7, 100, 1001} {
		keys := make([]float64, n)
		for i := range keys {
			keys[i] = float64(rng.IntN(n/2 + 1)) // repeats
		}
		sorted := slices.Clone(keys)
		slices.Sort(sorted)
		for _, k := range []int{0, n / 2, n - 1} {
			ks := slices.Clone(keys)
			items := make([]int, n)
			for i := range items {
				items[i] = i
			}
			got := Nth(ks, k, func(i, j int) { items[i], items[j] = items[j], items[i] })
			if got != sorted[k] || ks[k] != got {
				t.Fatalf("n %d k %d: got %v (keys[k] %v), want %v", n, k, got, ks[k], sorted[k])
			}
			for i, v := range ks {
				if (i < k && v > got) || (i > k && v < got) {
					t.Fatalf("n %d k %d: keys[%d] = %v is on the wrong side of %v", n, k, i, v, got)
				}
				if keys[items[i]] != v {
					t.Fatalf("n %d k %d: items[%d] = %d no longer follows its key", n, k, i, items[i])
				}
			}
		}
	}
}
