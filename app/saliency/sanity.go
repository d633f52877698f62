package saliency

import (
	"context"
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/widgets"
)

// sanityView runs the cascading-randomisation check (Adebayo et al.) on
// the explained image: the saliency map's rank correlation with the
// trained model's as layers are re-initialised from the top.
type sanityView struct {
	p     *salPane
	root  fyne.CanvasObject
	run   *widget.Button
	note  *widget.Label
	plot  *widgets.PlotView
	steps []attrib.SanityStep
}

func newSanityView(p *salPane) *sanityView {
	v := &sanityView{p: p, note: widget.NewLabel("Re-initialise the layers one at a time from the output down and " +
		"see whether the saliency map changes: a map that explains the model should decorrelate.")}
	v.note.Wrapping = fyne.TextWrapWord
	v.run = widget.NewButtonWithIcon("Run sanity check", theme.MediaPlayIcon(), v.start)
	v.plot = widgets.NewPlotView(sanityPlot(nil))
	v.root = widgets.Pad(6, 4, 6, 6, container.NewBorder(container.NewVBox(v.note, container.NewHBox(v.run)), nil, nil, nil, v.plot))
	return v
}

func (v *sanityView) start() {
	p := v.p
	if p.x == nil || p.Model == nil {
		v.note.SetText("Choose an image in the Methods tab first.")
		return
	}
	x, k, mdl := p.x, p.target(), p.Model
	err := p.job.Start("Sanity check: randomising layers", func(ctx context.Context, report widgets.Report) error {
		n, err := mdl.Net()
		if err != nil {
			return err
		}
		maps := func(n attrib.Net) ([]attrib.Map, error) {
			ms, _, err := n.Saliency(x, 1, []attrib.Target{attrib.ClassTarget(k)})
			return ms, err
		}
		steps, err := attrib.CascadingRandomisation(ctx, attribNet(n), 1, maps, func(done, total int) { report(done, total, "") })
		if err != nil {
			return err
		}
		widgets.Do(func() { v.show(steps) })
		return nil
	}, func(err error) {
		if err != nil && !widgets.Cancelled(err) {
			v.note.SetText(widgets.FirstUpper(err.Error()) + ".")
		}
	})
	if err != nil {
		v.note.SetText(widgets.FirstUpper(err.Error()) + ".")
	}
}

func (v *sanityView) show(steps []attrib.SanityStep) {
	v.steps = steps
	v.plot.SetPlot(sanityPlot(steps))
	var parts []string
	for _, s := range steps {
		name := s.Layer
		if name == "" {
			name = "trained"
		}
		parts = append(parts, fmt.Sprintf("%s %.2f", name, s.Correlation))
	}
	v.note.SetText("Rank correlation with the trained model's saliency map, layers re-initialised cumulatively: " +
		strings.Join(parts, ", ") + ".")
}

// sanityPlot draws the correlation after each re-initialised layer.
func sanityPlot(steps []attrib.SanityStep) *plot.Plot {
	pl := widgets.NewPlot()
	pl.Title.Text = "Cascading randomisation"
	pl.Y.Label.Text = "Spearman rank correlation"
	pl.Y.Min, pl.Y.Max = -1, 1
	if len(steps) == 0 {
		return pl
	}
	pts := make(plotter.XYs, len(steps))
	names := make([]string, len(steps))
	for i, s := range steps {
		pts[i].X, pts[i].Y = float64(i), s.Correlation
		names[i] = s.Layer
		if s.Layer == "" {
			names[i] = "trained"
		}
	}
	widgets.AddLinePoints(pl, "saliency", pts, theme.Color(theme.ColorNamePrimary), 3)
	pl.NominalX(names...)
	return pl
}
