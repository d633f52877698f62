package classic

import (
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/engine/classic"
	"github.com/workbench-cv/workbench/engine/train"
)

func TestGoldenClassicPlots(t *testing.T) {
	var cv []classic.CVResult
	for i, k := range []int{1, 3, 5, 8, 10, 12, 15, 20, 50, 100} {
		m := 0.25 + 0.02*float64(min(i, 4)) - 0.01*float64(max(i-4, 0))
		cv = append(cv, classic.CVResult{K: k, Folds: []float64{m - 0.01, m, m + 0.01, m + 0.005, m - 0.005}, Mean: m, Std: 0.008})
	}
	panetest.AssertPlot(t, "knn-cv", cvPlot(cv, 10))
	var h []train.EpochMetrics
	for e := 1; e <= 6; e++ {
		h = append(h, train.EpochMetrics{Epoch: e, TrainAcc: 0.3 + 0.08*float64(e), ValAcc: 0.28 + 0.06*float64(e)})
	}
	panetest.AssertPlot(t, "two-layer-net", epochPlot(h, 10))
	panetest.AssertPlot(t, "hue", huePlot([]float32{0.3, 0.1, 0.05, 0.05, 0.02, 0.08, 0.1, 0.1, 0.1, 0.1}))
}
