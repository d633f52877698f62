package ui

import (
	"context"
	"path/filepath"
	"slices"
	"strings"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
)

// DataChoices are the named datasets of the Data pane's chooser, in the
// order shown.
var DataChoices = []struct{ Spec, Title string }{
	{data.SpecSample, "Bundled sample"},
	{data.SpecFashionMNIST, "Fashion-MNIST"},
	{data.SpecMNIST, "MNIST"},
	{data.SpecCIFAR10, "CIFAR-10"},
}

// DatasetTitle is how a dataset spec is named to people.
func DatasetTitle(spec string) string {
	for _, c := range DataChoices {
		if strings.EqualFold(c.Spec, spec) {
			return c.Title
		}
	}
	if spec == "" {
		return "no dataset"
	}
	return filepath.Base(filepath.Clean(spec))
}

// SizeSetting is the Inspect number holding the side every image of a
// folder or zip dataset is resized to (chosen when its sizes were mixed).
const SizeSetting = "data.size"

// LoadOptions are the project's cut of its dataset; size > 0 resizes every
// image to size×size (0: the size the project recorded for spec, if any).
func LoadOptions(s *State, spec string, size int) data.Options {
	ref := s.Project.Dataset
	opt := data.Options{LimitTrain: ref.LimitTrain, LimitTest: ref.LimitTest, Val: ref.Val, Seed: s.Project.Hyper.Seed}
	if size > 0 {
		opt.Size = size
	} else if v := s.Project.Inspect.Numbers[SizeSetting]; v > 0 && spec == ref.Spec {
		opt.Size = int(v)
	}
	return opt
}

// LoadDataset is the one way a pane loads a dataset: it reads spec on
// job's goroutine with progress and Cancel and, when that succeeds, makes
// it the project's dataset for every pane (UseDataset). done, when not
// nil, runs afterwards on the UI goroutine with the load's error
// (context.Canceled after Cancel; check with widgets.Cancelled). The error
// returned is the job bar's refusal to start (another job runs).
func LoadDataset(s *State, job *widgets.JobBar, spec string, size int, done func(err error)) error {
	opt := LoadOptions(s, spec, size)
	proj := s.Project
	var ds *data.Dataset
	return job.Start("Loading "+DatasetTitle(spec)+"…", func(ctx context.Context, progress widgets.Report) error {
		opt.Progress = func(done, total int) { progress(done, total, "") }
		var err error
		ds, err = data.Load(ctx, spec, opt)
		return err
	}, func(err error) {
		// A project opened meanwhile keeps its own dataset.
		if err == nil && s.Project == proj {
			UseDataset(s, spec, ds, size)
		}
		if done != nil {
			done(err)
		}
	})
}

// UseDataset makes ds, loaded from spec, the project's dataset: the
// project records the spec, the image shape and the classes (and is marked
// edited when they change), and every pane gets the data.
func UseDataset(s *State, spec string, ds *data.Dataset, size int) {
	ref := &s.Project.Dataset
	tr := ds.Train
	// Filling in a shape or classes the project did not know yet records
	// a fact, not an edit; a different dataset, shape or class list is one.
	changed := ref.Spec != spec ||
		ref.C != 0 && (ref.C != tr.C || ref.H != tr.H || ref.W != tr.W) ||
		len(ref.Classes) > 0 && !slices.Equal(ref.Classes, tr.Classes)
	ref.Spec, ref.C, ref.H, ref.W = spec, tr.C, tr.H, tr.W
	ref.Classes = slices.Clone(tr.Classes)
	if size > 0 {
		if s.Project.Inspect.Numbers == nil {
			s.Project.Inspect.Numbers = map[string]float64{}
		}
		if s.Project.Inspect.Numbers[SizeSetting] != float64(size) {
			s.Project.Inspect.Numbers[SizeSetting] = float64(size)
			changed = true
		}
	}
	s.SetDataset(ds)
	if changed {
		s.MarkDirty()
	}
}

// Subset returns n class-balanced images of s (all of them when n covers s).
func Subset(s *data.Set, n int, seed int64) *data.Set {
	if n <= 0 || n >= s.Len() {
		return s
	}
	return data.BalancedSubset(s, n, seed)
}
