package trainui

import (
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"

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
