package trainui

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/app/internal/panetest"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
	"github.com/workbench-cv/workbench/widgets"
)

// waitFor polls cond for up to a minute (the machine may be busy).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(time.Minute); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestStartTrainsRecordsTheRunAndDrawsLiveCurves(t *testing.T) {
	h, p, _ := newTestPane(t, tinyData(t, 600, 100))
	if p.start.Disabled() {
		t.Fatalf("Start is disabled with a network and a dataset: %q", p.reason.Text)
	}
	p.form.epochs.SetText("2")
	p.form.batch.SetText("32")
	if h.proj.Hyper.Epochs != 2 || h.proj.Hyper.Batch != 32 || h.dirty == 0 {
		t.Fatalf("settings not stored in the project: %+v (dirty %d)", h.proj.Hyper, h.dirty)
	}
	var startOff, advOff, pauseOn bool
	onUI(func() {
		test.Tap(p.start)
		startOff = p.job.Running() && p.start.Disabled()
		advOff = !p.job.Running() || p.adv.method.Disabled() && p.adv.eps.Disabled() && p.adv.ramp.Disabled()
	})
	waitFor(t, "Pause to be enabled", func() bool {
		onUI(func() { pauseOn = !p.pause.Disabled() || !p.job.Running() })
		return pauseOn
	})
	if !startOff {
		t.Fatal("while training, Start should be disabled")
	}
	if !advOff {
		t.Error("while training, the adversarial-training settings should be locked (they are read when a run starts)")
	}
	p.job.Wait()

	if len(h.proj.Runs) != 1 {
		t.Fatalf("%d runs recorded", len(h.proj.Runs))
	}
	r := h.proj.Runs[0]
	if r.Status != projects.RunFinished || len(r.Epochs) != 2 || r.Device != "cpu" {
		t.Fatalf("run %s: status %s, %d epochs, device %q, notes %q", r.ID, r.Status, len(r.Epochs), r.Device, r.Notes)
	}
	// 540 training images (60 held out to validate) in batches of 32.
	perEpoch := (540 + 31) / 32
	if r.Iterations != 2*perEpoch || len(r.Losses) != r.Iterations {
		t.Fatalf("%d iterations and %d losses recorded, want %d", r.Iterations, len(r.Losses), 2*perEpoch)
	}
	if math.IsNaN(r.Epochs[1].ValAcc) || r.Epochs[1].TrainAcc <= 0.1 || !r.Tested || r.TestAcc <= 0.1 {
		t.Fatalf("the run learnt nothing or was not tested: %+v test %v %v", r.Epochs[1], r.Tested, r.TestAcc)
	}
	// The tensors are named as `workbench train --save` names them.
	for _, name := range []string{"weights/conv1.weight", "runs/r1/best/weights/fc2.bias", "runs/r1/last/position", "runs/r1/last/history"} {
		if _, ok := h.proj.Tensors[name]; !ok {
			t.Errorf("no tensor %s in the project (have %v)", name, h.proj.TensorNames())
		}
	}
	if len(h.proj.Group(projects.GroupOptim)) == 0 {
		t.Errorf("no optimizer state in the project")
	}
	if _, err := train.DecodeCheckpoint(train.KindLast, lastCheckpoint(h.proj, "r1")); err != nil {
		t.Errorf("the run's last checkpoint does not decode: %v", err)
	}
	// The curves were drawn live, then from the finished run.
	if p.curves.live < 2 {
		t.Errorf("the live curves were drawn %d times", p.curves.live)
	}
	if p.live != nil || p.curves.shown != "r1" || p.start.Disabled() || p.adv.method.Disabled() {
		t.Errorf("after the run: live %v, shown %q, Start disabled %v, attack setting disabled %v", p.live, p.curves.shown, p.start.Disabled(), p.adv.method.Disabled())
	}
	if len(p.lastLive.layers) == 0 || len(p.lastLive.ratios) == 0 {
		t.Error("no layer statistics were gathered")
	}
	if p.evals["r1"] == nil || len(p.evals["r1"].res.Confusion) != 10 {
		t.Error("the test evaluation is not kept for the Runs tab")
	}
	// The Runs tab lists it.
	if len(p.history.ids) != 1 || p.history.sel != "r1" {
		t.Errorf("run history %v, selected %q", p.history.ids, p.history.sel)
	}
}

