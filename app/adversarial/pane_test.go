package adversarial

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
)

func TestAdversarialPaneAsksForATrainedModel(t *testing.T) {
	panetest.NewShell(t, panetest.Sample(t), Pane).EmptyState(t, ui.PaneAdversarial)
}

func loaded(t *testing.T) *advPane {
	s, _, p := panetest.OpenTrained[*advPane](t, ui.PaneAdversarial, Pane)
	panetest.ModelLoaded(t, &p.Base)
	s.SetDataset(panetest.SampleData(t))
	p.job.Wait() // the prediction of the first test image
	if p.x == nil || p.view.orig.Image == nil || !strings.Contains(p.info.Text, "the network says") {
		t.Fatalf("after loading the data: image %v, %q", p.x != nil, p.info.Text)
	}
	return p
}

func TestAdversarialPaneStepsThroughAPGDAttack(t *testing.T) {
	p := loaded(t)
	p.eps.SetValue(16)
	p.steps.SetText("5")
	test.Tap(p.attack)
	p.job.Wait()
	v := p.view
	// The start and five steps.
	if len(v.frames) != 6 || v.step.Max != 5 || !strings.Contains(v.result.Text, "The attack ") {
		t.Fatalf("frames %d, slider max %v, result %q (%q)", len(v.frames), v.step.Max, v.result.Text, p.info.Text)
	}
	// Every iteration stays within ε of the image (L-inf).
	for i, f := range v.frames {
		for j := range f {
			if d := f[j] - p.x[j]; d > 16.0/255+1e-6 || d < -16.0/255-1e-6 {
				t.Fatalf("iteration %d moves pixel %d by %v", i, j, d)
			}
		}
	}
	last, bars := v.adv.Image, v.bars.Render(400, 300, 1)
	v.step.SetValue(0)
	if panetest.SamePixels(last, v.adv.Image) || !strings.HasPrefix(v.stepLabel.Text, "0 of 5") {
		t.Fatalf("stepping back to the start does not change the picture (%q)", v.stepLabel.Text)
	}
	if panetest.SamePixels(bars, v.bars.Render(400, 300, 1)) {
		t.Fatalf("the probability bars do not follow the iteration")
	}
}

func TestAdversarialPaneTargetedFGSMAndBadSettings(t *testing.T) {
	p := loaded(t)
	p.steps.SetText("many")
	test.Tap(p.attack)
	if !strings.Contains(p.info.Text, `"many" steps`) || p.job.Running() {
		t.Fatalf("bad steps: %q", p.info.Text)
	}
	p.steps.SetText("10")
	p.method.SetSelected("FGSM")
	p.targeted.SetChecked(true)
	p.target.SetText("no such class")
	test.Tap(p.attack)
	if !strings.Contains(p.info.Text, `No class is called "no such class"`) || p.job.Running() {
		t.Fatalf("an unknown target class: %q", p.info.Text)
	}
	p.target.SetText(p.ClassName((p.pred + 1) % net(p.Model).Classes()))
	test.Tap(p.attack)
	p.job.Wait()
	if len(p.view.frames) != 2 {
		t.Fatalf("FGSM is one step: %d frames (%q)", len(p.view.frames), p.info.Text)
	}
}

func TestAdversarialPaneCurveAndCancel(t *testing.T) {
	p := loaded(t)
	c := p.curve
	c.images.SetText("16")
	p.method.SetSelected("FGSM")
	test.Tap(c.run)
	p.job.Wait()
	if len(c.acc) != len(curveEps) || c.acc[len(c.acc)-1] > c.acc[0] {
		t.Fatalf("accuracy against ε %v (%q)", c.acc, c.note.Text)
	}
	// A long PGD attack stops at Cancel and leaves no result.
	p.method.SetSelected("PGD")
	p.steps.SetText("10000")
	p.view.clear()
	test.Tap(p.attack)
	test.Tap(p.job.Stop)
	p.job.Wait()
	if p.view.frames != nil || p.view.result.Text != "" {
		t.Fatalf("a cancelled attack shows a result: %q", p.view.result.Text)
	}
}
