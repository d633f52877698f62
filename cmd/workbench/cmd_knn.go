package main

import (
	"flag"
	"strconv"
	"strings"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/classic"
	"github.com/workbench-cv/workbench/engine/data"
)

func init() {
	register(Command{
		Name:    "knn",
		Summary: "k-nearest-neighbour classifier on raw pixels, with cross-validation over k",
		Usage: `workbench knn --data D [--k LIST] [--metric l1|l2] [--folds F] [flags]

Cross-validates k over the training split (F folds, class-balanced, seeded),
picks the best k (ties: the smaller k), then classifies the test split with
all the training images. Votes are majority votes; a tie between classes
goes to the smallest class index (the course's rule). L2 distances are
computed fully vectorised as sqrt(|a|²+|b|²-2ab) through one matrix product.

Example (the course's setting, CIFAR-10 5,000 train / 500 test):
  workbench knn --data cifar10 --limit-train 5000 --limit-test 500`,
		Flags: func(fs *flag.FlagSet) {
			addDataFlags(fs)
			fs.String("k", "1,3,5,8,10,12,15,20,50,100", "comma-separated values of k to cross-validate")
			fs.String("metric", "l2", "distance: l1 or l2")
			fs.Int("folds", 5, "cross-validation folds (1: no cross-validation, use the first k)")
		},
		Run: runKNN,
	})
}

func parseIntList(s, flagName string) ([]int, error) {
	var out []int
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 {
			return nil, usageErrorf("--%s %q: want positive whole numbers separated by commas, e.g. 1,3,5", flagName, s)
		}
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil, usageErrorf("--%s is empty: give at least one value", flagName)
	}
	return out, nil
}

func runKNN(c *Ctx) error {
	cpu.SetThreads(c.Threads)
	ks, err := parseIntList(c.Flags.Lookup("k").Value.String(), "k")
	if err != nil {
		return err
	}
	metric := classic.Metric(c.Flags.Lookup("metric").Value.String())
	if metric != classic.L1 && metric != classic.L2 {
		return usageErrorf("--metric %q: use l1 or l2", metric)
	}
	folds, _ := strconv.Atoi(c.Flags.Lookup("folds").Value.String())
	if folds < 1 {
		return usageErrorf("--folds %d: use 1 or more", folds)
	}
	ds, err := loadData(c, 0)
	if err != nil {
		return err
	}
	if ds.Train.Len() == 0 || ds.Test.Len() == 0 {
		return usageErrorf("dataset %s needs both training and test images for kNN", ds.Name)
	}
	if folds > 1 && folds > ds.Train.Len() {
		return usageErrorf("--folds %d is more than the %d training images", folds, ds.Train.Len())
	}
	var bar *Progress
	res, err := classic.KNN(c.Context, ds.Train, ds.Test, classic.KNNConfig{Ks: ks, Metric: metric, Folds: folds, Seed: c.Seed,
		Progress: func(stage string, done, total int) {
			if bar == nil {
				bar = c.Progress(map[string]string{"cv": "cross-validating", "test": "classifying the test set"}[stage], total)
			}
			bar.Set(done)
			if done == total {
				bar.Finish()
				bar = nil
			}
		}})
	if bar != nil {
		bar.Finish()
	}
	if err != nil {
		return err
	}
	cv := map[string]any{}
	for _, r := range res.CV {
		cv[strconv.Itoa(r.K)] = map[string]any{"mean": r.Mean, "std": r.Std, "folds": r.Folds}
		c.Emit("cv", map[string]any{"k": r.K, "mean": r.Mean, "std": r.Std})
	}
	perK := map[string]any{}
	for k, a := range res.TestAccByK {
		perK[strconv.Itoa(k)] = a
	}
	c.Done(map[string]any{"best_k": res.Best.K, "cv": cv, "test_acc": res.TestAcc, "test_acc_by_k": perK,
		"metric": string(metric), "train": ds.Train.Len(), "test": ds.Test.Len()})
	return nil
}

// loadData loads --data with the shared data flags; valDefault applies when
// --val was not given.
func loadData(c *Ctx, valDefault int) (*data.Dataset, error) {
	df := dataFlagsOf(c)
	if !flagSet(c, "val") && valDefault > 0 {
		*df.val = valDefault
	}
	return df.load(c)
}

// flagSet reports whether the flag was given on the command line.
func flagSet(c *Ctx, name string) bool {
	set := false
	c.Flags.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}
