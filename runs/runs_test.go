package runs

import (
	"context"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

var (
	sampleOnce sync.Once
	sample     *data.Dataset
	sampleErr  error
)

// tiny is a cut of the bundled sample: n training, 40 validation and 40
// test images.
func tiny(t *testing.T, n int) *data.Dataset {
	t.Helper()
	sampleOnce.Do(func() { sample, sampleErr = data.Load(context.Background(), "sample", data.Options{}) })
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	tr, val := data.HoldOut(data.BalancedSubset(sample.Train, n+40, 1), 40, 1)
	return &data.Dataset{Name: sample.Name, Train: tr, Val: val, Test: data.BalancedSubset(sample.Test, 40, 1)}
}

func TestStatsRoundTripThroughTheProject(t *testing.T) {
	ds := tiny(t, 200)
	for _, norm := range []data.Norm{data.NormMeanImage, data.NormChannelMean, data.NormChannelStd, data.NormPCAWhiten} {
		st, err := data.FitStats(ds.Train, norm, data.StatsOptions{Seed: 1, Components: 8})
		if err != nil {
			t.Fatal(err)
		}
		p := projects.New("p")
		StoreStats(p, st)
		back, err := Stats(p, st.C, st.H, st.W)
		if err != nil {
			t.Fatalf("%s: %v", norm, err)
		}
		if back.Norm != norm || !reflect.DeepEqual(back.Mean, st.Mean) || !reflect.DeepEqual(back.Std, st.Std) ||
			!reflect.DeepEqual(back.Components, st.Components) {
			t.Fatalf("%s: statistics changed on the way through the project", norm)
		}
		for i, l := range st.Eigenvalues {
			if d := math.Abs(float64(back.Eigenvalues[i] - l)); d > 1e-4*math.Abs(float64(l))+1e-6 {
				t.Fatalf("%s: eigenvalue %d = %g, want %g", norm, i, back.Eigenvalues[i], l)
			}
		}
		if _, err := Stats(p, st.C+1, st.H, st.W); err == nil {
			t.Fatalf("%s: statistics of %d channels read for %d", norm, st.C, st.C+1)
		}
		StoreStats(p, nil)
		if p.Preprocess.Mode != projects.PreprocessNone || len(p.Group(projects.GroupPreprocess)) != 0 {
			t.Fatalf("%s: cleared statistics left %v", norm, p.TensorNames())
		}
	}
}

func TestStoreKeepsDefaultsOutOfTheProject(t *testing.T) {
	p := projects.New("p")
	s := SettingsOf(p)
	if s.Train.Init != "default" || s.Train.Gamma != 0.1 || s.Train.Validation != projects.ValidationHoldOut || s.Train.Device != "auto" {
		t.Fatalf("defaults not filled: %+v", s.Train)
	}
	if s.Store(p) {
		t.Fatalf("storing the defaults of a new project changed it: %+v", p.Train)
	}
	s.Train.Gamma, s.Train.Freeze, s.Preprocess = 0.5, []string{"conv1"}, data.NormChannelStd
	if !s.Store(p) || p.Train.Gamma != 0.5 || p.Train.Init != "" || p.Preprocess.Mode != projects.PreprocessChannelMeanStd {
		t.Fatalf("stored %+v, preprocess %+v", p.Train, p.Preprocess)
	}
	if s.Store(p) {
		t.Fatal("storing the same settings again reported a change")
	}
	if got := SettingsOf(p); !reflect.DeepEqual(got.Train, s.Train) || got.Preprocess != s.Preprocess {
		t.Fatalf("read back %+v, want %+v", got, s)
	}
}

// A run recorded checkpoint by checkpoint continues from the project
// exactly: its last checkpoint reads back as the trainer wrote it.
func TestRecordedCheckpointReadsBackForResuming(t *testing.T) {
	ds := tiny(t, 120)
	g, err := models.Graph("linear", []int{ds.Train.C, ds.Train.H, ds.Train.W}, len(ds.Train.Classes))
	if err != nil {
		t.Fatal(err)
	}
	s := Settings{Hyper: projects.Hyper{Optimizer: "momentum", LR: 0.05, Batch: 40, Epochs: 2, Seed: 3, Schedule: "constant"},
		Train: Defaults(projects.TrainSettings{}), Preprocess: data.NormChannelStd}
	pr, err := Prepare(g, ds, s, Options{Device: "cpu"})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := pr.Trainer()
	if err != nil {
		t.Fatal(err)
	}
	p := projects.New("p")
	s.Store(p)
	StoreStats(p, pr.Stats)
	rec := Begin(p, "", s.Hyper, time.Now())
	var last *train.Checkpoint
	tr.Callbacks.Iteration = func(it train.IterationInfo) { rec.Loss(it.Loss) }
	tr.Callbacks.Checkpoint = func(ck *train.Checkpoint) error {
		rec.Checkpoint(ck)
		if ck.Kind == train.KindLast {
			last = ck
		}
		return nil
	}
	res, err := tr.Run(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	rec.Finish(res, nil, time.Now())
	r, err := Newest(p)
	if err != nil || r.ID != rec.ID || r.Status != projects.RunFinished || r.Iterations != 6 || len(r.Epochs) != 2 {
		t.Fatalf("newest run %+v, %v", r, err)
	}
	ck, err := LastCheckpoint(p, r)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != last.Epoch || ck.Iteration != last.Iteration || ck.Seed != last.Seed || ck.BestEpoch != last.BestEpoch ||
		!reflect.DeepEqual(ck.Weights, last.Weights) || !reflect.DeepEqual(ck.Optim, last.Optim) || len(ck.History) != 2 ||
		math.Abs(ck.History[1].ValAcc-last.History[1].ValAcc) > 1e-12 {
		t.Fatalf("checkpoint read back differs: at %s, want %s", ck.Where(), last.Where())
	}
	ws, which, ok := Weights(p, r)
	if !ok || len(ws) != len(last.Weights) || which == "" {
		t.Fatalf("Weights = %d tensors, %q, %v", len(ws), which, ok)
	}
	Continue(p, r, &train.Checkpoint{Iteration: 4}, 5)
	if r.Iterations != 4 || len(r.Losses) != 4 || r.Status != projects.RunRunning || r.Hyper.Epochs != 5 {
		t.Fatalf("continued run: %d iterations, %d losses, %s, %d epochs", r.Iterations, len(r.Losses), r.Status, r.Hyper.Epochs)
	}
}
