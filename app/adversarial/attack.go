package adversarial

import (
	"context"
	"fmt"
	"image"
	"math"
	"sort"
	"strconv"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/engine/adversarial"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/widgets"
)

// net is the attribution view of the model's first network (UI goroutine).
func net(m *inspection.Model) attrib.Net {
	return attrib.Net{Model: m.First.Model, Stats: m.First.Stats}
}

// config reads the attack settings.
func (p *advPane) config() (adversarial.Config, error) {
	cfg := adversarial.Config{Method: strings.ToLower(p.method.Selected), Norm: adversarial.LInf, Eps: p.eps.Value / 255, Seed: 1, Batch: 32}
	if p.norm.Selected == "L2" {
		cfg.Norm = adversarial.L2
	}
	if cfg.Method == adversarial.PGD {
		n, err := strconv.Atoi(strings.TrimSpace(p.steps.Text))
		if err != nil || n < 1 || n > 10000 {
			return cfg, fmt.Errorf("%q steps: use a whole number from 1 to 10000", p.steps.Text)
		}
		cfg.Steps = n
		if t := strings.TrimSpace(p.stepSize.Text); t != "" {
			v, err := strconv.ParseFloat(t, 64)
			if err != nil || !(v > 0) || math.IsInf(v, 0) {
				return cfg, fmt.Errorf("step size %q: use a number of /255 units above 0, or leave it empty", t)
			}
			cfg.StepSize = v / 255
		}
	}
	return cfg, nil
}

// runAttack attacks the image on a job, keeping every iteration.
func (p *advPane) runAttack() {
	if p.x == nil || p.Model == nil {
		p.info.SetText("Choose an image first: a test image number or an image file.")
		return
	}
	cfg, err := p.config()
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		return
	}
	goal := p.label
	if goal < 0 {
		goal = p.pred
	}
	if cfg.Targeted = p.targeted.Checked; cfg.Targeted {
		if goal, err = p.ClassIndex(p.target.Text, net(p.Model).Classes()); err != nil {
			p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
			return
		}
	}
	x, mdl := p.x, p.Model
	do := uiDo(p.job.Sync)
	err = p.job.Start(fmt.Sprintf("%s attack, ε %g/255", p.method.Selected, p.eps.Value), func(ctx context.Context, report widgets.Report) error {
		n, err := mdl.Net()
		if err != nil {
			return err
		}
		an := attrib.Net{Model: n.Model, Stats: n.Stats}
		var frames [][]float32
		cfg.Iterate = func(_ int, a []float32) { frames = append(frames, append([]float32(nil), a...)) }
		cfg.Progress = func(done, total int) { report(done, total, "") }
		res, err := adversarial.Run(ctx, an, x, 1, []int{goal}, cfg)
		if err != nil {
			return err
		}
		if len(frames) == 0 {
			frames = [][]float32{res.Adv}
		}
		all := make([]float32, 0, len(frames)*len(x))
		for _, f := range frames {
			all = append(all, f...)
		}
		probs := attrib.Softmax(an.Logits(all, len(frames)), len(frames))
		do(func() {
			if len(p.x) == len(x) && &p.x[0] == &x[0] {
				p.view.show(x, frames, probs, res)
			}
		})
		return nil
	}, func(err error) {
		if err != nil && !widgets.Cancelled(err) {
			p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
		}
	})
	if err != nil {
		p.info.SetText(widgets.FirstUpper(err.Error()) + ".")
	}
}

// attackView shows the original, the magnified difference and the
// adversarial image of one iteration, and the class probabilities before
// and after it.
type attackView struct {
	p                 *advPane
	root              fyne.CanvasObject
	orig, diff, adv   *canvas.Image
	diffCap, advCap   *widget.Label
	step              *widget.Slider
	stepLabel, result *widget.Label
	bars              *widgets.PlotView

	x      []float32
	before []float32
	frames [][]float32
	probs  []float32 // per frame, classes each
}

func picture(min float32) *canvas.Image {
	r := canvas.NewImageFromImage(nil)
	r.FillMode = canvas.ImageFillContain
	r.ScaleMode = canvas.ImageScalePixels
	r.SetMinSize(fyne.NewSquareSize(min))
	return r
}

func newAttackView(p *advPane) *attackView {
	v := &attackView{p: p, orig: picture(160), diff: picture(160), adv: picture(160),
		diffCap: widget.NewLabel("Difference"), advCap: widget.NewLabel("Adversarial"),
		stepLabel: widget.NewLabel(""), result: widget.NewLabel("")}
	v.result.Wrapping = fyne.TextWrapWord
	v.step = widget.NewSlider(0, 0)
	v.step.OnChanged = func(f float64) { v.showStep(int(f)) }
	v.bars = widgets.NewPlotView(v.barPlot(-1))
	cap := func(s string) *widget.Label { l := widget.NewLabel(s); l.Alignment = fyne.TextAlignCenter; return l }
	v.diffCap.Alignment, v.advCap.Alignment = fyne.TextAlignCenter, fyne.TextAlignCenter
	pics := container.NewGridWithColumns(3,
		container.NewBorder(nil, cap("Original"), nil, nil, v.orig),
		container.NewBorder(nil, v.diffCap, nil, nil, v.diff),
		container.NewBorder(nil, v.advCap, nil, nil, v.adv))
	stepRow := container.NewBorder(nil, nil, widget.NewLabel("Iteration"), v.stepLabel, v.step)
	v.root = container.NewBorder(container.NewVBox(pics, stepRow, v.result), nil, nil, nil, v.bars)
	return v
}

