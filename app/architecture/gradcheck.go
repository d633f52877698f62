package architecture

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/gradcheck"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

// gradPanel is the inspector's "Check gradients" section for a layer with
// parameters: it compares backpropagation's gradients of that layer's
// tensors with centred differences (engine/gradcheck, as `workbench
// gradcheck --layer` does), off the UI goroutine with progress and Cancel,
// and lists the relative error per tensor. Results are kept per layer
// until the graph changes.
type gradPanel struct {
	p       *editorPane
	id      string
	btn     *widget.Button
	job     *widgets.JobBar
	out     *widget.Label
	root    *fyne.Container
	results map[string]string
}

func newGradPanel(p *editorPane) *gradPanel {
	g := &gradPanel{p: p, job: widgets.NewJobBar(), results: map[string]string{}}
	g.btn = widget.NewButtonWithIcon("Check gradients", theme.MediaPlayIcon(), g.run)
	g.out = widget.NewLabel("")
	g.out.Wrapping = fyne.TextWrapWord
	g.out.SizeName = theme.SizeNameCaptionText
	g.root = container.NewVBox(sectionTitle("Gradient check"),
		caption("Compares this layer's gradients from backpropagation with centred differences on a random input."),
		g.btn, g.job.Content(), g.out)
	return g
}

// show targets the layer id and returns the section.
func (g *gradPanel) show(id string) fyne.CanvasObject {
	g.id = id
	g.out.SetText(g.results[id])
	if g.job.Running() {
		g.btn.Disable()
	} else {
		g.btn.Enable()
	}
	return g.root
}

// forget drops the results: the graph changed under them.
func (g *gradPanel) forget() {
	clear(g.results)
	if !g.job.Running() {
		g.out.SetText("")
	}
}

func (g *gradPanel) run() {
	p := g.p
	id := g.id
	gr := fromEditor(p.ed.Graph())
	var in []int
	if r := p.res; r != nil && r.an != nil && r.an.Nodes[r.an.Input] != nil {
		in = r.an.Nodes[r.an.Input].Out
	}
	var weights map[string]train.Tensor
	if pr := p.proj.s.Project; pr != nil {
		weights = pr.Group(projects.GroupWeights)
	}
	g.btn.Disable()
	g.out.SetText("")
	var rep gradcheck.Report
	err := g.job.Start("Checking gradients of "+id, func(ctx context.Context, progress widgets.Report) error {
		m, err := nn.Build(gr, in, cpu.New(), 1, "default")
		if err != nil {
			return fmt.Errorf("the network cannot be built: %v", err)
		}
		if len(weights) > 0 {
			train.LoadMatching(m, weights)
		}
		if in == nil {
			in = m.Analysis.Nodes[m.Analysis.Input].Out
		}
		rep, err = gradcheck.CheckModel(m, in, gradcheck.ModelOptions{Nodes: []string{id},
			Options: gradcheck.Options{Seed: 1, Cancel: ctx.Done(),
				Progress: func(done, total int) { progress(done, total, "") }}})
		if errors.Is(err, gradcheck.ErrCancelled) {
			return context.Canceled
		}
		return err
	}, func(err error) {
		g.btn.Enable()
		var text string
		switch {
		case widgets.Cancelled(err):
			text = "Cancelled."
		case err != nil:
			text = "Could not check: " + err.Error()
		default:
			text = gradText(rep)
		}
		g.results[id] = text
		if g.id == id {
			g.out.SetText(text)
		}
	})
	if err != nil {
		g.btn.Enable()
		g.out.SetText(err.Error())
	}
}

// gradText is the result for people: the verdict, then each tensor's
// largest relative error.
func gradText(rep gradcheck.Report) string {
	var b strings.Builder
	switch rep.Verdict {
	case gradcheck.Pass:
		b.WriteString("Gradients match (relative error at most 1e-3).")
	case gradcheck.Suspect:
		b.WriteString("Suspect: relative error between 1e-3 and 1e-2.")
	default:
		b.WriteString("Wrong: relative error above 1e-2.")
	}
	for _, t := range rep.Tensors {
		fmt.Fprintf(&b, "\n%s: %.1e %s (%d of %d elements", t.Name, t.MaxRelErr, t.Verdict, t.Checked, t.Size)
		if t.Kinks > 0 {
			fmt.Fprintf(&b, ", %d at a kink left out", t.Kinks)
		}
		b.WriteString(")")
	}
	return b.String()
}
