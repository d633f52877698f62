package projects

import (
	"math"
	"reflect"
	"testing"
)

// A format-2 project (before results were kept) opens with none, as the
// current format.
func TestOpenFormat2HasNoResults(t *testing.T) {
	p, err := openBytes(t, container(t, `{"format_version": 2, "name": "old", "created": "2026-11-01T10:00:00Z",
 "hyper": {"optimizer": "adam", "lr": 0.001, "batch": 64, "epochs": 2}}`, okTensors))
	if err != nil {
		t.Fatal(err)
	}
	if p.FormatVersion != FormatVersion || !reflect.DeepEqual(p.Results, Results{}) {
		t.Fatalf("format %d, results %+v", p.FormatVersion, p.Results)
	}
}

// Every kind of result, NaN metrics of an unfinished trial and a run's
// layer statistics included, survives a save and an open unchanged, and
// Clone copies them deeply.
func TestResultsRoundTrip(t *testing.T) {
	p := New("results")
	p.Runs = []Run{{ID: "r1", Status: RunFinished, LayersAt: 40,
		Layers: []LayerStat{{Node: "relu1", Op: "relu", Mean: 0.3, Std: 0.5, Zero: 0.5, Dead: 0.1}, {Node: "fc", Op: "linear", HasWeight: true, UpdateRatio: 2e-3}}}}
	p.Results = Results{
		Search: &SearchResult{Refined: true, Trials: []SearchTrial{
			{Params: map[string]float64{"lr": 1e-3}, ValAcc: 0.8, ValLoss: 0.5, TrainAcc: 0.85, TrainLoss: 0.4, Done: true,
				Epochs: []EpochMetrics{{Epoch: 1, TrainLoss: 0.4, ValAcc: 0.8}}, Losses: []Metric{2.3, 1.1}},
			{Params: map[string]float64{"lr": 3}, ValAcc: Metric(math.NaN()), ValLoss: Metric(math.Inf(1)), Diverged: true, Done: true}},
			Settings: map[string]string{"mode": "Grid", "lr_lo": "1e-4"}},
		Babysit: []BabysitStep{{Step: "initial", OK: true, Text: "close to log(10)"}, {Step: "finder", OK: true, Text: "use 0.0023", Value: 0.0023}},
		Classic: []ClassicResult{{Method: "k-NN (k = 5)", Input: "pixels", Train: 500, Val: 0.7, Test: 0.72}},
		KNN: &KNNResult{Metric: "l2", Folds: 5, Train: 500, Test: 100, Seed: 1, BestK: 5, TestAcc: 0.72, CV: []KNNPoint{{K: 5, Folds: []float64{0.7, 0.71}, Mean: 0.705, Std: 0.005}},
			Neighbours: []KNNNeighbours{{Test: 3, Train: []int{9, 4, 1}}}},
		Linear: &LinearResult{Data: "sample", Loss: "svm", Features: "pixels", Settings: map[string]float64{"train": 400, "lr_lo": 1e-8},
			Trials:  []LinearTrial{{LR: 1e-7, Reg: 1e4, TrainAcc: 0.8, ValAcc: 0.75}, {LR: 1e-6, Reg: 1e3, Err: "diverged"}},
			TestAcc: 0.74, Train: 400, Val: 100, Test: 100, Templates: [][]byte{{0, 255, 7}, {1, 2, 3}}, C: 1, H: 1, W: 3},
		Maps: []EmbeddingMap{{Method: "t-SNE", Layer: "fc1", KL: 1.2, X: []float32{1, 2}, Y: []float32{3, 4}, Index: []int{0, 7}, Labels: []int{3, 1}, Settings: map[string]float64{"perplexity": 30}}},
	}
	c := p.Clone()
	q := saveOpen(t, p)
	tr := q.Results.Search.Trials[1]
	if !math.IsNaN(float64(tr.ValAcc)) || !math.IsInf(float64(tr.ValLoss), 1) {
		t.Fatalf("non-finite metrics: %+v", tr)
	}
	// NaN != NaN: compare the rest with the NaN trial set aside.
	q.Results.Search.Trials[1].ValAcc, p.Results.Search.Trials[1].ValAcc = 0, 0
	if !reflect.DeepEqual(q.Results, p.Results) || !reflect.DeepEqual(q.Runs[0].Layers, p.Runs[0].Layers) || q.Runs[0].LayersAt != 40 {
		t.Fatalf("round trip:\nsaved  %+v\nopened %+v", p.Results, q.Results)
	}
	c.Results.Maps[0].X[0] = 99
	c.Results.Search.Trials[0].Params["lr"] = 5
	c.Results.Linear.Templates[0][0] = 9
	c.Results.KNN.Neighbours[0].Train[0] = 0
	c.Results.Search.Settings["mode"] = "Random"
	if p.Results.Maps[0].X[0] != 1 || p.Results.Search.Trials[0].Params["lr"] != 1e-3 || p.Results.Linear.Templates[0][0] != 0 ||
		p.Results.KNN.Neighbours[0].Train[0] != 9 || p.Results.Search.Settings["mode"] != "Grid" {
		t.Fatal("Clone shares the results")
	}
}
