package architecture

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/workbench-cv/workbench/widgets"
)

// A layer with weights shows "Check gradients"; tapping it checks that
// layer's tensors off the UI goroutine and lists each with its relative
// error; a layer without parameters shows no button.
func TestCheckGradientsOfALayerFromTheInspector(t *testing.T) {
	p, _, _ := newTestPane(t, refCNN(t), 1280, 800)
	conv := opsOf(p, "conv2d")[0]
	p.ed.Select(conv)
	if !slices.Contains(p.insp.box.Objects, fyne.CanvasObject(p.insp.grad.root)) {
		t.Fatal("no gradient check section for a convolution")
	}
	widgets.Locked(func() { test.Tap(p.insp.grad.btn) })
	p.insp.grad.job.Wait()
	text := p.insp.grad.out.Text
	if !strings.HasPrefix(text, "Gradients match") || !strings.Contains(text, conv+".weight: ") || !strings.Contains(text, conv+".bias: ") {
		t.Fatalf("result reads %q", text)
	}
	relu := opsOf(p, "relu")[0]
	p.ed.Select(relu)
	if slices.Contains(p.insp.box.Objects, fyne.CanvasObject(p.insp.grad.root)) {
		t.Fatal("a ReLU has no parameters to check")
	}
	// The result stays with its layer until the graph changes.
	p.ed.Select(conv)
	if p.insp.grad.out.Text != text {
		t.Fatalf("result not kept: %q", p.insp.grad.out.Text)
	}
}

// Cancel stops the check and says so.
func TestCheckGradientsCancel(t *testing.T) {
	p, _, _ := newTestPane(t, refCNN(t), 1280, 800)
	fc := opsOf(p, "linear")[0]
	p.ed.Select(fc)
	g := p.insp.grad
	widgets.Locked(func() {
		test.Tap(g.btn)
		g.job.Cancel()
	})
	g.job.Wait()
	if g.out.Text != "Cancelled." {
		t.Fatalf("after Cancel: %q", g.out.Text)
	}
	if g.btn.Disabled() {
		t.Fatal("the button stays disabled")
	}
}
