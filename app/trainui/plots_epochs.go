package trainui

import (
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/workbench-cv/workbench/widgets"
)

// epochLossPlot draws the training and validation loss at the end of each
// epoch: what a run trained under torchrun reports (its processes send no
// per-iteration losses).
func epochLossPlot(c curveData) *plot.Plot {
	p := widgets.NewPlot()
	p.Title.Text = "Loss per epoch"
	p.X.Label.Text = "epoch"
	p.Y.Label.Text = "loss"
	p.Y.Tick.Marker = fineTicks{}
	gridLines(p, false)
	planned := max(c.Planned, len(c.Epochs), 1)
	p.X.Min, p.X.Max = 0.8, float64(planned)+0.2
	p.X.Tick.Marker = epochTicks{}
	var trainPts, valPts plotter.XYs
	lo, hi := math.Inf(1), math.Inf(-1)
	add := func(pts *plotter.XYs, epoch int, v float64) {
		if v > 0 && !math.IsNaN(v) && !math.IsInf(v, 0) {
			*pts = append(*pts, plotter.XY{X: float64(epoch), Y: v})
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	for _, e := range c.Epochs {
		add(&trainPts, e.Epoch, e.TrainLoss)
		add(&valPts, e.Epoch, e.ValLoss)
	}
	widgets.AddLinePoints(p, "train", trainPts, widgets.ColorTrain, vg.Points(3))
	widgets.AddLinePoints(p, "validation", valPts, widgets.ColorVal, vg.Points(3))
	if len(trainPts)+len(valPts) == 0 {
		p.Y.Min, p.Y.Max = 0, 2.5
	} else {
		pad := math.Max(0.05*(hi-lo), 0.05)
		p.Y.Min, p.Y.Max = math.Max(0, lo-pad), hi+pad
	}
	legendTopRight(p)
	return p
}
