package trainui

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/workbench-cv/workbench/widgets"
)

// The search's command-centre plots and the evaluation plots (confusion
// matrix, accuracy per class).

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
