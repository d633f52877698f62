package data_test

import (
	"context"
	"fmt"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/augment"
)

// Load the embedded sample, normalise with training statistics, augment,
// and read one epoch of batches.
func Example() {
	ctx := context.Background()
	ds, err := data.Load(ctx, "sample", data.Options{LimitTrain: 1000, Val: 200, Seed: 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	stats, _ := data.FitStats(ds.Train, data.NormChannelStd, data.StatsOptions{})
	pipe, _ := augment.Parse("flip,crop")
	loader, _ := data.NewLoader(data.LoaderConfig{Set: ds.Train, BatchSize: 64, Shuffle: true,
		Seed: 1, Stats: stats, Augment: pipe})
	it := loader.Epoch(ctx, 0)
	defer it.Close()
	images := 0
	for it.Next() {
		images += it.Batch().N
	}
	fmt.Println(ds.Train.Len(), ds.Val.Len(), ds.Test.Len(), ds.Train.Classes[9])
	fmt.Println(loader.NumBatches(), "batches,", images, "images")
	// Output:
	// 1000 200 1000 Ankle boot
	// 16 batches, 1000 images
}

// Stratified folds for cross-validation.
func ExampleFolds() {
	ds, _ := data.Load(context.Background(), "sample", data.Options{LimitTrain: 500})
	folds := data.Folds(ds.Train, 5, 1)
	train, val := data.FoldSplit(ds.Train, folds, 0)
	fmt.Println(len(folds), train.Len(), val.Len(), val.ClassCounts())
	// Output: 5 400 100 [10 10 10 10 10 10 10 10 10 10]
}