// onUI runs fn as the UI goroutine would, between the pane's own UI
// updates (Fyne's test driver runs those on the goroutines that ask).
func onUI(fn func()) {
	widgets.Locked(fn)
}

// lastCheckpoint gathers a run's "last" checkpoint tensors as the command
// does to resume.
func lastCheckpoint(pr *projects.Project, id string) map[string]train.Tensor {
	ts := map[string]train.Tensor{}
	for k, t := range pr.Group(projects.RunGroup(id, train.KindLast)) {
		ts[k] = train.Tensor{Shape: t.Shape, Data: t.Data}
	}
	for k, t := range pr.Group(projects.GroupWeights) {
		ts["weights/"+k] = train.Tensor{Shape: t.Shape, Data: t.Data}
	}
	for k, t := range pr.Group(projects.GroupOptim) {
		ts["optim/"+k] = train.Tensor{Shape: t.Shape, Data: t.Data}
	}
	return ts
}

func TestPauseHoldsAndStopEndsTheRunKeepingItsCheckpoint(t *testing.T) {
	h, p, _ := newTestPane(t, tinyData(t, 300, 50))
	p.form.epochs.SetText("200")
	onUI(p.startTraining)
	lr := p.live
	iterations := func() int {
		lr.feed.mu.Lock()
		defer lr.feed.mu.Unlock()
		return len(lr.feed.losses)
	}
	waitFor(t, "the first iterations", func() bool { return iterations() > 0 })
	var paused bool
	atPause := 0
	onUI(func() {
		test.Tap(p.pause)
		atPause = iterations()
		paused = lr.trainer.Paused() && p.pause.Text == "Resume"
	})
	if !paused {
		t.Fatal("Pause did not pause the run")
	}
	// The step in progress when Pause was tapped may still end (slowly on a
	// loaded machine); no other may start. Watch for 2 s after the count
	// last changed.
	before := atPause
	for changed, deadline := time.Now(), time.Now().Add(20*time.Second); time.Since(changed) < 2*time.Second; {
		time.Sleep(100 * time.Millisecond)
		n := iterations()
		if n > atPause+1 || time.Now().After(deadline) {
			t.Fatalf("a paused run went on: %d iterations at Pause, then %d", atPause, n)
		}
		if n != before {
			before, changed = n, time.Now()
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := iterations(); n != before {
		t.Fatalf("a paused run went on: %d iterations, then %d", before, n)
	}
	onUI(func() { test.Tap(p.pause) })
	waitFor(t, "the run to go on", func() bool { return iterations() > before })
	onUI(func() { test.Tap(p.job.Stop) })
	p.job.Wait()
	r := h.proj.Runs[0]
	if r.Status != projects.RunStopped || r.Finished.IsZero() {
		t.Fatalf("a stopped run has status %q", r.Status)
	}
	if len(r.Checkpoints) == 0 || h.proj.Tensors["weights/conv1.weight"].Data == nil {
		t.Fatal("the stopped run kept no checkpoint")
	}
	ck, err := train.DecodeCheckpoint(train.KindLast, lastCheckpoint(h.proj, r.ID))
	if err != nil || ck.Iteration == 0 {
		t.Fatalf("the stop checkpoint: %v, iteration %d", err, ck.Iteration)
	}
	if p.start.Disabled() || p.live != nil {
		t.Fatal("after Stop, Start should be enabled again")
	}
}

func TestAnArchitectureWithErrorsDisablesStartAndSaysWhy(t *testing.T) {
	h, p, _ := newTestPane(t, tinyData(t, 100, 20))
	// fc1 reads a node that does not exist.
	for i, n := range h.proj.Graph.Nodes {
		if n.ID == "fc1" {
			h.proj.Graph.Nodes[i].Inputs = []string{"nowhere"}
		}
	}
	h.s.MarkDirty()
	if !p.start.Disabled() {
		t.Fatal("Start is enabled for a network with errors")
	}
	if !strings.Contains(p.reason.Text, "cannot be trained") || !strings.Contains(p.reason.Text, "nowhere") {
		t.Fatalf("reason %q does not name the problem", p.reason.Text)
	}
	if p.reasonBtn.Hidden || p.reasonBtn.Text != "Go to Architecture" {
		t.Fatalf("no way to the Architecture pane: %q hidden %v", p.reasonBtn.Text, p.reasonBtn.Hidden)
	}
	test.Tap(p.reasonBtn)
	if h.shown != "architecture" {
		t.Fatalf("the button showed %q", h.shown)
	}
	// Starting anyway does nothing.
	p.startTraining()
	if len(h.proj.Runs) != 0 || p.job.Running() {
		t.Fatal("a run started with a broken network")
	}
	// The babysitting steps and the search are blocked too.
	if !p.baby.initial.run.Disabled() || !p.search.runBtn.Disabled() {
		t.Fatal("babysitting or search can start with a broken network")
	}

	// A last layer with the wrong number of classes is caught before
	// the engine would refuse it.
	h.proj.Graph = projectsSampleGraph(t)
	for i, n := range h.proj.Graph.Nodes {
		if n.ID == "fc2" {
			h.proj.Graph.Nodes[i].Attrs["out"] = 7
		}
	}
	h.s.MarkDirty()
	if !p.start.Disabled() || !strings.Contains(p.reason.Text, "outputs 7 scores per image but the dataset has 10 classes") {
		t.Fatalf("wrong class count: Start disabled %v, reason %q", p.start.Disabled(), p.reason.Text)
	}
}

func projectsSampleGraph(t *testing.T) graph.Graph {
	pr, err := projects.Sample()
	if err != nil {
		t.Fatal(err)
	}
	return pr.Graph
}

func TestWithoutADatasetStartOffersToLoadIt(t *testing.T) {
	h, p, _ := newTestPane(t, nil)
	if !p.start.Disabled() || !strings.Contains(p.reason.Text, "not loaded yet") || p.reasonBtn.Text != "Load Bundled sample" {
		t.Fatalf("without data: disabled %v, reason %q, button %q", p.start.Disabled(), p.reason.Text, p.reasonBtn.Text)
	}
	// The curves tab says so as its first step, as every empty pane does.
	es := findAll[*widgets.EmptyState](p)
	if len(es) != 1 || !strings.Contains(es[0].Steps[0], "not loaded yet") || es[0].ActionLabel != "Load Bundled sample" {
		t.Fatalf("empty state %+v", es)
	}
	onUI(func() { test.Tap(p.reasonBtn) })
	p.job.Wait()
	if h.ds == nil || h.ds.Train.Len() != 300 || h.loadSpec != "sample" {
		t.Fatalf("the dataset was not loaded with the project's options: %v", h.ds)
	}
	if p.start.Disabled() {
		t.Fatalf("Start still disabled after loading: %q", p.reason.Text)
	}
}

// findAll returns the objects of type T laid out under the pane.
func findAll[T any](p *trainPane) []T {
	var out []T
	for _, o := range test.LaidOutObjects(p) {
		if v, ok := o.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func TestSchedulePlotFollowsTheSettings(t *testing.T) {
	h, p, _ := newTestPane(t, tinyData(t, 640, 20))
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-6*math.Abs(b) }
	if len(p.schedYs) == 0 || !near(p.schedYs[0], 1e-3) || !near(p.schedYs[len(p.schedYs)-1], 1e-3) {
		t.Fatalf("a constant schedule at 1e-3 is drawn as %v…", p.schedYs[:3])
	}
	p.form.epochs.SetText("4")
	p.form.warmup.SetText("1")
	p.form.schedule.SetSelected("cosine")
	p.form.lr.SetText("0.01")
	ys, xs := p.schedYs, p.schedXs
	if xs[len(xs)-1] != 4 {
		t.Fatalf("the schedule spans %v epochs, want 4", xs[len(xs)-1])
	}
	peak, at := 0.0, 0.0
	for i, y := range ys {
		if y > peak {
			peak, at = y, xs[i]
		}
	}
	// Warm-up rises to the rate over the first epoch, then cosine decays
	// it to 0 by the end.
	if math.Abs(peak-0.01) > 1e-6 || at < 0.85 || at > 1.05 || ys[0] >= 0.002 || ys[len(ys)-1] > 1e-4 {
		t.Fatalf("warm-up + cosine: first %g, peak %g at epoch %g, last %g", ys[0], peak, at, ys[len(ys)-1])
	}
	if !strings.Contains(p.schedNote.Text, "1 epoch of warm-up, then cosine from 0.01 to 0") {
		t.Fatalf("note %q", p.schedNote.Text)
	}
	if h.proj.Hyper.Schedule != "cosine" || h.proj.Hyper.Warmup != 1 || h.proj.Hyper.LR != 0.01 {
		t.Fatalf("the project keeps %+v", h.proj.Hyper)
	}
	// A step schedule halves the rate every epoch.
	p.form.schedule.SetSelected("step")
	p.form.warmup.SetText("0")
	p.form.gamma.SetText("0.5")
	p.form.stepEvery.SetText("1")
	last := p.schedYs[len(p.schedYs)-1]
	if !near(last, 0.01/8) {
		t.Fatalf("step ×0.5 every epoch over 4 epochs ends at %g", last)
	}
	if h.proj.Train.Gamma != 0.5 || h.proj.Train.StepEvery != 1 {
		t.Fatalf("the step settings are not kept where the command reads them: %+v", h.proj.Train)
	}
	// A bad value says what is wrong and keeps the last good one.
	p.form.augment.SetText("flip,wobble")
	if !p.start.Disabled() || !strings.Contains(p.reason.Text, `unknown augmentation "wobble"`) {
		t.Fatalf("bad augmentation: reason %q", p.reason.Text)
	}
	p.form.augment.SetText("flip, crop:4")
	if p.start.Disabled() || strings.Join(h.proj.Hyper.Augment, "|") != "flip|crop:4" {
		t.Fatalf("augmentation kept as %q (reason %q)", h.proj.Hyper.Augment, p.reason.Text)
	}
}

func TestBabysittingStepsReportInWords(t *testing.T) {
	_, p, _ := newTestPane(t, tinyData(t, 400, 20))
	// Not run yet is said at full contrast (LowImportance's grey was hard
	// to read), in italics until there is a result.
	if r := p.baby.initial.result; r.Text != "Not run yet." || r.Importance == widget.LowImportance || !r.TextStyle.Italic {
		t.Fatalf("a step not run yet: %q, importance %v, italic %v", r.Text, r.Importance, r.TextStyle.Italic)
	}
	onUI(p.baby.runInitial)
	p.job.Wait()
	if got := p.baby.initial.result.Text; !strings.Contains(got, "log(10) = 2.3") || p.baby.initial.result.Importance == 0 || p.baby.initial.result.TextStyle.Italic {
		t.Fatalf("initial loss step: %q", got)
	}
	p.baby.steps.SetText("30")
	onUI(p.baby.runFinder)
	p.job.Wait()
	if p.baby.suggested <= 0 || !strings.Contains(p.baby.finder.result.Text, "falls fastest") {
		t.Fatalf("finder: suggested %g, %q", p.baby.suggested, p.baby.finder.result.Text)
	}
	objs := p.baby.finder.extra.Objects
	use, ok := objs[len(objs)-1].(*widget.Button)
	if !ok {
		t.Fatal("the finder offers no button to use its rate")
	}
	test.Tap(use)
	if got := p.h.Project().Hyper.LR; got != p.baby.suggested {
		t.Fatalf("after Use, the project's rate is %g, want %g", got, p.baby.suggested)
	}
	p.baby.batches.SetText("2")
	onUI(p.baby.runOverfit)
	p.job.Wait()
	if got := p.baby.overfit.result.Text; !strings.Contains(got, "by heart") && !strings.Contains(got, "classifies only") {
		t.Fatalf("overfit step: %q", got)
	}
}

func TestSearchRanksTrialsDrawsTheCommandCentreAndPromotesTheBest(t *testing.T) {
	h, p, _ := newTestPane(t, tinyData(t, 400, 20))
	s := p.search
	s.trialsE.SetText("3")
	s.nTrain.SetText("200")
	s.nVal.SetText("40")
	s.lrLo.SetText("1e-4")
	s.lrHi.SetText("3e-3")
	onUI(s.run)
	p.job.Wait()
	if len(s.trials) != 3 {
		t.Fatalf("%d trials", len(s.trials))
	}
	lrs := map[float64]bool{}
	for _, tr := range s.trials {
		if !tr.Done || len(tr.Losses) == 0 || len(tr.History) != 1 {
			t.Fatalf("trial %d: done %v, %d losses, %d epochs, err %v", tr.Index, tr.Done, len(tr.Losses), len(tr.History), tr.Err)
		}
		lr := tr.Params["lr"]
		if lr < 1e-4 || lr > 3e-3 || tr.Params["weight_decay"] < 1e-6 || tr.Params["weight_decay"] > 1e-2 {
			t.Fatalf("trial %d outside its ranges: %v", tr.Index, tr.Params)
		}
		lrs[lr] = true
	}
	if len(lrs) != 3 {
		t.Fatal("the trials share learning rates")
	}
	// The table is ranked by validation accuracy, best first.
	for i := 1; i < len(s.rows); i++ {
		if s.trials[s.rows[i]].ValAcc > s.trials[s.rows[i-1]].ValAcc {
			t.Fatalf("rows not ranked: %v", s.rows)
		}
	}
	// Sorting by learning rate (highest first).
	s.sortBy(1)
	for i := 1; i < len(s.rows); i++ {
		if s.trials[s.rows[i]].Params["lr"] > s.trials[s.rows[i-1]].Params["lr"] {
			t.Fatalf("rows not sorted by learning rate: %v", s.rows)
		}
	}
	if s.accLR.Plot() == nil || s.accWD.Plot() == nil || s.losses.Plot() == nil {
		t.Fatal("the command-centre plots are missing")
	}
	best, ok := s.best()
	if !ok {
		t.Fatal("no best trial")
	}
	test.Tap(s.useBt)
	if got := h.proj.Hyper.LR; math.Abs(got-best.Params["lr"]) > 0.01*best.Params["lr"] {
		t.Fatalf("promoted rate %g, best %g", got, best.Params["lr"])
	}
	// Refining narrows the ranges around the best.
	if !s.refine() {
		t.Fatal("refine refused")
	}
	lo, _ := strconv.ParseFloat(s.lrLo.Text, 64)
	hi, _ := strconv.ParseFloat(s.lrHi.Text, 64)
	if !(lo < best.Params["lr"] && best.Params["lr"] < hi && hi/lo < 10) {
		t.Fatalf("refined range [%g, %g] around %g", lo, hi, best.Params["lr"])
	}
	// The babysitting steps 4 and 5 sum the search up.
	if !strings.Contains(p.baby.coarse.result.Text, "Best of 3 configurations") {
		t.Fatalf("step 4 says %q", p.baby.coarse.result.Text)
	}
}

func TestRandomSearchSpreadsSmallSeedsOverTheRange(t *testing.T) {
	cfgs, err := searchConfig(false, 8, map[string]train.Range{"lr": {Lo: 1e-4, Hi: 1e-2, Log: true}}, train.Config{}, 1).Configs()
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := 1.0, 0.0
	for _, c := range cfgs {
		lo, hi = math.Min(lo, c["lr"]), math.Max(hi, c["lr"])
	}
	// Eight log-uniform draws over two decades span more than one.
	if hi/lo < 10 {
		t.Fatalf("8 draws span only [%g, %g]", lo, hi)
	}
	grid, err := searchConfig(true, 9, map[string]train.Range{"lr": {Lo: 1e-4, Hi: 1e-2, Log: true}, "weight_decay": {Lo: 1e-6, Hi: 1e-2, Log: true}}, train.Config{}, 1).Configs()
	if err != nil || len(grid) != 9 || math.Abs(grid[0]["lr"]-1e-4) > 1e-12 || math.Abs(grid[4]["lr"]-1e-3) > 1e-12 || math.Abs(grid[8]["weight_decay"]-1e-2) > 1e-12 {
		t.Fatalf("3×3 grid %v", grid)
	}
}

func TestRunHistoryShowsStoredCurvesAndEvaluatesARun(t *testing.T) {
	h, p, _ := newTestPane(t, tinyData(t, 300, 60))
	p.form.epochs.SetText("1")
	onUI(p.startTraining)
	p.job.Wait()
	// A run from the command line (no weights kept: an older run).
	h.proj.Runs = append(h.proj.Runs, projects.Run{ID: "r9", Status: projects.RunFinished, Hyper: h.proj.Hyper,
		Epochs:    []projects.EpochMetrics{{Epoch: 1, TrainLoss: 1.2, TrainAcc: 0.6, ValLoss: 1.3, ValAcc: 0.55}, {Epoch: 2, TrainLoss: 0.8, TrainAcc: 0.75, ValLoss: 0.9, ValAcc: 0.7}},
		Losses:    []float32{2.3, 2.0, 1.5, 1.2, 1.0, 0.9, 0.8},
		LossEvery: 2, Iterations: 14})
	h.s.MarkDirty()
	if p.curves.shown != "r9" || !strings.Contains(p.curves.title.Text, "Run r9") {
		t.Fatalf("the curves show %q (%q), want the newest run", p.curves.shown, p.curves.title.Text)
	}
	if p.history.ids[0] != "r9" || p.history.sel != "r9" {
		t.Fatalf("history %v selected %q", p.history.ids, p.history.sel)
	}
	// r9's weights were overwritten by nothing, but it has no checkpoints:
	// it cannot be evaluated; r1 keeps its best snapshot and can.
	p.history.list.Select(0)
	if !p.history.evalBtn.Disabled() {
		t.Fatal("a run without weights offers an evaluation")
	}
	p.history.list.Select(1)
	delete(p.evals, "r1")
	p.history.showSelected()
	if p.history.evalBtn.Disabled() {
		t.Fatal("r1 cannot be evaluated")
	}
	onUI(func() { test.Tap(p.history.evalBtn) })
	p.job.Wait()
	ev := p.evals["r1"]
	if ev == nil || ev.res.N != 60 || len(ev.res.Confusion) != 10 || len(ev.res.PerClass) != 10 {
		t.Fatalf("evaluation %+v", ev)
	}
	n := 0
	for _, row := range ev.res.Confusion {
		for _, c := range row {
			n += c
		}
	}
	if n != 60 || !strings.Contains(ev.which, "best validation weights") {
		t.Fatalf("the confusion matrix counts %d images; weights %q", n, ev.which)
	}
	if p.history.conf.Plot() == nil || p.history.perClass.Plot() == nil {
		t.Fatal("the evaluation plots are missing")
	}
	// Reusing a run's settings and deleting it.
	h.proj.Hyper.LR = 0.5
	test.Tap(p.history.useBtn)
	if h.proj.Hyper.LR != h.proj.Runs[0].Hyper.LR || p.form.lr.Text != fmtNum(h.proj.Runs[0].Hyper.LR) {
		t.Fatalf("Use these settings: project lr %g, form %q", h.proj.Hyper.LR, p.form.lr.Text)
	}
	p.history.deleteRun() // the test window has no dialog driver to confirm: see deleteRun
}

func TestLayerFlagsNameDeadSaturatedAndExplodingLayers(t *testing.T) {
	cases := []struct {
		s     train.LayerStats
		level int
		word  string
	}{
		{train.LayerStats{Node: "relu1", Op: "relu", Std: 0.3, Zero: 0.97, Dead: 0.95}, flagBad, "dead"},
		{train.LayerStats{Node: "relu1", Op: "relu", Std: 0.3, Zero: 0.95}, flagWarn, "outputs are zero"},
		{train.LayerStats{Node: "tanh1", Op: "tanh", Std: 0.9, Saturated: 0.6}, flagBad, "saturated"},
		{train.LayerStats{Node: "fc1", Op: "linear", Std: 5e3}, flagBad, "explode"},
		{train.LayerStats{Node: "fc1", Op: "linear", Std: 1, HasWeight: true, UpdateRatio: 0.05, GradStd: 1e-3}, flagWarn, "0.05 of the weights"},
		{train.LayerStats{Node: "fc1", Op: "linear", Std: 1, HasWeight: true, UpdateRatio: 1e-3, GradStd: 1e-3}, flagNone, ""},
		{train.LayerStats{Node: "relu2", Op: "relu", Std: 0.5, Zero: 0.5}, flagNone, ""},
	}
	for _, c := range cases {
		f := flagLayer(c.s)
		if f.level != c.level || !strings.Contains(f.text, c.word) {
			t.Errorf("%s %+v: flag %d %q, want %d with %q", c.s.Node, c.s, f.level, f.text, c.level, c.word)
		}
	}
}

func TestThrottleShowsAtMostTenUpdatesASecond(t *testing.T) {
	panetest.NewApp(t)
	stop := make(chan struct{})
	var shows int
	start := time.Now()
	done := make(chan struct{})
	go func() {
		throttle(stop, func() bool { return true }, func() { shows++ })
		close(done)
	}()
	time.Sleep(550 * time.Millisecond)
	close(stop)
	<-done
	elapsed := time.Since(start)
	if limit := int(elapsed/uiUpdateEvery) + 1; shows > limit || shows == 0 {
		t.Fatalf("%d updates in %v (at most %d allowed)", shows, elapsed, limit)
	}
}

func TestValidationIsHeldOutUnlessTurnedOff(t *testing.T) {
	ds := tinyData(t, 500, 10)
	if tr, val, held := runs.Splits(ds, 1, true); tr.Len() != 450 || val.Len() != 50 || held != 50 {
		t.Fatalf("held out: train %d, val %d", tr.Len(), val.Len())
	}
	if tr, val, _ := runs.Splits(ds, 1, false); tr.Len() != 500 || val.Len() != 0 {
		t.Fatalf("no validation: train %d, val %d", tr.Len(), val.Len())
	}
	h, p, _ := newTestPane(t, ds)
	p.form.validation.SetSelected(valChoiceNone)
	if h.proj.Train.Validation != valNone || !strings.Contains(p.schedNote.Text, "of 8 batches") {
		t.Fatalf("validation none: kept %q, note %q", h.proj.Train.Validation, p.schedNote.Text)
	}
}

func TestStopThenContinueEndsWithTheWeightsOfAnUninterruptedRun(t *testing.T) {
	ds := tinyData(t, 300, 20)
	settings := func(p *trainPane) {
		p.form.epochs.SetText("3")
		p.form.batch.SetText("32")
	}
	// The uninterrupted run.
	h1, p1, _ := newTestPane(t, ds)
	settings(p1)
	onUI(p1.startTraining)
	p1.job.Wait()
	want := h1.proj.Group(projects.GroupWeights)
	if h1.proj.Runs[0].Status != projects.RunFinished || len(want) == 0 {
		t.Fatalf("reference run: %s", h1.proj.Runs[0].Status)
	}

	// The same run, stopped in its second epoch and continued.
	h2, p2, _ := newTestPane(t, ds)
	settings(p2)
	onUI(p2.startTraining)
	lr := p2.live
	waitFor(t, "the second epoch", func() bool {
		lr.feed.mu.Lock()
		defer lr.feed.mu.Unlock()
		return len(lr.feed.losses) >= 12 // 9 batches an epoch
	})
	onUI(p2.stopTraining)
	p2.job.Wait()
	r := h2.proj.Run("r1")
	if r.Status != projects.RunStopped {
		t.Fatalf("status after Stop: %s", r.Status)
	}
	stoppedAt := r.Iterations
	if p2.history.contBtn.Disabled() || p2.history.contWhy.Visible() {
		t.Fatalf("a stopped run offers no Continue (%q)", p2.history.contWhy.Text)
	}
	onUI(func() { test.Tap(p2.history.contBtn) })
	p2.job.Wait()
	r = h2.proj.Run("r1")
	if r.Status != projects.RunFinished || len(r.Epochs) != 3 || r.Iterations != 27 || len(r.Losses) != 27 {
		t.Fatalf("continued run (stopped at %d): status %s, %d epochs, %d iterations, %d losses, notes %q",
			stoppedAt, r.Status, len(r.Epochs), r.Iterations, len(r.Losses), r.Notes)
	}
	// Finished, the run cannot continue, and the pane says why.
	onUI(p2.history.refreshControls)
	if why := p2.history.contWhy; !p2.history.contBtn.Disabled() || !why.Visible() || !strings.Contains(why.Text, "has finished; start a new run") {
		t.Fatalf("Continue after the run finished: disabled %v, reason %q", p2.history.contBtn.Disabled(), why.Text)
	}
	got := h2.proj.Group(projects.GroupWeights)
	for name, w := range want {
		g := got[name]
		if len(g.Data) != len(w.Data) {
			t.Fatalf("%s: %d values, want %d", name, len(g.Data), len(w.Data))
		}
		for i := range w.Data {
			if g.Data[i] != w.Data[i] {
				t.Fatalf("%s[%d] = %g after stop and continue, %g uninterrupted", name, i, g.Data[i], w.Data[i])
			}
		}
	}
	if h1.proj.Runs[0].Losses[26] != r.Losses[26] {
		t.Fatalf("last loss %g, uninterrupted %g", r.Losses[26], h1.proj.Runs[0].Losses[26])
	}
	// A finished run cannot continue.
	if _, err := resumable(h2.proj, "r1"); err == nil || !strings.Contains(err.Error(), "finished") {
		t.Fatalf("resumable after the end: %v", err)
	}
}

func TestPlural(t *testing.T) {
	for _, c := range []struct {
		n    int
		word string
		want string
	}{{1, "epoch", "1 epoch"}, {2, "epoch", "2 epochs"}, {1, "batch", "1 batch"}, {1200, "batch", "1,200 batches"}} {
		if got := widgets.Plural(c.n, c.word); got != c.want {
			t.Errorf("plural(%d, %q) = %q, want %q", c.n, c.word, got, c.want)
		}
	}
}
