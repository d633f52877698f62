package trainui

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

// Colours of the Train pane's plots.
var (
	colPoints  = color.NRGBA{R: 59, G: 130, B: 246, A: 70}
	colBad     = color.NRGBA{R: 220, G: 38, B: 38, A: 255}
	colWarn    = color.NRGBA{R: 217, G: 119, B: 6, A: 255}
	colGood    = color.NRGBA{R: 22, G: 163, B: 74, A: 255}
	colNeutral = color.NRGBA{R: 120, G: 120, B: 130, A: 255}
	colGrid    = color.NRGBA{R: 128, G: 128, B: 128, A: 45}
)

// seriesColors tell many runs apart (search trials, layers).
var seriesColors = []color.NRGBA{
	{R: 59, G: 130, B: 246, A: 255}, {R: 245, G: 158, B: 11, A: 255}, {R: 16, G: 185, B: 129, A: 255},
	{R: 239, G: 68, B: 68, A: 255}, {R: 139, G: 92, B: 246, A: 255}, {R: 236, G: 72, B: 153, A: 255},
	{R: 20, G: 184, B: 166, A: 255}, {R: 132, G: 204, B: 22, A: 255}, {R: 100, G: 116, B: 139, A: 255},
	{R: 234, G: 88, B: 12, A: 255},
}

func seriesColor(i int) color.NRGBA { return seriesColors[i%len(seriesColors)] }

// gridLines adds faint horizontal grid lines.
func gridLines(p *plot.Plot, vertical bool) {
	g := plotter.NewGrid()
	g.Horizontal.Color = colGrid
	g.Vertical.Color = color.NRGBA{}
	if vertical {
		g.Vertical.Color = colGrid
	}
	p.Add(g)
}

// legendTopRight places the legend inside the top right corner.
func legendTopRight(p *plot.Plot) {
	p.Legend.Top, p.Legend.Left = true, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(4), -vg.Points(2)
}

// movingAverage is the trailing mean of the last w values at each point.
func movingAverage(v []float64, w int) []float64 {
	out := make([]float64, len(v))
	sum, n := 0.0, 0
	for i, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			out[i] = math.NaN()
			continue
		}
		sum += x
		n++
		if i >= w {
			if old := v[i-w]; !math.IsNaN(old) && !math.IsInf(old, 0) {
				sum -= old
				n--
			}
		}
		out[i] = sum / float64(max(n, 1))
	}
	return out
}

// curveData is what the loss and accuracy plots show for one run, live or
// from the project's history.
type curveData struct {
	Losses     []float64 // per recorded iteration
	LossEvery  int       // Losses[i] is iteration i*LossEvery (0-based)
	Iterations int       // iterations done
	PerEpoch   int       // iterations per epoch (0 when unknown)
	Epochs     []projects.EpochMetrics
	Planned    int // epochs planned
	// Offset is the iteration of Losses[0] (0: the run's first).
	Offset int
}

// curveOfRun reads a run of the project's history.
func curveOfRun(r *projects.Run) curveData {
	c := curveData{LossEvery: max(r.LossEvery, 1), Iterations: r.Iterations, Epochs: r.Epochs, Planned: r.Hyper.Epochs}
	c.Losses = make([]float64, len(r.Losses))
	for i, l := range r.Losses {
		c.Losses[i] = float64(l)
	}
	if n := len(r.Epochs); n > 0 && r.Iterations > 0 {
		c.PerEpoch = int(math.Round(float64(r.Iterations) / float64(n)))
		if r.Status == projects.RunRunning || r.Status == projects.RunStopped || r.Status == projects.RunFailed {
			c.PerEpoch = 0 // the last epoch may be partial
		}
	}
	return c
}

