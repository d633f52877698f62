package classic

import (
	"maps"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/classic"
	"github.com/workbench-cv/workbench/engine/data"
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
	for _, i := range neighbourRows(r, knnRows) {
		rec.Neighbours = append(rec.Neighbours, projects.KNNNeighbours{Test: i, Train: append([]int(nil), r.nb[i][:min(knnShown, len(r.nb[i]))]...)})
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
	r.train, r.test = ui.Subset(p.s.Dataset.Train, k.Train, k.Seed), ui.Subset(p.s.Dataset.Test, k.Test, k.Seed)
	r.classes = r.train.Classes
	if len(k.Neighbours) > 0 && r.train.Len() == k.Train && r.test.Len() == k.Test {
		r.nb = make([][]int, r.test.Len())
		for _, n := range k.Neighbours {
			if n.Test >= 0 && n.Test < len(r.nb) && validIndices(n.Train, r.train.Len()) {
				r.nb[n.Test] = n.Train
			}
		}
	}
	p.knn.showRestored(r)
}

// validIndices reports whether every index is below n (a recorded
// neighbour list that does not fit the data is not shown).
func validIndices(ix []int, n int) bool {
	for _, i := range ix {
		if i < 0 || i >= n {
			return false
		}
	}
	return len(ix) > 0
}

// recordLinear stores a finished linear-classifier search in the project.
func (p *classicPane) recordLinear(r *linearResult) {
	pr := p.s.Project
	if pr == nil || p.rendering {
		return
	}
	rec := &projects.LinearResult{Data: ui.DatasetSpec(p.s), Loss: string(r.loss), Features: r.features, Settings: maps.Clone(r.settings),
		TestAcc: r.testAcc, Train: r.trainN, Val: r.valN, Test: r.testN, Templates: r.pixels}
	if r.pixels != nil && p.s.Dataset != nil {
		s := p.s.Dataset.Train
		rec.C, rec.H, rec.W = s.C, s.H, s.W
	}
	for _, tr := range r.trials {
		rec.Trials = append(rec.Trials, projects.LinearTrial{LR: float64(tr.LR), Reg: float64(tr.Reg), TrainAcc: tr.TrainAcc, ValAcc: tr.ValAcc, Err: tr.Err})
	}
	pr.Results.Linear = rec
	p.s.MarkDirty()
}

// restoreLinear shows the project's newest linear classifier on its
// dataset: its table, summary and templates, and its settings in the form.
// A project recorded before the table was kept shows its overview row.
func (p *classicPane) restoreLinear() {
	pr := p.s.Project
	if pr == nil || p.s.Dataset == nil {
		return
	}
	spec := ui.DatasetSpec(p.s)
	l := pr.Results.Linear
	if l == nil || l.Data != spec || len(l.Trials) == 0 {
		for i := len(p.results) - 1; i >= 0; i-- {
			if r := p.results[i]; r.method == "Multiclass SVM" || r.method == "Softmax" {
				p.linear.showRecorded(r)
				break
			}
		}
		return
	}
	r := &linearResult{loss: classic.Loss(l.Loss), features: l.Features, testAcc: l.TestAcc, trainN: l.Train, valN: l.Val, testN: l.Test,
		classes: p.s.Dataset.Train.Classes, settings: maps.Clone(l.Settings)}
	for _, tr := range l.Trials {
		r.trials = append(r.trials, classic.SearchResult{LR: float32(tr.LR), Reg: float32(tr.Reg), TrainAcc: tr.TrainAcc, ValAcc: tr.ValAcc, Err: tr.Err})
	}
	r.best = r.trials[0]
	if n := l.C * l.H * l.W; n > 0 && len(l.Templates) == len(r.classes) {
		for _, px := range l.Templates {
			if len(px) != n {
				r.templates, r.pixels = nil, nil
				break
			}
			r.pixels = append(r.pixels, px)
			r.templates = append(r.templates, (&data.Set{C: l.C, H: l.H, W: l.W, Images: px, Labels: []int32{0}}).Picture(0))
		}
	}
	p.linear.putSettings(r)
	p.linear.display(r)
}
