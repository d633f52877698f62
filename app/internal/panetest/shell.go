package panetest

import (
	"context"
	"image"
	"image/png"
	"os"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"gonum.org/v1/plot"

	"github.com/workbench-cv/workbench/app/inspection"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets"
)

// Shell shows panes in a 1280×800 test window, one at a time, as the main
// window does: a pane is built the first time it is shown, and State.ShowPane
// brings another to the front. Panes it was not given are only recorded as
// Current.
type Shell struct {
	S       *ui.State
	W       fyne.Window
	Body    *fyne.Container
	Built   map[string]fyne.CanvasObject
	Current string
	panes   map[string]ui.Pane
}

// NewApp is test.NewTempApp that, before the app is torn down, waits for
// the goroutines the panes started with widgets.Go: a pane's background
// work that ended after its test did would touch widgets of an app that is
// gone (and crash the next test).
func NewApp(t testing.TB) fyne.App {
	t.Helper()
	a := test.NewTempApp(t)
	t.Cleanup(func() {
		if !widgets.WaitBackground(2 * time.Minute) {
			t.Errorf("background work of the panes still runs 2 minutes after the test ended")
		}
	})
	return a
}

// NewShell opens project p (never saved) with the given panes.
func NewShell(t testing.TB, p *projects.Project, panes ...ui.Pane) *Shell {
	t.Helper()
	NewApp(t)
	sh := &Shell{S: ui.NewState(p, ""), Body: container.NewStack(), Built: map[string]fyne.CanvasObject{}, panes: map[string]ui.Pane{}}
	for _, pn := range panes {
		sh.panes[pn.ID] = pn
	}
	sh.W = test.NewTempWindow(t, nil)
	sh.W.SetPadded(false)
	sh.S.Window = sh.W
	sh.S.SetNavigation(sh.Show, func(id string) (string, bool) {
		if pn, ok := sh.panes[id]; ok {
			return pn.Title, true
		}
		return id, true
	})
	sh.W.SetContent(sh.Body)
	sh.W.Resize(fyne.NewSize(1280, 800))
	return sh
}

// Show brings pane id to the front, building it on first use.
func (sh *Shell) Show(id string) {
	sh.Current = id
	pn, ok := sh.panes[id]
	if !ok {
		return
	}
	obj, built := sh.Built[id]
	if !built {
		obj = pn.New(sh.S)
		sh.Built[id] = obj
	}
	sh.Body.Objects = []fyne.CanvasObject{obj}
	sh.Body.Refresh()
}

// Open is NewShell followed by Show(id): the state, the shell and its
// window.
func Open(t testing.TB, p *projects.Project, id string, panes ...ui.Pane) (*ui.State, *Shell, fyne.Window) {
	t.Helper()
	sh := NewShell(t, p, panes...)
	sh.Show(id)
	return sh.S, sh, sh.W
}

// OpenTrained opens the trained sample (TrainedSample) on pane id and
// returns the state, the shell and the pane it built, as P.
func OpenTrained[P any](t testing.TB, id string, pane ui.Pane) (*ui.State, *Shell, P) {
	t.Helper()
	s, sh, _ := Open(t, TrainedSample(t), id, pane)
	p, ok := sh.Built[id].(P)
	if !ok {
		t.Fatalf("pane %s built a %T", id, sh.Built[id])
	}
	return s, sh, p
}

// ModelLoaded fails the test when the inspection pane b has no model,
// giving the reason it did not load.
func ModelLoaded(t testing.TB, b *inspection.Base) {
	t.Helper()
	if b.Model == nil {
		t.Fatalf("no model: %v", b.ModelErr)
	}
}

// EmptyState shows pane id and returns the one empty state it shows.
func (sh *Shell) EmptyState(t testing.TB, id string) *widgets.EmptyState {
	t.Helper()
	sh.Show(id)
	es := Find[*widgets.EmptyState](sh.Body, nil)
	if len(es) != 1 {
		t.Fatalf("pane %s shows %d empty states, want 1", id, len(es))
	}
	return es[0]
}

// WritePNG writes img to name, failing the test when it cannot.
func WritePNG(t testing.TB, name string, img image.Image) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	t.Log("wrote", name)
}

// OpenProjectToRender opens the project file named by the environment
// variable WORKBENCH_INSPECT_PROJECT, with the pane given, in a window of
// the light theme (dark with WORKBENCH_INSPECT_DARK set) at 1280×800
// (1024×700 with WORKBENCH_INSPECT_SMALL set), and returns the folder
// WORKBENCH_INSPECT_OUT to write pictures to (a temporary one when unset).
// It skips the test when no project is named: it is a quick look while
// working on a pane, not a check.
func OpenProjectToRender(t *testing.T, pane ui.Pane) (*Shell, string) {
	path := os.Getenv("WORKBENCH_INSPECT_PROJECT")
	if path == "" {
		t.Skip("set WORKBENCH_INSPECT_PROJECT to a trained project file to render its inspection panes")
	}
	p, err := projects.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	out := os.Getenv("WORKBENCH_INSPECT_OUT")
	if out == "" {
		out = t.TempDir()
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	sh := NewShell(t, p, pane)
	sh.S.Path = path
	if os.Getenv("WORKBENCH_INSPECT_DARK") != "" {
		fyne.CurrentApp().Settings().SetTheme(theme.DarkTheme())
	} else {
		fyne.CurrentApp().Settings().SetTheme(theme.LightTheme())
	}
	if os.Getenv("WORKBENCH_INSPECT_SMALL") != "" {
		sh.W.Resize(fyne.NewSize(1024, 700))
	}
	sh.Show(pane.ID)
	if rp, ok := sh.Built[pane.ID].(ui.RenderPreparer); ok {
		rp.PrepareRender(context.Background())
	}
	return sh, out
}

// AssertMarkup compares what the window shows with testdata/name (Fyne's
// markup: the laid-out objects, their sizes and texts). It lays the window
// out afresh first, so that labels wrapped before their text changed do
// not depend on when the last layout ran.
func AssertMarkup(t *testing.T, name string, w fyne.Window) {
	t.Helper()
	size := w.Canvas().Size()
	w.Resize(size.AddWidthHeight(1, 1))
	w.Resize(size)
	w.Content().Refresh()
	test.AssertRendersToMarkup(t, name, w.Canvas())
}

// AssertPlot draws p at 480×300 in the light theme and compares it with
// testdata/plots/name.png.
func AssertPlot(t *testing.T, name string, p *plot.Plot) {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.LightTheme())
	test.AssertImageMatches(t, "plots/"+name+".png", widgets.NewPlotView(p).Render(480, 300, 1))
}
