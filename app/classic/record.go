package classic

import (
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/classic"
	"github.com/workbench-cv/workbench/projects"
)

// The Classic pane records its overview's rows and the newest k-NN
// cross-validation in the project (projects.Results), tagged with the
// dataset they were computed on, and shows them again when the project is
// reopened and that dataset loaded.

// record stores the overview's rows in the project.
func (p *classicPane) record() {
	pr := p.s.Project
	if pr == nil || p.rendering {
		return
	}
	spec := ui.DatasetSpec(p.s)
	var keep []projects.ClassicResult
	for _, r := range pr.Results.Classic {
		if r.Data != spec {
			keep = append(keep, r) // another dataset's, kept for it
		}
	}
	for _, r := range p.results {
		keep = append(keep, projects.ClassicResult{Data: spec, Method: r.method, Input: r.input, Train: r.train,
			Val: r.val, Test: r.test, Detail: r.detail})
	}
	pr.Results.Classic = keep
	p.s.MarkDirty()
}

// recordKNN stores a finished k-NN cross-validation in the project.
func (p *classicPane) recordKNN(r *knnResult, seed int64) {
	pr := p.s.Project
	if pr == nil || p.rendering {
		return
	}
	rec := &projects.KNNResult{Data: ui.DatasetSpec(p.s), Metric: string(r.metric), Folds: r.folds, Train: r.trainN,
		Test: r.testN, Seed: seed, BestK: r.best.K, TestAcc: r.testAcc}
	for _, c := range r.cv {
		rec.CV = append(rec.CV, projects.KNNPoint{K: c.K, Folds: append([]float64(nil), c.Folds...), Mean: c.Mean, Std: c.Std})
	}
	pr.Results.KNN = rec
}

// restore shows the results the project recorded on its dataset.
func (p *classicPane) restore() {
	pr := p.s.Project
	if pr == nil {
		return
	}
	spec := ui.DatasetSpec(p.s)
	for _, r := range pr.Results.Classic {
		if r.Data == spec {
			p.results = append(p.results, classicResult{method: r.Method, input: r.Input, train: r.Train, val: r.Val,
				test: r.Test, detail: r.Detail})
		}
	}
	for i := len(p.results) - 1; i >= 0; i-- {
		if r := p.results[i]; r.method == "Multiclass SVM" || r.method == "Softmax" {
			p.linear.showRecorded(r)
			break
		}
	}
	k := pr.Results.KNN
	if k == nil || k.Data != spec || len(k.CV) == 0 {
		return
	}
	r := &knnResult{testAcc: k.TestAcc, metric: classic.Metric(k.Metric), folds: k.Folds, trainN: k.Train, testN: k.Test}
	for _, c := range k.CV {
		cv := classic.CVResult{K: c.K, Folds: append([]float64(nil), c.Folds...), Mean: c.Mean, Std: c.Std}
		r.cv = append(r.cv, cv)
		if c.K == k.BestK {
			r.best = cv
		}
	}
	p.knn.showRestored(r)
}