// lossPlot draws every iteration's training loss as a faint scatter with
// its moving average, and the validation loss at the end of each epoch.
func lossPlot(c curveData) *plot.Plot {
	if len(c.Losses) == 0 && len(c.Epochs) > 0 {
		return epochLossPlot(c) // a run trained under torchrun
	}
	p := widgets.NewPlot()
	p.Title.Text = "Training loss per iteration"
	p.X.Label.Text = "iteration"
	p.Y.Label.Text = "loss"
	p.Y.Tick.Marker = fineTicks{}
	gridLines(p, false)
	every := max(c.LossEvery, 1)
	var pts plotter.XYs
	var vals []float64
	for i, l := range c.Losses {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			continue
		}
		pts = append(pts, plotter.XY{X: float64(c.Offset + i*every + 1), Y: l})
		vals = append(vals, l)
	}
	if len(pts) == 0 {
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 100, 0, 2.5
		return p
	}
	// Thin a very long run's scatter: the average still uses every point.
	show := pts
	if stride := len(pts)/3000 + 1; stride > 1 {
		show = nil
		for i := 0; i < len(pts); i += stride {
			show = append(show, pts[i])
		}
	}
	sc, _ := plotter.NewScatter(show)
	sc.GlyphStyle.Shape = draw.CircleGlyph{}
	sc.GlyphStyle.Radius = vg.Points(1.3)
	sc.GlyphStyle.Color = colPoints
	p.Add(sc)
	w := min(max(len(vals)/12, 5), 200)
	avg := movingAverage(vals, w)
	var line plotter.XYs
	for i, a := range avg {
		if i >= min(w, len(avg)-1)/2 {
			line = append(line, plotter.XY{X: pts[i].X, Y: a})
		}
	}
	if len(line) > 1 {
		l, _ := plotter.NewLine(line)
		l.Color, l.Width = widgets.ColorTrain, vg.Points(2)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("train (mean of %d)", w), l)
	}
	var valPts plotter.XYs
	per := c.PerEpoch
	if per == 0 && len(c.Epochs) > 0 && c.Iterations > 0 {
		per = c.Iterations / len(c.Epochs)
	}
	for _, e := range c.Epochs {
		if !math.IsNaN(e.ValLoss) && !math.IsInf(e.ValLoss, 0) && per > 0 {
			valPts = append(valPts, plotter.XY{X: float64(e.Epoch * per), Y: e.ValLoss})
		}
	}
	if len(valPts) > 0 {
		l, s, _ := plotter.NewLinePoints(valPts)
		l.Color, l.Width = widgets.ColorVal, vg.Points(1.5)
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		s.Shape, s.Color, s.Radius = draw.CircleGlyph{}, widgets.ColorVal, vg.Points(3)
		p.Add(l, s)
		p.Legend.Add("validation (epoch end)", l, s)
	}
	// Keep the axis on the bulk of the losses: a blow-up at the start
	// would flatten the rest of the curve.
	lo, hi := quantile(vals, 0.0), quantile(vals, 0.995)
	for _, v := range valPts {
		lo, hi = math.Min(lo, v.Y), math.Max(hi, v.Y)
	}
	p.Y.Min, p.Y.Max = math.Max(0, lo-0.05*(hi-lo)), hi+0.05*(hi-lo)+1e-6
	p.X.Min = 0
	if c.Planned > 0 && per > 0 {
		p.X.Max = float64(c.Planned * per)
	}
	legendTopRight(p)
	return p
}

// quantile returns the q-quantile of v (NaNs excluded).
func quantile(v []float64, q float64) float64 {
	s := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) && !math.IsInf(x, 0) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return 0
	}
	sort.Float64s(s)
	return s[int(math.Round(q*float64(len(s)-1)))]
}

// accuracyPlot draws training and validation accuracy per epoch.
func accuracyPlot(c curveData) *plot.Plot {
	p := widgets.NewPlot()
	p.Title.Text = "Accuracy per epoch"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "accuracy"
	p.Y.Tick.Marker = widgets.PercentTicks{}
	gridLines(p, false)
	planned := max(c.Planned, len(c.Epochs), 1)
	p.X.Min, p.X.Max = 0.8, float64(planned)+0.2
	p.X.Tick.Marker = epochTicks{}
	var trainPts, valPts plotter.XYs
	lo := 1.0
	for _, e := range c.Epochs {
		if !math.IsNaN(e.TrainAcc) {
			trainPts = append(trainPts, plotter.XY{X: float64(e.Epoch), Y: e.TrainAcc})
			lo = math.Min(lo, e.TrainAcc)
		}
		if !math.IsNaN(e.ValAcc) {
			valPts = append(valPts, plotter.XY{X: float64(e.Epoch), Y: e.ValAcc})
			lo = math.Min(lo, e.ValAcc)
		}
	}
	widgets.AddLinePoints(p, "train", trainPts, widgets.ColorTrain, vg.Points(3))
	widgets.AddLinePoints(p, "validation", valPts, widgets.ColorVal, vg.Points(3))
	if len(trainPts)+len(valPts) == 0 {
		p.Y.Min, p.Y.Max = 0, 1
	} else {
		p.Y.Min = math.Max(0, math.Floor((lo-0.05)*10)/10)
		p.Y.Max = 1
	}
	p.Legend.Top, p.Legend.Left = false, false
	p.Legend.XOffs, p.Legend.YOffs = -vg.Points(4), vg.Points(4)
	return p
}

