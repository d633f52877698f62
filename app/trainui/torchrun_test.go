package trainui

import (
	"context"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/app/internal/panetest"

	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
)

// needTorch skips without PyTorch, except on CI where it must be there.
func needTorch(t *testing.T) {
	t.Helper()
	py := os.Getenv("WORKBENCH_PYTHON")
	if py == "" {
		py = "/usr/bin/python3"
	}
	if err := exec.Command(py, "-c", "import torch.distributed.run").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PyTorch is missing in %s: apt-get install python3-torch", py)
		}
		t.Skipf("PyTorch is missing in %s", py)
	}
}

func TestScaleOutTrainsUnderTorchrunAndItsWeightsEvaluateToTorchsAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two PyTorch processes (about half a minute)")
	}
	needTorch(t)
	h, p, _ := newTestPane(t, tinyData(t, 400, 200))
	p.form.epochs.SetText("1")
	p.form.batch.SetText("50")
	if p.scaleOutBtn.Disabled() {
		t.Fatalf("Scale out is disabled with a network and a dataset: %q", p.reason.Text)
	}
	var lr *liveRun
	var err error
	onUI(func() {
		err = p.startTorchrun(scaleOut{NProc: 2, Device: "cpu", Threads: 1})
		lr = p.live
	})
	if err != nil || lr == nil || !p.scaleOutBtn.Disabled() {
		t.Fatalf("start: %v (live %v, Scale out enabled while running: %v)", err, lr != nil, !p.scaleOutBtn.Disabled())
	}
	p.job.Wait()
	if len(h.proj.Runs) != 1 {
		t.Fatalf("%d runs recorded; reason %q", len(h.proj.Runs), p.reason.Text)
	}
	r := &h.proj.Runs[0]
	if r.Status != projects.RunFinished || len(r.Epochs) != 1 || !strings.HasPrefix(r.Device, "torchrun (2 processes") || !r.Tested {
		t.Fatalf("run %s: status %s, %d epochs, device %q, tested %v, notes %q", r.ID, r.Status, len(r.Epochs), r.Device, r.Tested, r.Notes)
	}
	if lr.torch == nil || lr.torch.WorldSize != 2 || r.Epochs[0].TrainLoss <= 0 || !strings.Contains(r.Notes, "under torchrun") {
		t.Fatalf("torchrun result %+v, epochs %+v", lr.torch, r.Epochs)
	}
	// The curves showed the epoch as it came, and the run is the one shown.
	if len(lr.last.epochs) != 1 || p.curves.shown != r.ID {
		t.Fatalf("live feed had %d epochs; curves show %q", len(lr.last.epochs), p.curves.shown)
	}
	// The weights recorded in the project evaluate here to the accuracy
	// PyTorch reported on the same test split.
	ws, _, ok := runs.Weights(h.proj, r)
	if !ok {
		t.Fatal("the run left no weights")
	}
	ds := h.ds
	st, err := runs.Stats(h.proj, ds.Test.C, ds.Test.H, ds.Test.W)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := evaluateWeights(context.Background(), h.proj.Graph, ws, ds.Test, st, "")
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ev.Acc-lr.torch.TestAcc) > 0.001 || math.Abs(r.TestAcc-lr.torch.TestAcc) > 0.001 {
		t.Fatalf("accuracy here %.4f (recorded %.4f), PyTorch %.4f", ev.Acc, r.TestAcc, lr.torch.TestAcc)
	}
	t.Logf("torchrun 2 processes: test accuracy here %.4f, PyTorch %.4f", ev.Acc, lr.torch.TestAcc)
	// Start and Scale out are back.
	var off bool
	onUI(func() { off = p.start.Disabled() || p.scaleOutBtn.Disabled() })
	if off {
		t.Fatalf("after the run Start or Scale out stays disabled")
	}
}

func TestScaleOutAsksForProcessesAndRefusesNonsense(t *testing.T) {
	h, p, w := newTestPane(t, tinyData(t, 100, 20))
	onUI(func() { test.Tap(p.scaleOutBtn) })
	top := w.Canvas().Overlays().Top()
	entries := panetest.Find[*widget.Entry](top, nil)
	if len(entries) != 2 || entries[0].Text != "2" {
		t.Fatalf("the dialog asks %d questions; processes %q", len(entries), entries[0].Text)
	}
	entries[0].SetText("0")
	start := panetest.Find[*widget.Button](top, func(b *widget.Button) bool { return b.Text == "Start" })
	if len(start) != 1 {
		t.Fatal("no Start in the dialog")
	}
	onUI(func() { test.Tap(start[0]) })
	msg := panetest.Find[*widget.Label](w.Canvas().Overlays().Top(), func(l *widget.Label) bool { return strings.Contains(l.Text, "1 to 1024 processes") })
	if len(msg) != 1 || len(h.proj.Runs) != 0 || p.job.Running() {
		t.Fatalf("0 processes: message %d, %d runs, running %v", len(msg), len(h.proj.Runs), p.job.Running())
	}
}

func TestARunWithoutIterationLossesDrawsItsLossPerEpoch(t *testing.T) {
	c := curveData{Planned: 4, Epochs: []projects.EpochMetrics{{Epoch: 1, TrainLoss: 1.4, ValLoss: 1.1}, {Epoch: 2, TrainLoss: 0.7, ValLoss: 0.69}}}
	p := lossPlot(c)
	if p.Title.Text != "Loss per epoch" || p.Y.Min > 0.69 || p.Y.Max < 1.4 || p.X.Max < 4 {
		t.Fatalf("plot %q, y %g..%g, x to %g", p.Title.Text, p.Y.Min, p.Y.Max, p.X.Max)
	}
	c.Losses = []float64{2, 1.5, 1}
	if p := lossPlot(c); p.Title.Text != "Training loss per iteration" {
		t.Fatalf("a local run's plot is %q", p.Title.Text)
	}
}

// torchChildren lists this test's child processes whose command line
// holds what.
func torchChildren(t *testing.T, what string) []string {
	t.Helper()
	var out []string
	dirs, _ := os.ReadDir("/proc")
	me := strconv.Itoa(os.Getpid())
	for _, d := range dirs {
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		cmd, _ := os.ReadFile("/proc/" + d.Name() + "/cmdline")
		if len(f) > 1 && f[1] == me && strings.Contains(string(cmd), what) {
			out = append(out, d.Name())
		}
	}
	return out
}

func TestStopEndsATorchrunRunAndItsProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PyTorch processes")
	}
	needTorch(t)
	h, p, _ := newTestPane(t, tinyData(t, 400, 100))
	p.form.epochs.SetText("20")
	var lr *liveRun
	onUI(func() {
		if err := p.startTorchrun(scaleOut{NProc: 2, Device: "cpu", Threads: 1}); err != nil {
			t.Fatal(err)
		}
		lr = p.live
	})
	waitFor(t, "torchrun to start", func() bool {
		var up bool
		onUI(func() { up = lr.launched })
		return up && len(torchChildren(t, "nproc_per_node")) > 0
	})
	onUI(p.stopTraining)
	p.job.Wait()
	if kids := torchChildren(t, "torch"); len(kids) > 0 {
		t.Fatalf("torchrun processes left after Stop: %v", kids)
	}
	if len(h.proj.Runs) != 1 || h.proj.Runs[0].Status != projects.RunStopped {
		t.Fatalf("runs after Stop: %+v", h.proj.Runs)
	}
	if len(h.proj.Group(projects.GroupWeights)) != 0 {
		t.Fatalf("a stopped torchrun run left weights in the project")
	}
}
