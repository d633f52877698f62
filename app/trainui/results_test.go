package trainui

import (
	"path/filepath"
	"testing"

	"github.com/workbench-cv/workbench/projects"
)

// A search, a babysitting step and a run's layer statistics are recorded
// in the project; saved, reopened and shown by a new pane as they were.
func TestSearchBabysittingAndLayersSurviveAReopen(t *testing.T) {
	h, p, _ := newTestPane(t, tinyData(t, 400, 40))
	onUI(p.baby.runInitial)
	p.job.Wait()
	s := p.search
	s.trialsE.SetText("2")
	s.epochsE.SetText("1")
	s.nTrain.SetText("200")
	s.nVal.SetText("40")
	onUI(s.run)
	p.job.Wait()
	if len(s.trials) != 2 || h.proj.Results.Search == nil || len(h.proj.Results.Babysit) != 1 {
		t.Fatalf("recorded: search %v, babysitting %v", h.proj.Results.Search, h.proj.Results.Babysit)
	}
	step := p.baby.initial.result.Text
	before := append([]searchTrial(nil), s.trials...)
	path := filepath.Join(t.TempDir(), "r.wbproj")
	if err := projects.Save(h.proj, path); err != nil {
		t.Fatal(err)
	}
	q, err := projects.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	onUI(func() {
		// Another session's form, then the reopen puts the search's back.
		s.trialsE.SetText("9")
		s.nTrain.SetText("3000")
		s.mode.SetSelected("Grid")
		s.wdOn.SetChecked(false)
		h.s.SetProject(q, path)
	})
	if s.trialsE.Text != "2" || s.epochsE.Text != "1" || s.nTrain.Text != "200" || s.nVal.Text != "40" || s.mode.Selected != "Random" || !s.wdOn.Checked {
		t.Errorf("search form after reopen: configurations %q, epochs %q, images %q/%q, mode %q, weight decay %v",
			s.trialsE.Text, s.epochsE.Text, s.nTrain.Text, s.nVal.Text, s.mode.Selected, s.wdOn.Checked)
	}
	if p.baby.initial.result.Text != step {
		t.Errorf("babysitting step after reopen: %q, was %q", p.baby.initial.result.Text, step)
	}
	if len(p.search.trials) != 2 || len(p.search.rows) != 2 {
		t.Fatalf("search after reopen: %d trials, %d rows", len(p.search.trials), len(p.search.rows))
	}
	for i, tr := range p.search.trials {
		was := before[i]
		if tr.Params["lr"] != was.Params["lr"] || tr.ValAcc != was.ValAcc || len(tr.History) != 1 || len(tr.Losses) == 0 {
			t.Errorf("trial %d after reopen: %+v, was %+v", i, tr.Trial, was.Trial)
		}
	}
}
