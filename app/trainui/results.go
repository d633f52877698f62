package trainui

import (
	"errors"
	"math"
	"strconv"

	"fyne.io/fyne/v2/widget"

	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/runs"
)

// The Train pane records its searches and babysitting steps in the
// project (projects.Results) and shows them again when the project is
// reopened.

// recordSearch stores the search's trials in the project.
func (v *searchView) recordSearch() {
	pr := v.p.h.Project()
	if pr == nil || len(v.trials) == 0 {
		return
	}
	rec := &projects.SearchResult{Refined: v.refined, Settings: v.settings()}
	for _, t := range v.trials {
		st := projects.SearchTrial{Params: t.Params, ValAcc: projects.Metric(t.ValAcc), ValLoss: projects.Metric(t.ValLoss),
			TrainAcc: projects.Metric(t.TrainAcc), TrainLoss: projects.Metric(t.TrainLoss), Seconds: t.Seconds,
			Diverged: t.Diverged, Done: t.Done, Epochs: runs.ProjectEpochs(t.History)}
		if t.Err != nil {
			st.Error = t.Err.Error()
		}
		step := max(1, (len(t.Losses)+projects.MaxLosses-1)/projects.MaxLosses)
		for i := 0; i < len(t.Losses); i += step {
			st.Losses = append(st.Losses, projects.Metric(t.Losses[i]))
		}
		rec.Trials = append(rec.Trials, st)
	}
	pr.Results.Search = rec
	v.p.h.MarkDirty()
}

// restoreSearch shows the project's recorded search.
func (v *searchView) restoreSearch() {
	pr := v.p.h.Project()
	if pr == nil || pr.Results.Search == nil {
		return
	}
	rec := pr.Results.Search
	v.trials = nil
	for i, st := range rec.Trials {
		t := searchTrial{Trial: train.Trial{Index: i, Params: st.Params, ValAcc: float64(st.ValAcc), ValLoss: float64(st.ValLoss),
			TrainAcc: float64(st.TrainAcc), TrainLoss: float64(st.TrainLoss), Seconds: st.Seconds, Diverged: st.Diverged,
			History: runs.EngineEpochs(st.Epochs)}, Done: st.Done}
		if st.Error != "" {
			t.Err = errors.New(st.Error)
		}
		for _, l := range st.Losses {
			t.Losses = append(t.Losses, float64(l))
		}
		v.trials = append(v.trials, t)
	}
	v.refined = rec.Refined
	v.putSettings(rec.Settings)
	v.show()
}

// searchFields are the search form's fields by the names they are
// recorded under.
func (v *searchView) searchFields() map[string]*widget.Entry {
	return map[string]*widget.Entry{"trials": v.trialsE, "epochs": v.epochsE, "lr_lo": v.lrLo, "lr_hi": v.lrHi,
		"wd_lo": v.wdLo, "wd_hi": v.wdHi, "train": v.nTrain, "val": v.nVal}
}

// settings are the search form's fields as the user left them.
func (v *searchView) settings() map[string]string {
	out := map[string]string{"mode": v.mode.Selected, "wd": strconv.FormatBool(v.wdOn.Checked)}
	for k, e := range v.searchFields() {
		out[k] = e.Text
	}
	return out
}

// putSettings puts recorded settings back into the search form.
func (v *searchView) putSettings(s map[string]string) {
	if len(s) == 0 {
		return
	}
	if m := s["mode"]; m == "Random" || m == "Grid" {
		v.mode.SetSelected(m)
	}
	if on, err := strconv.ParseBool(s["wd"]); err == nil {
		v.wdOn.SetChecked(on)
	}
	for k, e := range v.searchFields() {
		if t, ok := s[k]; ok {
			e.SetText(t)
		}
	}
}

// Babysitting steps recorded by name.
const (
	stepInitial = "initial"
	stepOverfit = "overfit"
	stepFinder  = "finder"
)

// recordStep stores a babysitting step's outcome in the project.
func (v *babysitView) recordStep(name string, ok bool, text string, value float64) {
	pr := v.p.h.Project()
	if pr == nil {
		return
	}
	rec := projects.BabysitStep{Step: name, OK: ok, Text: text, Value: value}
	for i, s := range pr.Results.Babysit {
		if s.Step == name {
			pr.Results.Babysit[i] = rec
			v.p.h.MarkDirty()
			return
		}
	}
	pr.Results.Babysit = append(pr.Results.Babysit, rec)
	v.p.h.MarkDirty()
}

// restoreSteps shows the project's recorded babysitting steps.
func (v *babysitView) restoreSteps() {
	pr := v.p.h.Project()
	if pr == nil {
		return
	}
	for _, s := range pr.Results.Babysit {
		ok := s.OK
		switch s.Step {
		case stepInitial:
			v.initial.show(&ok, s.Text)
		case stepOverfit:
			v.overfit.show(&ok, s.Text)
		case stepFinder:
			v.finder.show(&ok, s.Text)
			if s.Value > 0 && !math.IsNaN(s.Value) {
				v.suggested = s.Value
				v.finder.extra.Objects = nil
				v.finder.extra.Add(v.useButton(s.Value))
				v.finder.extra.Refresh()
			}
		}
	}
}