// epochTicks labels whole epochs only.
type epochTicks struct{}

func (epochTicks) Ticks(lo, hi float64) []plot.Tick {
	n := int(math.Floor(hi)) - int(math.Ceil(lo)) + 1
	step := 1
	for n/step > 10 {
		step *= 2
	}
	var out []plot.Tick
	for e := int(math.Ceil(lo)); float64(e) <= hi; e++ {
		t := plot.Tick{Value: float64(e)}
		if e%step == 0 || step == 1 {
			t.Label = strconv.Itoa(e)
		}
		out = append(out, t)
	}
	return out
}

// schedulePlot draws the learning rate over the run.
func schedulePlot(xs, ys []float64, epochs int) *plot.Plot {
	p := widgets.NewPlot()
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "learning rate"
	gridLines(p, false)
	var pts plotter.XYs
	hi := 0.0
	for i := range xs {
		pts = append(pts, plotter.XY{X: xs[i], Y: ys[i]})
		hi = math.Max(hi, ys[i])
	}
	if len(pts) > 1 {
		l, _ := plotter.NewLine(pts)
		l.Color, l.Width = widgets.ColorTrain, vg.Points(2)
		p.Add(l)
	}
	p.X.Min, p.X.Max = 0, float64(max(epochs, 1))
	p.Y.Min, p.Y.Max = 0, math.Max(hi*1.1, 1e-12)
	p.Y.Tick.Marker = rateTicks{}
	return p
}

// fineTicks are gonum's default ticks labelled with as many decimals as
// their spacing needs (gonum writes 2.3 three times on a narrow range).
type fineTicks struct{}

func (fineTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := (plot.DefaultTicks{}).Ticks(lo, hi)
	var labelled []float64
	for _, t := range ticks {
		if t.Label != "" {
			labelled = append(labelled, t.Value)
		}
	}
	if len(labelled) < 2 {
		return ticks
	}
	step := labelled[1] - labelled[0]
	dec := max(0, int(math.Ceil(-math.Log10(step)-1e-9)))
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(t.Value, 'f', dec, 64)
		}
	}
	return ticks
}

// rateTicks labels learning rates compactly: 0.001, 5e-4.
type rateTicks struct{}

func (rateTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = shortNum(t.Value)
		}
	}
	return ticks
}

// shortNum writes a number in at most about 6 characters: 0.001, 2.5e-5.
func shortNum(v float64) string {
	if a := math.Abs(v); v == 0 || a >= 1e-3 && a < 1e4 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(v, 'e', 1, 64), "e")
	mant = strings.TrimSuffix(strings.TrimRight(mant, "0"), ".")
	sign := ""
	if exp[0] == '-' {
		sign = "-"
	}
	exp = strings.TrimLeft(exp[1:], "0")
	if exp == "" {
		exp = "0"
	}
	return mant + "e" + sign + exp
}

// logTicks marks the powers of ten of a log axis (labelled 1e-4) and the
// 2..9 multiples between them (unlabelled).
type logTicks struct{}

