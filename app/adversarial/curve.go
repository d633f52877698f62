package adversarial

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/engine/adversarial"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/widgets"
)

// curveEps are the epsilons of the accuracy curve, in /255 units.
var curveEps = []float64{0, 1, 2, 4, 8, 16, 32}

// curveView measures accuracy against epsilon over the first test images
// with the attack settings of the Attack tab (untargeted).
type curveView struct {
	p      *advPane
	root   fyne.CanvasObject
	images *widget.Entry
	run    *widget.Button
	note   *widget.Label
	plot   *widgets.PlotView
	acc    []float64
}

func newCurveView(p *advPane) *curveView {
	v := &curveView{p: p, images: widget.NewEntry(), note: widget.NewLabel("")}
	v.images.SetText("64")
	v.note.Wrapping = fyne.TextWrapWord
	v.note.SetText("Accuracy of the network on the first test images attacked (untargeted, the Attack tab's method, " +
		"norm and steps) at ε = " + epsList() + " /255.")
	v.run = widget.NewButtonWithIcon("Measure", theme.MediaPlayIcon(), v.start)
	v.plot = widgets.NewPlotView(curvePlot(nil))
	form := widget.NewForm(widget.NewFormItem("Test images", v.images))
	v.root = widgets.Pad(6, 4, 6, 6, container.NewBorder(container.NewVBox(v.note, container.NewHBox(form, v.run)), nil, nil, nil, v.plot))
	return v
}

func epsList() string {
	s := make([]string, len(curveEps))
	for i, e := range curveEps {
		s[i] = strconv.FormatFloat(e, 'g', -1, 64)
	}
	return strings.Join(s, ", ")
}

func (v *curveView) start() {
	p := v.p
	if !p.DataOK() {
		v.note.SetText("The curve needs the project's test images: load its dataset.")
		p.LoadData()
		return
	}
	n, err := strconv.Atoi(strings.TrimSpace(v.images.Text))
	set := inspection.Split(p.S.Dataset, "test")
	if err != nil || n < 1 || n > set.Len() {
		v.note.SetText(fmt.Sprintf("%q test images: use a whole number from 1 to %d.", v.images.Text, set.Len()))
		return
	}
	cfg, err := p.config()
	if err != nil {
		v.note.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	// The first of each class in turn: a split stored class by class
	// (CIFAR-10's folders) would otherwise give one class.
	x := make([]float32, 0, n*set.Size())
	labels := make([]int, n)
	for k, i := range data.FirstPerClass(set, n) {
		x = append(x, set.Float(i).Pix...)
		labels[k] = int(set.Labels[i])
	}
	eps := make([]float64, len(curveEps))
	for i, e := range curveEps {
		eps[i] = e / 255
	}
	mdl := p.Model
	err = p.job.Start(fmt.Sprintf("Accuracy against ε on %d test images", n), func(ctx context.Context, report widgets.Report) error {
		nt, err := mdl.Net()
		if err != nil {
			return err
		}
		acc, err := adversarial.Curve(ctx, attrib.Net{Model: nt.Model, Stats: nt.Stats}, x, n, labels, cfg, eps,
			func(done, total int) { report(done, total, "") })
		if err != nil {
			return err
		}
		widgets.Do(func() {
			v.acc = acc
			v.plot.SetPlot(curvePlot(acc))
			v.note.SetText(fmt.Sprintf("%s %s on %d test images: accuracy %.0f%% unattacked, %.0f%% at ε = %g/255.",
				p.method.Selected, p.norm.Selected, n, 100*acc[0], 100*acc[len(acc)-1], curveEps[len(acc)-1]))
		})
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

func curvePlot(acc []float64) *plot.Plot {
	pl := widgets.NewPlot()
	pl.Title.Text = "Accuracy against ε"
	pl.X.Label.Text = "ε (/255)"
	pl.Y.Label.Text = "accuracy"
	pl.Y.Min, pl.Y.Max = 0, 1
	pl.Y.Tick.Marker = widgets.PercentTicks{}
	if len(acc) == 0 {
		return pl
	}
	pts := make(plotter.XYs, len(acc))
	for i, a := range acc {
		pts[i].X, pts[i].Y = curveEps[i], a
	}
	widgets.AddLinePoints(pl, "accuracy", pts, theme.Color(theme.ColorNamePrimary), 3)
	return pl
}
