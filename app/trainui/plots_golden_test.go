package trainui

import (
	"math"
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

// goldenRun is a three-epoch run: a loss that falls with some noise, and
// training and validation accuracy that part ways.
func goldenRun() curveData {
	c := curveData{LossEvery: 1, PerEpoch: 40, Planned: 5}
	for i := 0; i < 120; i++ {
		c.Losses = append(c.Losses, 2.3*math.Exp(-float64(i)/50)+0.15*math.Sin(float64(i)*1.7))
	}
	c.Iterations = len(c.Losses)
	for e := 1; e <= 3; e++ {
		c.Epochs = append(c.Epochs, projects.EpochMetrics{Epoch: e, TrainLoss: 2 / float64(e), TrainAcc: 0.5 + 0.15*float64(e),
			ValLoss: 2.2 / math.Sqrt(float64(e)), ValAcc: 0.45 + 0.1*float64(e)})
	}
	return c
}

func TestGoldenTrainingCurves(t *testing.T) {
	panetest.AssertPlot(t, "loss", lossPlot(goldenRun()))
	panetest.AssertPlot(t, "accuracy", accuracyPlot(goldenRun()))
	xs, ys := []float64{0, 1, 2, 3, 4, 5}, []float64{0.1, 0.1, 0.05, 0.05, 0.025, 0.025}
	panetest.AssertPlot(t, "schedule", schedulePlot(xs, ys, 5))
}

func TestGoldenEvaluationPlots(t *testing.T) {
	classes := []string{"T-shirt/top", "Trouser", "Pullover"}
	conf := [][]int{{40, 2, 8}, {1, 48, 1}, {9, 0, 41}}
	panetest.AssertPlot(t, "confusion", confusionPlot(conf, classes))
	panetest.AssertPlot(t, "per-class", perClassPlot([]float64{0.8, 0.96, 0.82}, classes))
}

func TestGoldenLayerAndSearchPlots(t *testing.T) {
	stats := []train.LayerStats{
		{Node: "conv1", Op: "conv2d", Std: 0.9, GradStd: 0.002, HasWeight: true, UpdateRatio: 1e-3},
		{Node: "relu1", Op: "relu", Std: 0.5, GradStd: 0.0015},
		{Node: "conv2", Op: "conv2d", Std: 0.7, GradStd: 0.001, HasWeight: true, UpdateRatio: 2e-3},
		{Node: "fc", Op: "linear", Std: 1.2, GradStd: 0.004, HasWeight: true, UpdateRatio: 5e-4},
	}
	panetest.AssertPlot(t, "layer-std", layerStdPlot(stats))
	var trials []searchTrial
	for i, lr := range []float64{1e-4, 3e-4, 1e-3, 3e-3, 1e-2} {
		tr := searchTrial{Trial: train.Trial{Index: i, Params: map[string]float64{"lr": lr}, ValAcc: 0.5 + 0.3*math.Sin(float64(i))}, Done: true}
		for k := 0; k < 20; k++ {
			tr.Losses = append(tr.Losses, 2.3*math.Exp(-float64(k)*lr*100))
		}
		trials = append(trials, tr)
	}
	panetest.AssertPlot(t, "search-accuracy", accVsParamPlot(trials, "lr", "learning rate"))
	panetest.AssertPlot(t, "search-losses", allLossPlot(trials))
}
