package main

import (
	"flag"
	"time"

	"github.com/workbench-cv/workbench/engine/data"
)

func init() {
	register(Command{
		Name:    "data",
		Summary: "load a dataset and describe it: split counts, classes, shape, format",
		Usage: `workbench data D [--limit-train N] [--limit-test N] [--val N] [--size N] [--channels 1|3] [--list-skipped] [flags]

Loads dataset D and reports its splits, classes, image shape and format.
D is sample (embedded in the binary), fashion-mnist, mnist, cifar10 (looked
up in $WORKBENCH_DATA, then in standard places), or a path whose format is
detected: a folder or .zip of class folders of PNG/JPEG images (optionally
under train/ and test/), a folder of IDX files (*-idx3-ubyte[.gz]), a
CIFAR-10 binary folder (data_batch_*.bin, test_batch.bin), or an .npz with
x_train y_train x_test y_test. Sources without a test split get 10% of the
training images held out (class-balanced, fixed seed).

Examples:
  workbench data sample
  workbench data cifar10 --limit-train 5000 --limit-test 500 --val 1000
  workbench data ./photos.zip --size 64 --json`,
		Flags: func(fs *flag.FlagSet) {
			addDataFlags(fs)
			fs.Bool("list-skipped", false, "list every unreadable image that was skipped")
		},
		Run: runData,
	})
}

func runData(c *Ctx) error {
	df := dataFlagsOf(c)
	spec := df.Spec()
	switch len(c.Args) {
	case 0:
	case 1:
		if flagSet(c, "data") && spec != c.Args[0] {
			return usageErrorf("two datasets given: %q and --data %q; name one (workbench data D)", c.Args[0], spec)
		}
		spec = c.Args[0]
	default:
		return usageErrorf("data takes one dataset, got %d arguments; quote paths with spaces", len(c.Args))
	}
	start := time.Now()
	ds, err := df.loadSpec(c, spec)
	if err != nil {
		return err
	}
	seconds := time.Since(start).Seconds()
	if f := c.Flags.Lookup("list-skipped"); f != nil && f.Value.String() == "true" {
		for _, s := range ds.Skipped {
			c.Emit("skipped", map[string]any{"file": s})
		}
	}
	tr := ds.Train
	var perClass []map[string]any
	trc, vac, tec := tr.ClassCounts(), ds.Val.ClassCounts(), ds.Test.ClassCounts()
	for i, name := range tr.Classes {
		perClass = append(perClass, map[string]any{"name": name, "label": i, "train": trc[i], "val": vac[i], "test": tec[i]})
	}
	stats, err := data.FitStats(tr, data.NormChannelStd, data.StatsOptions{})
	if err != nil {
		return err
	}
	fields := map[string]any{
		"name":      ds.Name,
		"format":    ds.Format,
		"train":     tr.Len(),
		"val":       ds.Val.Len(),
		"test":      ds.Test.Len(),
		"classes":   tr.Classes,
		"shape":     []int{tr.C, tr.H, tr.W},
		"skipped":   len(ds.Skipped),
		"per_class": perClass,
		"mean":      stats.Mean,
		"std":       stats.Std,
		"seconds":   seconds,
	}
	if len(ds.Notes) > 0 {
		fields["notes"] = ds.Notes
	}
	c.Done(fields)
	return nil
}
