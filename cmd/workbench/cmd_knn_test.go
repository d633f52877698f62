package main

import (
	"context"
	"strconv"
	"testing"

	"github.com/workbench-cv/workbench/engine/classic"
	"github.com/workbench-cv/workbench/engine/data"
)

// The command reports what the engine's k-NN recipe finds for the same
// data, folds and seed.
func TestKNNCommandReportsTheRecipe(t *testing.T) {
	code, out, errs := call(t, "knn", "--data", "sample", "--limit-train", "300", "--limit-test", "60", "--seed", "3",
		"--k", "1,3,7", "--folds", "3", "--json")
	if code != 0 {
		t.Fatalf("knn: exit %d: %s", code, errs)
	}
	got := lastJSON(t, out)
	ds, err := data.Load(context.Background(), "sample", data.Options{LimitTrain: 300, LimitTest: 60, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	want, err := classic.KNN(context.Background(), ds.Train, ds.Test, classic.KNNConfig{Ks: []int{1, 3, 7}, Metric: classic.L2, Folds: 3, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if got["best_k"] != float64(want.Best.K) || got["test_acc"] != want.TestAcc {
		t.Fatalf("command: best k %v, test %v; recipe: %d, %v", got["best_k"], got["test_acc"], want.Best.K, want.TestAcc)
	}
	cv := got["cv"].(map[string]any)
	for _, r := range want.CV {
		if m := cv[strconv.Itoa(r.K)].(map[string]any); m["mean"] != r.Mean {
			t.Fatalf("k=%d: command mean %v, recipe %v", r.K, m["mean"], r.Mean)
		}
	}
	if code, _, errs := call(t, "knn", "--data", "sample", "--limit-train", "10", "--folds", "11"); code != 2 {
		t.Fatalf("more folds than images: exit %d (%s)", code, errs)
	}
}
