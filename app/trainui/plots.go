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
	for _, s := range []struct {
		name string
		pts  plotter.XYs
		c    color.NRGBA
	}{{"train", trainPts, widgets.ColorTrain}, {"validation", valPts, widgets.ColorVal}} {
		if len(s.pts) == 0 {
			continue
		}
		l, pts, _ := plotter.NewLinePoints(s.pts)
		l.Color, l.Width = s.c, vg.Points(2)
		pts.Shape, pts.Color, pts.Radius = draw.CircleGlyph{}, s.c, vg.Points(3)
		p.Add(l, pts)
		p.Legend.Add(s.name, l, pts)
	}
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

// ---- layer statistics ----

// histogramPlot draws one layer's activation histogram, red when the
// layer is flagged.
func histogramPlot(s train.LayerStats, flag layerFlag) *plot.Plot {
	p := widgets.NewPlot()
	p.Title.Text = fmt.Sprintf("%s (%s)", s.Node, s.Op)
	p.Title.TextStyle.Font.Size = vg.Points(8.5)
	p.X.Label.Text = fmt.Sprintf("mean %s · std %s", shortNum(s.Mean), shortNum(s.Std))
	if s.Op == "relu" {
		p.X.Label.Text += fmt.Sprintf(" · %.0f%% zero", 100*s.Zero)
	}
	p.X.Label.TextStyle.Font.Size = vg.Points(7.5)
	p.X.Tick.Label.Font.Size = vg.Points(6.5)
	p.Y.Tick.Marker = plot.ConstantTicks(nil)
	p.Y.Padding = 0
	h := s.Hist
	if len(h.Counts) == 0 || h.Hi <= h.Lo {
		return p
	}
	c := widgets.ColorTrain
	switch flag.level {
	case flagBad:
		c = colBad
	case flagWarn:
		c = colWarn
	}
	bars := &histBars{lo: h.Lo, hi: h.Hi, counts: h.Counts, c: c}
	p.Add(bars)
	p.X.Min, p.X.Max = h.Lo, h.Hi
	p.Y.Min = 0
	p.X.Tick.Marker = fewTicks{}
	return p
}

// fewTicks are the default ticks without the labels near the ends, which
// would overhang a small histogram.
type fewTicks struct{}

func (fewTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := (plot.DefaultTicks{}).Ticks(lo, hi)
	for i, t := range ticks {
		if t.Label != "" && (t.Value-lo < 0.15*(hi-lo) || hi-t.Value < 0.15*(hi-lo)) {
			ticks[i].Label = ""
		}
	}
	return ticks
}

// histBars draws a histogram as filled bars.
type histBars struct {
	lo, hi float64
	counts []int
	c      color.Color
}