func (v *attackView) clear() {
	v.x, v.before, v.frames, v.probs = nil, nil, nil, nil
	for _, c := range []*canvas.Image{v.orig, v.diff, v.adv} {
		c.Image = nil
		c.Refresh()
	}
	v.step.Max = 0
	v.step.SetValue(0)
	v.stepLabel.SetText("")
	v.result.SetText("")
	v.bars.SetPlot(v.barPlot(-1))
}

// original shows a newly chosen image before any attack.
func (v *attackView) original(x, probs []float32) {
	v.clear()
	v.x, v.before = x, probs
	in := v.p.Model.In
	v.orig.Image = attrib.PixelImage(x, in[0], in[1], in[2])
	v.orig.Refresh()
	v.bars.SetPlot(v.barPlot(-1))
}

// show takes a finished attack: its iterations and their probabilities.
func (v *attackView) show(x []float32, frames [][]float32, probs []float32, res *adversarial.Result) {
	v.frames, v.probs = frames, probs
	p := v.p
	k := res.Pred[0]
	verdict := "failed"
	if res.Success[0] {
		verdict = "succeeded"
	}
	v.result.SetText(fmt.Sprintf("The attack %s: the network now says %s. Change: L∞ %.1f/255, L2 %.3f.",
		verdict, p.ClassName(k), 255*res.LInf, res.L2))
	v.step.Max = float64(len(frames) - 1)
	v.step.SetValue(v.step.Max)
	v.showStep(len(frames) - 1)
}

// showStep draws iteration i.
func (v *attackView) showStep(i int) {
	if i < 0 || i >= len(v.frames) {
		return
	}
	in := v.p.Model.In
	a := v.frames[i]
	v.adv.Image = attrib.PixelImage(a, in[0], in[1], in[2])
	img, mag := difference(v.x, a, in)
	v.diff.Image = img
	v.diffCap.SetText(fmt.Sprintf("Difference ×%.0f", mag))
	c := len(v.before)
	k := attrib.Argmax(v.probs[i*c:(i+1)*c], 1)[0]
	v.advCap.SetText(fmt.Sprintf("Adversarial: %s (%.0f%%)", v.p.ClassName(k), 100*v.probs[i*c+k]))
	v.stepLabel.SetText(fmt.Sprintf("%d of %d", i, len(v.frames)-1))
	v.adv.Refresh()
	v.diff.Refresh()
	v.bars.SetPlot(v.barPlot(i))
}

// difference draws a − x magnified so its largest change reaches half the
// pixel range, around mid grey.
func difference(x, a []float32, in []int) (image.Image, float64) {
	big := 0.0
	for i := range x {
		big = math.Max(big, math.Abs(float64(a[i]-x[i])))
	}
	mag := 1.0
	if big > 0 {
		mag = 0.5 / big
	}
	d := make([]float32, len(x))
	for i := range x {
		d[i] = float32(0.5 + mag*float64(a[i]-x[i]))
	}
	return attrib.PixelImage(d, in[0], in[1], in[2]), mag
}

// barPlot compares the probabilities of the likeliest classes before the
// attack and at iteration i (i < 0: before only).
func (v *attackView) barPlot(i int) *plot.Plot {
	pl := widgets.NewPlot()
	pl.Title.Text = "Class probabilities"
	pl.Y.Min, pl.Y.Max = 0, 1
	if v.before == nil {
		return pl
	}
	c := len(v.before)
	var after []float32
	if i >= 0 {
		after = v.probs[i*c : (i+1)*c]
	}
	top := topClasses(v.before, after, 8)
	names := make([]string, len(top))
	b, a := make(plotter.Values, len(top)), make(plotter.Values, len(top))
	for j, k := range top {
		names[j] = v.p.ClassName(k)
		b[j] = float64(v.before[k])
		if after != nil {
			a[j] = float64(after[k])
		}
	}
	w := vg.Points(10)
	bb, _ := plotter.NewBarChart(b, w)
	bb.Color = theme.Color(theme.ColorNamePrimary)
	bb.Offset = -w / 2
	pl.Add(bb)
	pl.Legend.Add("before", bb)
	if after != nil {
		ab, _ := plotter.NewBarChart(a, w)
		ab.Color = theme.Color(theme.ColorNameError)
		ab.Offset = w / 2
		pl.Add(ab)
		pl.Legend.Add("after", ab)
	}
	pl.Legend.Top = true
	pl.NominalX(names...)
	return pl
}

// topClasses is the n likeliest classes of before and after together.
func topClasses(before, after []float32, n int) []int {
	score := func(k int) float32 {
		s := before[k]
		if after != nil && after[k] > s {
			s = after[k]
		}
		return s
	}
	idx := make([]int, len(before))
	for k := range idx {
		idx[k] = k
	}
	sort.SliceStable(idx, func(a, b int) bool { return score(idx[a]) > score(idx[b]) })
	return idx[:min(n, len(idx))]
}

// uiDo is how a job shows its results: on the UI goroutine, or at once
// when the job runs synchronously (render-panes).
func uiDo(sync bool) func(func()) {
	if sync {
		return func(fn func()) { fn() }
	}
	return widgets.Do
}
