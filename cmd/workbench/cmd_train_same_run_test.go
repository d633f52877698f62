package main

import (
	"context"
	"math"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/trainui"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
	"github.com/workbench-cv/workbench/widgets"
)

// findButton finds the button labelled text in o's widget tree.
func findButton(o fyne.CanvasObject, text string) *widget.Button {
	if b, ok := o.(*widget.Button); ok && b.Text == text {
		return b
	}
	var kids []fyne.CanvasObject
	switch v := o.(type) {
	case *fyne.Container:
		kids = v.Objects
	case fyne.Widget:
		kids = test.WidgetRenderer(v).Objects()
	}
	for _, k := range kids {
		if b := findButton(k, text); b != nil {
			return b
		}
	}
	return nil
}

// sameRunProject is a project as the editor leaves it: ref-cnn for the
// sample with a validation split, settings chosen, never trained.
func sameRunProject(t *testing.T) *projects.Project {
	t.Helper()
	p := projects.New("same")
	g, err := models.Graph("ref-cnn", []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	p.Graph = g
	p.Dataset = projects.DatasetRef{Spec: "sample", LimitTrain: 240, LimitTest: 60, Val: 60, C: 1, H: 28, W: 28}
	p.Hyper = projects.Hyper{Optimizer: "momentum", LR: 0.05, Momentum: 0.9, WeightDecay: 1e-4, Schedule: "cosine",
		Warmup: 1, Batch: 40, Epochs: 2, Augment: []string{"flip", "crop:2"}, Seed: 7}
	p.Train = projects.TrainSettings{Device: "cpu", Gamma: 0.5, MinLR: 0.001, ClipNorm: 5, LabelSmoothing: 0.05}
	p.Preprocess.Mode = projects.PreprocessChannelMeanStd
	return p
}

// withoutTimes clears what measures time: the run's start and end, and
// each epoch's seconds and images per second.
func withoutTimes(r projects.Run) projects.Run {
	r.Started, r.Finished = time.Time{}, time.Time{}
	// Layer statistics are what the pane's Layers tab sampled while it
	// trained (the command samples none); they do not change the run.
	r.Layers, r.LayersAt = nil, 0
	r.Epochs = append([]projects.EpochMetrics(nil), r.Epochs...)
	for i := range r.Epochs {
		r.Epochs[i].Seconds, r.Epochs[i].ImagesPerSec = 0, 0
	}
	return r
}

// TestCommandAndTrainPaneRecordTheSameRun trains one project's settings
// twice, with `workbench train --project` and with the Train pane's Start
// button (same seed, settings and threads), and finds the same weights,
// optimizer state, settings, statistics and history in both projects,
// timestamps aside.
func TestCommandAndTrainPaneRecordTheSameRun(t *testing.T) {
	dir := t.TempDir()
	base, viaCLI := filepath.Join(dir, "base.wbproj"), filepath.Join(dir, "cli.wbproj")
	if err := projects.Save(sameRunProject(t), base); err != nil {
		t.Fatal(err)
	}
	code, _, errs := call(t, "train", "--project", base, "--save", viaCLI, "--seed", "7", "--threads", "1",
		"--device", "cpu", "--checkpoint-seconds", "0", "--json")
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	cli, err := projects.Open(viaCLI)
	if err != nil {
		t.Fatal(err)
	}

	// The pane, on the same file, with the dataset loaded as the app loads it.
	gui, err := projects.Open(base)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := data.Load(context.Background(), "sample", ui.LoadOptions(ui.NewState(gui, ""), "sample", 0))
	if err != nil {
		t.Fatal(err)
	}
	test.NewTempApp(t)
	t.Cleanup(func() { // before the app goes: the pane's jobs touch its widgets
		if !widgets.WaitBackground(2 * time.Minute) {
			t.Errorf("the Train pane's jobs still run 2 minutes after the test")
		}
	})
	old := train.Threads()
	train.SetThreads(1)
	defer train.SetThreads(old)
	s := ui.NewState(gui, "")
	s.Dataset = ds
	pane := trainui.New(s)
	w := test.NewTempWindow(t, pane)
	w.Resize(fyne.NewSize(1280, 800))
	start := findButton(pane, "Start")
	if start == nil || start.Disabled() {
		t.Fatalf("no enabled Start button (%v)", start)
	}
	test.Tap(start)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var status string
		fyne.DoAndWait(func() {
			if len(gui.Runs) == 1 {
				status = gui.Runs[0].Status
			}
		})
		if status != projects.RunRunning && status != "" && !start.Disabled() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the pane's run did not finish (status %q)", status)
		}
		time.Sleep(20 * time.Millisecond)
	}

	if len(cli.Runs) != 1 || len(gui.Runs) != 1 {
		t.Fatalf("%d runs by the command, %d by the pane", len(cli.Runs), len(gui.Runs))
	}
	rc, rg := withoutTimes(cli.Runs[0]), withoutTimes(gui.Runs[0])
	if rc.Status != projects.RunFinished || !rc.Tested || len(rc.Epochs) != 2 || rc.Iterations != 12 {
		t.Fatalf("the command's run: %+v", rc)
	}
	if !reflect.DeepEqual(rc, rg) {
		t.Fatalf("the runs differ:\ncommand %+v\npane    %+v", rc, rg)
	}
	if !reflect.DeepEqual(cli.Hyper, gui.Hyper) || !reflect.DeepEqual(cli.Train, gui.Train) || cli.Preprocess != gui.Preprocess {
		t.Fatalf("settings differ:\ncommand %+v %+v %+v\npane    %+v %+v %+v", cli.Hyper, cli.Train, cli.Preprocess,
			gui.Hyper, gui.Train, gui.Preprocess)
	}
	for _, group := range []string{projects.GroupWeights, projects.GroupOptim, projects.GroupPreprocess,
		projects.RunGroup(rc.ID, train.KindBest) + "/" + projects.GroupWeights} {
		sameTensors(t, group, cli.Group(group), gui.Group(group))
	}
	ckc, err := runs.LastCheckpoint(cli, &cli.Runs[0])
	if err != nil {
		t.Fatal(err)
	}
	ckg, err := runs.LastCheckpoint(gui, &gui.Runs[0])
	if err != nil {
		t.Fatal(err)
	}
	for i := range ckc.History {
		for _, e := range []*train.EpochMetrics{&ckc.History[i], &ckg.History[i]} {
			e.Seconds, e.ImagesPerSec = 0, 0
		}
	}
	if !reflect.DeepEqual(ckc, ckg) || math.IsNaN(ckc.LossSum) {
		t.Fatalf("last checkpoints differ: command at %s, pane at %s", ckc.Where(), ckg.Where())
	}
}
