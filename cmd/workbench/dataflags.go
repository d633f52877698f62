package main

import (
	"errors"
	"flag"
	"fmt"
	"sync"

	"github.com/workbench-cv/workbench/engine/data"
)

// dataFlags are the dataset flags shared by the commands that read data
// (data, train, eval, knn, linear, tsne): --data, --limit-train,
// --limit-test, --val, --size and --channels, and the reader limits
// --max-image-pixels, --max-entry-bytes and --max-array-bytes.
type dataFlags struct {
	spec                       *string
	limitTrain, limitTest, val *int
	size, channels             *int
	limits                     data.Limits
}

// quantityValue is a flag holding a count such as 64M or 4GiB (0: the
// default).
type quantityValue struct{ v *int64 }

func (q quantityValue) String() string {
	if q.v == nil {
		return "0"
	}
	return fmt.Sprint(*q.v)
}
func (q quantityValue) Get() any { return *q.v }
func (q quantityValue) Set(s string) error {
	n, err := data.ParseQuantity(s)
	if err != nil {
		return err
	}
	*q.v = n
	return nil
}

// addDataFlags declares the dataset flags on fs. Use the result's load in
// Run, or dataFlagsOf(c) when the result was not kept.
func addDataFlags(fs *flag.FlagSet) *dataFlags {
	d := &dataFlags{
		spec:       fs.String("data", data.SpecSample, "dataset: sample, fashion-mnist, mnist, cifar10, or a path (folder or .zip of class folders, IDX folder, CIFAR-10 binary folder, .npz)"),
		limitTrain: fs.Int("limit-train", 0, "keep a class-balanced subset of this many training images (seeded; 0: all)"),
		limitTest:  fs.Int("limit-test", 0, "keep a class-balanced subset of this many test images (seeded; 0: all)"),
		val:        fs.Int("val", 0, "hold this many class-balanced training images out for validation"),
		size:       fs.Int("size", 0, "resize every image to cover NxN and crop the centre (needed for images of mixed sizes; 0: keep)"),
		channels:   fs.Int("channels", 0, "convert images to 1 (grey) or 3 (RGB) channels (0: keep)"),
	}
	fs.Var(quantityValue{&d.limits.MaxImagePixels}, data.FlagMaxImagePixels, fmt.Sprintf("refuse images of more than `N` pixels, e.g. 200M (0: $%s or %d)", data.EnvMaxImagePixels, data.DefaultMaxImagePixels))
	fs.Var(quantityValue{&d.limits.MaxEntryBytes}, data.FlagMaxEntryBytes, fmt.Sprintf("refuse image files or zip entries of more than `N` bytes, e.g. 1GiB (0: $%s or 256MiB)", data.EnvMaxEntryBytes))
	fs.Var(quantityValue{&d.limits.MaxArrayBytes}, data.FlagMaxArrayBytes, fmt.Sprintf("refuse .npy/.npz/IDX arrays of more than `N` bytes, e.g. 8GiB (0: $%s or 2GiB)", data.EnvMaxArrayBytes))
	return d
}

// dataFlagsOf rebuilds the dataset flags from c's parsed flags (for a
// command that declared them with addDataFlags without keeping the result).
func dataFlagsOf(c *Ctx) *dataFlags {
	str := func(name, def string) *string {
		if f := c.Flags.Lookup(name); f != nil {
			v := f.Value.String()
			return &v
		}
		return &def
	}
	num := func(name string) *int {
		v := 0
		if f := c.Flags.Lookup(name); f != nil {
			if g, ok := f.Value.(flag.Getter); ok {
				if n, ok := g.Get().(int); ok {
					v = n
				}
			}
		}
		return &v
	}
	quantity := func(name string) int64 {
		if f := c.Flags.Lookup(name); f != nil {
			if g, ok := f.Value.(flag.Getter); ok {
				if n, ok := g.Get().(int64); ok {
					return n
				}
			}
		}
		return 0
	}
	return &dataFlags{spec: str("data", data.SpecSample), limitTrain: num("limit-train"), limitTest: num("limit-test"),
		val: num("val"), size: num("size"), channels: num("channels"),
		limits: data.Limits{MaxImagePixels: quantity(data.FlagMaxImagePixels), MaxEntryBytes: quantity(data.FlagMaxEntryBytes),
			MaxArrayBytes: quantity(data.FlagMaxArrayBytes)}}
}

// Spec is the dataset named by --data.
func (d *dataFlags) Spec() string {
	if d.spec == nil || *d.spec == "" {
		return data.SpecSample
	}
	return *d.spec
}

// options turns the flags into loading options under c's seed and threads.
func (d *dataFlags) options(c *Ctx) (data.Options, error) {
	for name, v := range map[string]int{"limit-train": *d.limitTrain, "limit-test": *d.limitTest, "val": *d.val, "size": *d.size} {
		if v < 0 {
			return data.Options{}, usageErrorf("--%s %d must not be negative", name, v)
		}
	}
	if ch := *d.channels; ch != 0 && ch != 1 && ch != 3 {
		return data.Options{}, usageErrorf("--channels %d: use 1 (grey) or 3 (RGB)", ch)
	}
	return data.Options{LimitTrain: *d.limitTrain, LimitTest: *d.limitTest, Val: *d.val,
		Size: *d.size, Channels: *d.channels, Seed: c.Seed, Threads: c.Threads, Limits: d.limits}, nil
}

// load loads --data with a progress bar. Bad input becomes a usage error
// (exit 2); notes and skipped images are reported on stderr.
func (d *dataFlags) load(c *Ctx) (*data.Dataset, error) {
	return d.loadSpec(c, d.Spec())
}

// loadSpec is load for an explicit dataset spec (such as data's positional
// argument).
func (d *dataFlags) loadSpec(c *Ctx, spec string) (*data.Dataset, error) {
	opt, err := d.options(c)
	if err != nil {
		return nil, err
	}
	var (
		mu  sync.Mutex
		bar *Progress
	)
	opt.Progress = func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if bar == nil {
			bar = c.Progress("loading "+spec, total)
		}
		bar.Set(done)
	}
	ds, err := data.Load(c.Context, spec, opt)
	mu.Lock()
	if bar != nil {
		bar.Finish()
	}
	mu.Unlock()
	if err != nil {
		if errors.Is(err, data.ErrBadInput) {
			return nil, usageErrorf("%v", err)
		}
		return nil, err
	}
	for _, n := range ds.Notes {
		c.Notef("note: %s", n)
	}
	if k := len(ds.Skipped); k > 0 {
		c.Logf("skipped %d unreadable images (first: %s); 'workbench data %s --list-skipped' lists them", k, ds.Skipped[0], spec)
	}
	return ds, nil
}