func (logTicks) Ticks(lo, hi float64) []plot.Tick {
	if lo <= 0 || hi <= lo {
		return nil
	}
	var out []plot.Tick
	e0, e1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	span := e1 - e0
	for e := e0; e <= e1; e++ {
		base := math.Pow(10, float64(e))
		for k := 1; k <= 9; k++ {
			v := float64(k) * base
			if v < lo*(1-1e-9) || v > hi*(1+1e-9) {
				continue
			}
			t := plot.Tick{Value: v}
			switch {
			case k == 1:
				t.Label = shortNum(v)
			case span <= 1 && (k == 2 || k == 5):
				t.Label = shortNum(v)
			}
			out = append(out, t)
		}
	}
	if countLabels(out) < 2 {
		for i, t := range out {
			m := t.Value / math.Pow(10, math.Floor(math.Log10(t.Value)+1e-9))
			if k := math.Round(m); k == 1 || k == 2 || k == 5 {
				out[i].Label = shortNum(t.Value)
			}
		}
	}
	return out
}

func countLabels(ts []plot.Tick) int {
	n := 0
	for _, t := range ts {
		if t.Label != "" {
			n++
		}
	}
	return n
}

// logAxis makes an axis logarithmic over [lo, hi] (widened a little).
func logAxis(a *plot.Axis, lo, hi float64) {
	if !(lo > 0) || !(hi > 0) {
		lo, hi = 1e-6, 1
	}
	if hi <= lo*1.0001 {
		lo, hi = lo/2, hi*2
	}
	a.Scale = plot.LogScale{}
	a.Tick.Marker = logTicks{}
	a.Min, a.Max = lo/1.25, hi*1.25
}

// ---- babysitting plots ----

// overfitPlot draws the loss and accuracy on the small subset per epoch.
func overfitPlot(h []train.EpochMetrics) *plot.Plot {
	p := widgets.NewPlot()
	p.Title.Text = "Overfitting a few batches"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "accuracy (subset)"
	p.Y.Tick.Marker = widgets.PercentTicks{}
	gridLines(p, false)
	var pts plotter.XYs
	for _, e := range h {
		v := e.ValAcc
		if math.IsNaN(v) {
			v = e.TrainAcc
		}
		pts = append(pts, plotter.XY{X: float64(e.Epoch), Y: v})
	}
	if len(pts) > 0 {
		l, _ := plotter.NewLine(pts)
		l.Color, l.Width = widgets.ColorTrain, vg.Points(2)
		p.Add(l)
	}
	p.Y.Min, p.Y.Max = 0, 1.02
	p.X.Min = 0
	p.X.Max = float64(max(len(h), 2))
	p.X.Tick.Marker = fineTicks{}
	return p
}

// lrFinderPlot draws the loss along the learning-rate sweep, its smoothed
// curve and the suggested rate.
func lrFinderPlot(r *train.LRFinderResult) *plot.Plot {
	p := widgets.NewPlot()
	p.Title.Text = "Loss against learning rate"
	p.X.Label.Text = "learning rate"
	p.Y.Label.Text = "loss"
	gridLines(p, true)
	if len(r.LRs) == 0 {
		return p
	}
	var raw, sm plotter.XYs
	for i := range r.LRs {
		raw = append(raw, plotter.XY{X: r.LRs[i], Y: r.Losses[i]})
		sm = append(sm, plotter.XY{X: r.LRs[i], Y: r.Smoothed[i]})
	}
	sc, _ := plotter.NewScatter(raw)
	sc.GlyphStyle.Shape, sc.GlyphStyle.Color, sc.GlyphStyle.Radius = draw.CircleGlyph{}, colPoints, vg.Points(1.6)
	l, _ := plotter.NewLine(sm)
	l.Color, l.Width = widgets.ColorTrain, vg.Points(2)
	p.Add(sc, l)
	p.Legend.Add("smoothed loss", l)
	logAxis(&p.X, r.LRs[0], r.LRs[len(r.LRs)-1])
	lo, hi := quantile(r.Smoothed, 0), quantile(r.Losses, 0.9)
	first := r.Smoothed[0]
	hi = math.Max(math.Min(hi, 3*first), first*1.05)
	p.Y.Min, p.Y.Max = math.Max(0, lo-0.1*(hi-lo)), hi
	if r.Suggested > 0 {
		v, _ := plotter.NewLine(plotter.XYs{{X: r.Suggested, Y: p.Y.Min}, {X: r.Suggested, Y: p.Y.Max}})
		v.Color, v.Width = colGood, vg.Points(1.5)
		v.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(v)
		p.Legend.Add("suggested "+shortNum(r.Suggested), v)
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(4), -vg.Points(2)
	return p
}
