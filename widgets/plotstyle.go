package widgets

import (
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// NewPlot returns a plot in Workbench's style: sans-serif text a little
// smaller than gonum's default.
func NewPlot() *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font.Variant = "Sans"
	p.Title.TextStyle.Font.Size = vg.Points(11)
	p.Legend.TextStyle.Font.Variant = "Sans"
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font.Variant = "Sans"
		a.Label.TextStyle.Font.Size = vg.Points(10)
		a.Tick.Label.Font.Variant = "Sans"
		a.Tick.Label.Font.Size = vg.Points(9)
	}
	return p
}

// PercentTicks labels fractions (accuracies) as percentages.
type PercentTicks struct{}

// Ticks is part of plot.Ticker.
func (PercentTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = strconv.FormatFloat(math.Round(1000*t.Value)/10, 'f', -1, 64) + "%"
		}
	}
	return ticks
}

// ThousandsTicks labels the default ticks with thousands separators.
type ThousandsTicks struct{}

// Ticks is part of plot.Ticker.
func (ThousandsTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label != "" {
			ticks[i].Label = Thousands(int(math.Round(t.Value)))
		}
	}
	return ticks
}

// AddLinePoints adds a 2-point line through pts with round markers of
// radius r in colour c, named name in the legend; nothing when pts is
// empty.
func AddLinePoints(p *plot.Plot, name string, pts plotter.XYs, c color.Color, r vg.Length) {
	if len(pts) == 0 {
		return
	}
	l, marks, _ := plotter.NewLinePoints(pts)
	l.Color, l.Width = c, vg.Points(2)
	marks.Shape, marks.Color, marks.Radius = draw.CircleGlyph{}, c, r
	p.Add(l, marks)
	p.Legend.Add(name, l, marks)
}
