package trainui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/widgets"
)

// labelsIn gathers the text of every label under o.
func labelsIn(o fyne.CanvasObject) string {
	var b strings.Builder
	var walk func(fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		switch w := o.(type) {
		case *widget.Label:
			b.WriteString(w.Text + "\n")
		case *fyne.Container:
			for _, c := range w.Objects {
				walk(c)
			}
		}
	}
	walk(o)
	return b.String()
}

// Must show 2 through the pane: the finder's (validated) suggestion with
// Adam trains 2 epochs with no layer over 50% dead, and the Curves, Layers,
// Runs and Babysitting views show one and the same diagnosis of the run,
// which does not contradict the finder; the layer statistics are kept in
// the run's record for a reopen.
func TestCurvesLayersAndFinderAgreeOnOneDiagnosis(t *testing.T) {
	h, p, _ := newTestPane(t, tinyData(t, 600, 100))
	p.form.epochs.SetText("2")
	p.form.batch.SetText("32")
	p.baby.steps.SetText("60")
	onUI(p.baby.runFinder)
	p.job.Wait()
	if p.baby.suggested <= 0 {
		t.Fatalf("no suggestion: %q", p.baby.finder.result.Text)
	}
	if h.proj.Hyper.Optimizer != "adam" {
		t.Fatalf("optimizer %q", h.proj.Hyper.Optimizer)
	}
	objs := p.baby.finder.extra.Objects
	onUI(func() { objs[len(objs)-1].(*widget.Button).OnTapped() })
	onUI(p.startTraining)
	p.job.Wait()
	if len(h.proj.Runs) != 1 {
		t.Fatalf("%d runs", len(h.proj.Runs))
	}
	r := &h.proj.Runs[0]
	if r.Hyper.LR != p.baby.suggested || len(r.Layers) == 0 {
		t.Fatalf("run at %g (suggested %g), %d layer statistics kept", r.Hyper.LR, p.baby.suggested, len(r.Layers))
	}
	for _, l := range r.Layers {
		if l.Dead > train.DeadLimit {
			t.Errorf("%s: %.0f%% dead units at the finder's rate", l.Node, 100*l.Dead)
		}
	}
	d := p.diagnose(r, nil)
	if d.Kind == "dead-units" || d.Kind == "lr-too-high" || d.Kind == "diverged" {
		t.Fatalf("the finder's rate %g, the run says %s: %s", r.Hyper.LR, d.Kind, d.Message)
	}
	msg := widgets.FirstUpper(d.Message)
	p.curves.showRun(r)
	p.history.sel = r.ID
	p.history.showSelected()
	p.baby.refresh()
	for name, o := range map[string]fyne.CanvasObject{"Curves": p.curves.diag, "Layers": p.layers.flags,
		"Runs": p.history.diag, "Babysitting": p.baby.diagnose.root} {
		if !strings.Contains(strings.ToLower(labelsIn(o)), strings.ToLower(msg[:40])) {
			t.Errorf("%s does not show the diagnosis %q:\n%s", name, msg, labelsIn(o))
		}
	}
	// Reopened, the run's diagnosis reads the stored layer statistics.
	p.runLayers = nil
	if again := p.diagnose(r, nil); again.Message != d.Message {
		t.Errorf("after a reopen: %q, before %q", again.Message, d.Message)
	}
}
