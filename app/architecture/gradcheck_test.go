package architecture

import (
	"slices"
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/workbench-cv/workbench/engine/graph"
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

// A Conv 2D after a Linear layer has a flat input: it is not told to add a
// Flatten (which cannot help), and gets no Flatten quick fix.
func TestConvAfterLinearIsNotToldToAddAFlatten(t *testing.T) {
	g := refCNN(t)
	var fc string
	for _, n := range g.Nodes {
		if n.Op == "linear" {
			fc = n.ID
			break
		}
	}
	for i, n := range g.Nodes {
		if len(n.Inputs) == 1 && n.Inputs[0] == fc {
			g.Nodes[i].Inputs = []string{"late"}
		}
	}
	g.Nodes = append(g.Nodes, graph.Node{ID: "late", Op: "conv2d", Inputs: []string{fc}, Attrs: map[string]float64{"out": 4, "kernel": 3}})
	p, _, _ := newTestPane(t, g, 1280, 800)
	probs := p.res.problemsOf("late")
	if len(probs) == 0 {
		t.Fatal("no problem reported for a convolution after a linear layer")
	}
	for _, pr := range probs {
		if strings.Contains(strings.ToLower(pr.msg+" "+pr.fix), "add a flatten") || !strings.Contains(strings.ToLower(pr.fix), "before the flatten") {
			t.Errorf("problem %q, fix %q", pr.msg, pr.fix)
		}
	}
}
