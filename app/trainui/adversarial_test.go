package trainui

import (
	"math"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/projects"

	"github.com/workbench-cv/workbench/engine/adversarial"
	"github.com/workbench-cv/workbench/engine/train"
)

func TestAdversarialSettingsReadLikeTheCommandsFlags(t *testing.T) {
	panetest.NewApp(t)
	a := newAdvSettings()
	if adv, err := a.config(); adv != nil || err != nil || !a.eps.Disabled() {
		t.Fatalf("off by default: %+v, %v, epsilon enabled %v", adv, err, !a.eps.Disabled())
	}
	a.method.SetSelected(advPGD)
	a.stepSize.SetText("2/255")
	a.ramp.SetText("2")
	adv, err := a.config()
	want := train.Adversarial{Method: adversarial.PGD, Eps: 8.0 / 255, Steps: 7, StepSize: 2.0 / 255, Ramp: 2}
	if err != nil || adv == nil || *adv != want || a.eps.Disabled() || a.problem.Text != "" {
		t.Fatalf("PGD 8/255: %+v, %v (problem %q)", adv, err, a.problem.Text)
	}
	for _, bad := range []struct{ entry, text, says string }{
		{"eps", "lots", "epsilon"}, {"eps", "2", "epsilon"}, {"eps", "1/0", "epsilon"},
		{"steps", "0", "PGD steps"}, {"stepSize", "-1", "step size"}, {"ramp", "x", "ramp"},
	} {
		e := map[string]interface{ SetText(string) }{"eps": a.eps, "steps": a.steps, "stepSize": a.stepSize, "ramp": a.ramp}[bad.entry]
		e.SetText(bad.text)
		if _, err := a.config(); err == nil || !strings.Contains(strings.ToLower(a.problem.Text), strings.ToLower(bad.says)) {
			t.Errorf("%s %q: error %v, problem %q", bad.entry, bad.text, err, a.problem.Text)
		}
		a.eps.SetText("8/255")
		a.steps.SetText("7")
		a.stepSize.SetText("")
		a.ramp.SetText("0")
	}
	a.method.SetSelected(advFGSM)
	if adv, err := a.config(); err != nil || adv.Method != adversarial.FGSM || adv.Eps != 8.0/255 || !a.steps.Disabled() {
		t.Fatalf("FGSM: %+v, %v, steps enabled %v", adv, err, !a.steps.Disabled())
	}
}

// The settings reach the engine: the running trainer attacks its batches
// as set, and a bad setting stops the run before it starts, saying why.
func TestAdversarialSettingsReachTheTrainer(t *testing.T) {
	h, p, _ := newTestPane(t, tinyData(t, 300, 50))
	p.form.epochs.SetText("200")
	p.adv.method.SetSelected(advFGSM)
	p.adv.eps.SetText("lots")
	onUI(p.startTraining)
	if p.job.Running() || len(h.proj.Runs) != 0 || !strings.Contains(p.reason.Text, "epsilon") {
		t.Fatalf("a bad epsilon: running %v, %d runs, reason %q", p.job.Running(), len(h.proj.Runs), p.reason.Text)
	}
	p.adv.eps.SetText("4/255")
	onUI(p.startTraining)
	lr := p.live
	if lr == nil {
		t.Fatalf("the run did not start: %q", p.reason.Text)
	}
	iterations := func() int {
		lr.feed.mu.Lock()
		defer lr.feed.mu.Unlock()
		return len(lr.feed.losses)
	}
	waitFor(t, "the first attacked iterations", func() bool { return iterations() > 0 })
	var got *train.Adversarial
	onUI(func() { got = lr.trainer.Config.Adversarial })
	p.job.Cancel()
	p.job.Wait()
	if got == nil || got.Method != adversarial.FGSM || got.Eps != 4.0/255 {
		t.Fatalf("the trainer's adversarial settings: %+v", got)
	}
}

// A run records how it attacked its batches: its curves are read as those
// of adversarial training after a reopen (not as a run that does not
// learn), its line in Runs says so, and "Use these settings" brings the
// attack back into the settings.
func TestAReopenedAdversarialRunIsReadAsOne(t *testing.T) {
	h, p, _ := newTestPane(t, tinyData(t, 300, 50))
	epochs := []projects.EpochMetrics{{Epoch: 1, TrainLoss: 1.726, TrainAcc: 0.358, ValAcc: math.NaN()},
		{Epoch: 2, TrainLoss: 1.839, TrainAcc: 0.313, ValAcc: math.NaN()}, {Epoch: 3, TrainLoss: 1.787, TrainAcc: 0.331, ValAcc: math.NaN()}}
	run := projects.Run{ID: "r1", Status: projects.RunFinished, Epochs: epochs,
		Hyper:       projects.Hyper{Optimizer: "adam", LR: 0.001, Batch: 64, Epochs: 3},
		Adversarial: &projects.AdversarialTraining{Method: "pgd", Eps: 8.0 / 255, Steps: 7, Ramp: 1}}
	clean := run
	clean.Adversarial = nil
	if d := p.diagnose(&clean, nil); d.Kind != "not-learning" {
		t.Fatalf("as a clean run: %+v", d)
	}
	if d := p.diagnose(&run, nil); d.Kind != "adversarial" {
		t.Fatalf("the adversarial run: %+v", d)
	}
	if line := runLine(&run); !strings.Contains(line, "adversarial PGD ε 8/255 × 7 (ramp 1)") {
		t.Fatalf("its line in Runs: %q", line)
	}
	onUI(func() {
		h.proj.Runs = append(h.proj.Runs, run)
		p.history.refresh()
		p.history.sel = "r1"
		p.history.useSettings()
	})
	a, err := p.adv.config()
	if err != nil || a == nil || a.Method != adversarial.PGD || a.Eps != 8.0/255 || a.Steps != 7 || a.Ramp != 1 || p.adv.eps.Text != "8/255" {
		t.Fatalf("after Use these settings: %+v, %v, ε %q", a, err, p.adv.eps.Text)
	}
	onUI(func() {
		h.proj.Runs = append(h.proj.Runs, projects.Run{ID: "r2", Status: projects.RunFinished, Hyper: run.Hyper})
		p.history.refresh()
		p.history.sel = "r2"
		p.history.useSettings()
	})
	if p.adv.method.Selected != advOff {
		t.Fatalf("a clean run's settings leave the attack on: %q", p.adv.method.Selected)
	}
}
