package trainui

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
)

// Must show 3: after a 2-epoch run and editing every Train field, the
// pane still fits a 1280x800 window (its minimum size does not grow past
// the space the window gives it), and so does it at 1024x700.
func TestTrainPaneNeverGrowsTheWindow(t *testing.T) {
	h, p, w := newTestPane(t, tinyData(t, 300, 60))
	fits := func(when string) {
		t.Helper()
		for _, size := range []fyne.Size{{Width: 1280, Height: 800}, {Width: 1024, Height: 700}} {
			if m := p.MinSize(); m.Width > size.Width || m.Height > size.Height-120 {
				t.Errorf("%s: the pane needs %v, more than a %v window leaves it", when, m, size)
			}
		}
		if got := w.Canvas().Size(); got != (fyne.Size{Width: 1280, Height: 800}) {
			t.Errorf("%s: the window is %v", when, got)
		}
	}
	fits("before a run")
	p.form.epochs.SetText("2")
	p.form.batch.SetText("32")
	onUI(p.startTraining)
	p.job.Wait()
	if len(h.proj.Runs) != 1 {
		t.Fatalf("%d runs", len(h.proj.Runs))
	}
	// The run kept its weights after each epoch, and the Runs tab says so.
	r := &h.proj.Runs[0]
	if len(r.Snapshots) != 2 || len(h.proj.SnapshotWeights(r.Snapshots[0])) == 0 {
		t.Errorf("snapshots after a 2-epoch run: %+v", r.Snapshots)
	}
	p.history.sel = r.ID
	p.history.showSelected()
	if !strings.Contains(p.history.sub.Text, "Weights kept after 2 epochs, every epoch") {
		t.Errorf("the Runs tab does not say which weights it kept: %q", p.history.sub.Text)
	}
	for _, tab := range []int{0, 1, 2, 3, 4} {
		p.tabs.SelectIndex(tab)
		fits("after a run, tab " + p.tabs.Items[tab].Text)
	}
	p.tabs.SelectIndex(0)
	for _, e := range p.form.entries() {
		e.SetText(e.Text + "x") // invalid: each shows its error line
		fits("editing " + e.PlaceHolder)
		e.SetText(e.Text[:len(e.Text)-1])
	}
	fits("after editing every field")
	t.Logf("the pane needs %v after a run and edits", p.MinSize())
}

// entries are the form's text fields.
func (f *settingsForm) entries() []*widget.Entry {
	return []*widget.Entry{f.lr, f.momentum, f.warmup, f.batch, f.epochs, f.decay, f.augment, f.seed, f.gamma, f.minLR, f.stepEvery}
}

// The search table's columns fit its width in a 1280×800 window (the Train
// pane gets what the navigation leaves, about 1060 px): the last one,
// Status, was cut off.
func TestSearchTableColumnsFitTheWindow(t *testing.T) {
	_, p, w := newTestPane(t, tinyData(t, 300, 60))
	w.Resize(fyne.NewSize(1060, 800))
	p.tabs.SelectIndex(3)
	test.LaidOutObjects(p)
	total := float32(0)
	for _, cw := range searchColWidths {
		total += cw
	}
	header := float32(40) // the row numbers' column
	if got := p.search.table.Size().Width; total+header > got {
		t.Fatalf("the columns need %.0f px, the table has %.0f", total+header, got)
	}
}