func (b *histBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	w := (b.hi - b.lo) / float64(len(b.counts))
	for i, n := range b.counts {
		if n == 0 {
			continue
		}
		x0, x1 := trX(b.lo+float64(i)*w), trX(b.lo+float64(i+1)*w)
		y0, y1 := trY(0), trY(float64(n))
		c.FillPolygon(b.c, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
	}
}

func (b *histBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	top := 1
	for _, n := range b.counts {
		top = max(top, n)
	}
	return b.lo, b.hi, 0, float64(top) * 1.05
}

// ratioPlot draws each weighted layer's update-to-weight ratio over the
// iterations on a log axis, with the healthy band around 1e-3.
func ratioPlot(series []ratioSeries) *plot.Plot {
	p := widgets.NewPlot()
	p.Title.Text = "Update / weight ratio"
	p.X.Label.Text = "iteration"
	p.Y.Label.Text = "|Δw| / |w|"
	gridLines(p, false)
	lo, hi := 1e-4, 1e-2
	xmax := 1.0
	for i, s := range series {
		var pts plotter.XYs
		for _, pt := range s.pts {
			if pt.Y > 0 {
				pts = append(pts, pt)
				lo, hi = math.Min(lo, pt.Y), math.Max(hi, pt.Y)
				xmax = math.Max(xmax, pt.X)
			}
		}
		if len(pts) == 0 {
			continue
		}
		l, _ := plotter.NewLine(pts)
		l.Color, l.Width = seriesColor(i), vg.Points(1.5)
		p.Add(l)
		p.Legend.Add(s.node, l)
	}
	band := &hband{lo: 3e-4, hi: 3e-3, c: color.NRGBA{R: 22, G: 163, B: 74, A: 30}}
	p.Add(band)
	logAxis(&p.Y, lo, hi)
	p.X.Min, p.X.Max = 0, xmax
	legendTopRight(p)
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	return p
}

// ratioSeries is one layer's ratio over the iterations.
type ratioSeries struct {
	node string
	pts  plotter.XYs
}

// hband shades a horizontal band of the plot.
type hband struct {
	lo, hi float64
	c      color.Color
}

func (b *hband) Plot(c draw.Canvas, p *plot.Plot) {
	_, trY := p.Transforms(&c)
	y0, y1 := trY(b.lo), trY(b.hi)
	y0 = max(min(y0, c.Max.Y), c.Min.Y)
	y1 = max(min(y1, c.Max.Y), c.Min.Y)
	c.FillPolygon(b.c, []vg.Point{{X: c.Min.X, Y: y0}, {X: c.Max.X, Y: y0}, {X: c.Max.X, Y: y1}, {X: c.Min.X, Y: y1}})
}

// layerStdPlot draws the activation and gradient standard deviations per
// layer, in network order (the lecture's plot of how they shrink or grow
// through the depth).
func layerStdPlot(stats []train.LayerStats) *plot.Plot {
	p := widgets.NewPlot()
	p.Title.Text = "Spread through the network"
	p.Y.Label.Text = "standard deviation"
	gridLines(p, false)
	var act, grad plotter.XYs
	var ticks []plot.Tick
	lo, hi := 1e-3, 1.0
	for i, s := range stats {
		x := float64(i)
		ticks = append(ticks, plot.Tick{Value: x, Label: s.Node})
		if s.Std > 0 {
			act = append(act, plotter.XY{X: x, Y: s.Std})
			lo, hi = math.Min(lo, s.Std), math.Max(hi, s.Std)
		}
		if s.GradStd > 0 {
			grad = append(grad, plotter.XY{X: x, Y: s.GradStd})
			lo, hi = math.Min(lo, s.GradStd), math.Max(hi, s.GradStd)
		}
	}
	for _, s := range []struct {
		name string
		pts  plotter.XYs
		c    color.NRGBA
	}{{"activations", act, widgets.ColorTrain}, {"gradients", grad, widgets.ColorVal}} {
		if len(s.pts) == 0 {
			continue
		}
		l, pts, _ := plotter.NewLinePoints(s.pts)
		l.Color, l.Width = s.c, vg.Points(2)
		pts.Shape, pts.Color, pts.Radius = draw.CircleGlyph{}, s.c, vg.Points(2.5)
		p.Add(l, pts)
		p.Legend.Add(s.name, l, pts)
	}
	logAxis(&p.Y, lo, hi)
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Tick.Label.Rotation = math.Pi / 5
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.Font.Size = vg.Points(7)
	p.X.Min, p.X.Max = -0.5, float64(max(len(stats), 1))-0.5
	legendTopRight(p)
	return p
}

// ---- search ----

// accVsParamPlot is the command centre's scatter: each trial's best
// validation accuracy against one hyper-parameter on a log axis; the best
// trial is ringed.
func accVsParamPlot(trials []searchTrial, param, label string) *plot.Plot {
	p := widgets.NewPlot()
	p.Title.Text = "Validation accuracy"
	p.X.Label.Text = label
	p.Y.Tick.Marker = widgets.PercentTicks{}
	gridLines(p, true)
	var ok, bad plotter.XYs
	lo, hi := math.Inf(1), math.Inf(-1)
	ylo := 1.0
	best, bestAcc := -1, -1.0
	for i, t := range trials {
		x := t.Params[param]
		if !(x > 0) {
			continue
		}
		lo, hi = math.Min(lo, x), math.Max(hi, x)
		if t.failed() {
			bad = append(bad, plotter.XY{X: x, Y: 0})
			continue
		}
		ok = append(ok, plotter.XY{X: x, Y: t.ValAcc})
		ylo = math.Min(ylo, t.ValAcc)
		if t.ValAcc > bestAcc {
			best, bestAcc = i, t.ValAcc
		}
	}
	if len(ok) > 0 {
		s, _ := plotter.NewScatter(ok)
		s.GlyphStyle.Shape, s.GlyphStyle.Color, s.GlyphStyle.Radius = draw.CircleGlyph{}, widgets.ColorTrain, vg.Points(3.5)
		p.Add(s)
		p.Legend.Add("trial", s)
	}
	if len(bad) > 0 {
		s, _ := plotter.NewScatter(bad)
		s.GlyphStyle.Shape, s.GlyphStyle.Color, s.GlyphStyle.Radius = draw.CrossGlyph{}, colBad, vg.Points(3.5)
		p.Add(s)
		p.Legend.Add("diverged", s)
		ylo = 0
	}
	if best >= 0 {
		s, _ := plotter.NewScatter(plotter.XYs{{X: trials[best].Params[param], Y: bestAcc}})
		s.GlyphStyle.Shape, s.GlyphStyle.Color, s.GlyphStyle.Radius = draw.RingGlyph{}, colGood, vg.Points(7)
		p.Add(s)
		p.Legend.Add("best", s)
	}
	if math.IsInf(lo, 0) {
		lo, hi = 1e-4, 1e-2
	}
	logAxis(&p.X, lo, hi)
	p.Y.Min, p.Y.Max = math.Max(0, math.Floor(ylo*10)/10-0.05), 1
	if len(ok)+len(bad) == 0 {
		p.Y.Min = 0
	}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(4), -vg.Points(2)
	return p
}

// allLossPlot draws every trial's training loss (moving average) on one
// plot; the best is drawn thick.
func allLossPlot(trials []searchTrial) *plot.Plot {
	p := widgets.NewPlot()
	p.Title.Text = "Loss of every trial"
	p.X.Label.Text = "iteration"
	p.Y.Label.Text = "training loss (smoothed)"
	gridLines(p, false)
	best, bestAcc := -1, -1.0
	for i, t := range trials {
		if !t.failed() && t.ValAcc > bestAcc {
			best, bestAcc = i, t.ValAcc
		}
	}
	var all []float64
	xmax := 1.0
	for i, t := range trials {
		if len(t.Losses) < 2 {
			continue
		}
		w := min(max(len(t.Losses)/20, 3), 50)
		avg := movingAverage(t.Losses, w)
		var pts plotter.XYs
		for j, a := range avg {
			if math.IsNaN(a) {
				continue
			}
			pts = append(pts, plotter.XY{X: float64(j + 1), Y: a})
			all = append(all, a)
		}
		if len(pts) < 2 {
			continue
		}
		xmax = math.Max(xmax, float64(len(avg)))
		l, _ := plotter.NewLine(pts)
		c := seriesColor(t.Index)
		l.Color, l.Width = c, vg.Points(1.2)
		if i == best {
			l.Width = vg.Points(3)
			p.Legend.Add("best: #"+strconv.Itoa(t.Index+1), l)
		}
		p.Add(l)
	}
	if len(all) > 0 {
		hi := quantile(all, 0.98)
		lo := quantile(all, 0)
		p.Y.Min, p.Y.Max = math.Max(0, lo-0.05*(hi-lo)), hi*1.05+1e-6
	}
	p.X.Min, p.X.Max = 0, xmax
	legendTopRight(p)
	return p
}

// ---- evaluation ----

// confusionPlot draws a confusion matrix as a heat map: rows are the true
// classes (first at the top), columns the predictions, shaded by the
// fraction of the row, with the counts written in.
func confusionPlot(conf [][]int, classes []string) *plot.Plot {
	p := widgets.NewPlot()
	p.Title.Text = "Confusion matrix"
	p.X.Label.Text = "predicted"
	p.Y.Label.Text = "true class"
	k := len(conf)
	hm := &heatCells{conf: conf}
	p.Add(hm)
	var xt, yt []plot.Tick
	for i := 0; i < k; i++ {
		name := ""
		if i < len(classes) {
			name = widgets.Short(classes[i])
		}
		xt = append(xt, plot.Tick{Value: float64(i), Label: name})
		yt = append(yt, plot.Tick{Value: float64(k - 1 - i), Label: name})
	}
	p.X.Tick.Marker = plot.ConstantTicks(xt)
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.X.Tick.Label.Rotation = math.Pi / 4
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.YAlign = draw.YCenter
	p.X.Tick.Label.Font.Size = vg.Points(8)
	p.Y.Tick.Label.Font.Size = vg.Points(8)
	p.X.Min, p.X.Max = -0.5, float64(k)-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(k)-0.5
	p.X.Tick.Length, p.Y.Tick.Length = 0, 0
	p.X.LineStyle.Width, p.Y.LineStyle.Width = 0, 0
	return p
}

// heatCells draws the confusion matrix cells.
type heatCells struct{ conf [][]int }

func (h *heatCells) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	k := len(h.conf)
	font := p.X.Tick.Label
	font.Font.Size = vg.Points(7)
	if k > 12 {
		font.Font.Size = vg.Points(5)
	}
	font.XAlign, font.YAlign = draw.XCenter, draw.YCenter
	font.Rotation = 0
	for i, row := range h.conf {
		total := 0
		for _, n := range row {
			total += n
		}
		for j, n := range row {
			f := 0.0
			if total > 0 {
				f = float64(n) / float64(total)
			}
			y := float64(k - 1 - i)
			x0, x1 := trX(float64(j)-0.5), trX(float64(j)+0.5)
			y0, y1 := trY(y-0.5), trY(y+0.5)
			fill := heatColor(f, i == j)
			c.FillPolygon(fill, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			if n > 0 && k <= 20 {
				font.Color = color.Black
				if f > 0.5 {
					font.Color = color.White
				}
				c.FillText(font, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, strconv.Itoa(n))
			}
		}
	}
}

func (h *heatCells) DataRange() (xmin, xmax, ymin, ymax float64) {
	k := float64(len(h.conf))
	return -0.5, k - 0.5, -0.5, k - 0.5
}

// heatColor shades a fraction: blue on the diagonal (right), red off it
// (confusions).
func heatColor(f float64, diag bool) color.Color {
	f = math.Max(0, math.Min(1, f))
	base := color.NRGBA{R: 37, G: 99, B: 235, A: 255}
	if !diag {
		base = color.NRGBA{R: 220, G: 38, B: 38, A: 255}
		f = math.Min(1, math.Sqrt(f)*1.2) // small confusions stay visible
	}
	mix := func(a uint8) uint8 { return uint8(math.Round(245 + (float64(a)-245)*f)) }
	return color.NRGBA{R: mix(base.R), G: mix(base.G), B: mix(base.B), A: 255}
}

// perClassPlot draws each class's accuracy as a horizontal bar.
func perClassPlot(acc []float64, classes []string) *plot.Plot {
	p := widgets.NewPlot()
	p.Title.Text = "Accuracy per class"
	p.X.Tick.Marker = widgets.PercentTicks{}
	gridLines(p, true)
	k := len(acc)
	var yt []plot.Tick
	var rows []hbar
	for i, a := range acc {
		y := float64(k - 1 - i)
		name := ""
		if i < len(classes) {
			name = widgets.Short(classes[i])
		}
		yt = append(yt, plot.Tick{Value: y, Label: name})
		if math.IsNaN(a) {
			continue
		}
		c := widgets.ColorTest
		if a < 0.7 {
			c = colWarn
		}
		rows = append(rows, hbar{y: y, v: a, c: c})
	}
	p.Add(&hbarPlot{rows: rows})
	p.Y.Tick.Marker = plot.ConstantTicks(yt)
	p.Y.Tick.Label.Font.Size = vg.Points(8)
	p.Y.Tick.Length = 0
	p.X.Min, p.X.Max = 0, 1
	p.Y.Min, p.Y.Max = -0.6, float64(k)-0.4
	return p
}

type hbar struct {
	y, v float64
	c    color.Color
}

type hbarPlot struct{ rows []hbar }

func (b *hbarPlot) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	font := p.X.Tick.Label
	font.Font.Size = vg.Points(7)
	font.XAlign, font.YAlign = draw.XRight, draw.YCenter
	font.Rotation = 0
	font.Color = color.White
	for _, r := range b.rows {
		x0, x1 := trX(0), trX(r.v)
		y0, y1 := trY(r.y-0.35), trY(r.y+0.35)
		c.FillPolygon(r.c, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
		if x1-x0 > vg.Points(30) {
			c.FillText(font, vg.Point{X: x1 - vg.Points(3), Y: (y0 + y1) / 2}, fmt.Sprintf("%.1f%%", 100*r.v))
		}
	}
}

func (b *hbarPlot) DataRange() (xmin, xmax, ymin, ymax float64) {
	ymax = 1
	for _, r := range b.rows {
		ymax = math.Max(ymax, r.y)
	}
	return 0, 1, -0.5, ymax + 0.5
}
