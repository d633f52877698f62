package trainui

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/widgets"
)

// The per-layer statistics plots: activation histograms, update-to-weight
// ratios and activation and gradient spreads by layer.

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
	widgets.AddLinePoints(p, "activations", act, widgets.ColorTrain, vg.Points(2.5))
	widgets.AddLinePoints(p, "gradients", grad, widgets.ColorVal, vg.Points(2.5))
	logAxis(&p.Y, lo, hi)
	p.X.Tick.Marker = plot.ConstantTicks(ticks)
	p.X.Tick.Label.Rotation = math.Pi / 5
	p.X.Tick.Label.XAlign = draw.XRight
	p.X.Tick.Label.Font.Size = vg.Points(7)
	p.X.Min, p.X.Max = -0.5, float64(max(len(stats), 1))-0.5
	legendTopRight(p)
	return p
}
