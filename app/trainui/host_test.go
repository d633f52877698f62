package trainui

import (
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/projects"
)

// testHost is the application state around a Train pane under test, with
// what the tests look at: the project, the dataset, the edits made, the
// pane last asked for and the dataset spec last loaded.
type testHost struct {
	s        *ui.State
	proj     *projects.Project
	ds       *data.Dataset
	dirty    int
	shown    string // the pane last asked for
	win      fyne.Window
	loadSpec string
}

// sampleData is the bundled sample dataset, loaded once.
func sampleData(t testing.TB) *data.Dataset { return panetest.SampleData(t) }

// tinyData is a class-balanced cut of the sample: n training and m test
// images, no validation split (the pane holds a tenth out).
func tinyData(t testing.TB, n, m int) *data.Dataset {
	full := sampleData(t)
	return &data.Dataset{Name: full.Name, Format: full.Format,
		Train: data.BalancedSubset(full.Train, n, 1), Test: data.BalancedSubset(full.Test, m, 1)}
}

// newTestPane shows the Train pane for the sample project (cut to 300
// training and 100 test images when it loads its dataset) in a test window.
func newTestPane(t testing.TB, ds *data.Dataset) (*testHost, *trainPane, fyne.Window) {
	t.Helper()
	panetest.NewApp(t)
	pr, err := projects.Sample()
	if err != nil {
		t.Fatal(err)
	}
	pr.Dataset.LimitTrain, pr.Dataset.LimitTest = 300, 100
	w := test.NewTempWindow(t, nil)
	s := ui.NewState(pr, "")
	s.Window = w
	s.Dataset = ds
	h := &testHost{s: s, proj: pr, ds: ds, win: w}
	s.SetNavigation(func(id string) { h.shown = id }, func(id string) (string, bool) { return id, true })
	s.OnChange(func(c ui.Change) {
		switch c {
		case ui.ProjectEdited:
			h.dirty++
		case ui.DatasetChanged:
			h.ds, h.loadSpec = s.Dataset, s.Project.Dataset.Spec
		}
	})
	content := New(s)
	w.SetContent(content)
	w.Resize(fyne.NewSize(1280, 800))
	return h, content.(*trainPane), w
}
