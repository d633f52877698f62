package trainui

import (
	"context"
	"sync"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/projects"
)

// testHost is a Host over a project and a dataset, as the app's State
// would be.
type testHost struct {
	proj     *projects.Project
	ds       *data.Dataset
	dirty    int
	shown    string // the pane last asked for
	pane     *Pane
	win      fyne.Window
	loadSpec string
}

func (h *testHost) Project() *projects.Project { return h.proj }
func (h *testHost) Dataset() *data.Dataset     { return h.ds }
func (h *testHost) MarkDirty() {
	h.dirty++
	if h.pane != nil {
		h.pane.ProjectEdited()
	}
}
func (h *testHost) ArchitectureProblems() []string {
	if len(h.proj.Graph.Nodes) == 0 {
		return []string{"The network has no layers."}
	}
	var out []string
	for _, e := range nn.Analyze(h.proj.Graph, h.DatasetShape()).Errors {
		out = append(out, e.Error())
	}
	return out
}
func (h *testHost) DatasetShape() []int {
	d := h.proj.Dataset
	if d.C > 0 {
		return []int{d.C, d.H, d.W}
	}
	return nil
}
func (h *testHost) DatasetSpec() string             { return "sample" }
func (h *testHost) DatasetTitle(spec string) string { return "the " + spec }
func (h *testHost) LoadOptions(spec string) data.Options {
	return data.Options{LimitTrain: 300, LimitTest: 100}
}
func (h *testHost) UseDataset(spec string, ds *data.Dataset) {
	h.loadSpec, h.ds = spec, ds
	if h.pane != nil {
		h.pane.DatasetChanged()
	}
}
func (h *testHost) ShowArchitecture()   { h.shown = "architecture" }
func (h *testHost) ShowData()           { h.shown = "data" }
func (h *testHost) Window() fyne.Window { return h.win }
func (h *testHost) ProjectPath() string { return "" }

var (
	sampleOnce sync.Once
	sampleDS   *data.Dataset
	sampleErr  error
)

// sampleData is the bundled sample dataset, loaded once.
func sampleData(t testing.TB) *data.Dataset {
	t.Helper()
	sampleOnce.Do(func() { sampleDS, sampleErr = data.Load(context.Background(), "sample", data.Options{}) })
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return sampleDS
}

// tinyData is a class-balanced cut of the sample: n training and m test
// images, no validation split (the pane holds a tenth out).
func tinyData(t testing.TB, n, m int) *data.Dataset {
	full := sampleData(t)
	return &data.Dataset{Name: full.Name, Format: full.Format,
		Train: data.BalancedSubset(full.Train, n, 1), Test: data.BalancedSubset(full.Test, m, 1)}
}

// newTestPane shows the Train pane for the sample project in a test window.
func newTestPane(t testing.TB, ds *data.Dataset) (*testHost, *trainPane, fyne.Window) {
	t.Helper()
	test.NewTempApp(t)
	pr, err := projects.Sample()
	if err != nil {
		t.Fatal(err)
	}
	w := test.NewTempWindow(t, nil)
	h := &testHost{proj: pr, ds: ds, win: w}
	h.pane = New(h)
	w.SetContent(h.pane.Content())
	w.Resize(fyne.NewSize(1280, 800))
	return h, h.pane.p, w
}
