package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/projects"
)

// TestRenderInspectionPanesOfAProject draws the Filters & Activations and
// Embeddings panes of the project named by $WORKBENCH_INSPECT_PROJECT into
// $WORKBENCH_INSPECT_OUT (default: a temporary folder), as render-panes
// does, without the other panes: a quick look while working on them. It is
// skipped when the variable is not set.
func TestRenderInspectionPanesOfAProject(t *testing.T) {
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
	os.MkdirAll(out, 0o755)
	a := test.NewTempApp(t)
	a.Settings().SetTheme(fixedVariant{Theme: theme.DefaultTheme(), variant: theme.VariantLight})
	s := NewState(p, path)
	w := test.NewTempWindow(t, nil)
	w.SetPadded(false)
	s.Window = w
	sh := newShell(s)
	w.SetContent(sh.root)
	w.Resize(fyne.NewSize(1280, 800))
	for _, id := range []string{PaneFilters, PaneEmbeddings} {
		sh.show(id)
		if rp, ok := sh.built[id].(renderPreparer); ok {
			rp.PrepareRender(context.Background())
		}
		name := filepath.Join(out, id+".png")
		if err := writePNG(name, w.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote", name)
		if fp, ok := sh.built[id].(*filtersPane); ok && fp.dataOK() {
			// The other tabs, computed as their Run buttons would.
			fp.sync = true
			fp.tabs.SelectIndex(1)
			fp.patches.start()
			name := filepath.Join(out, id+"-patches.png")
			if err := writePNG(name, w.Canvas().Capture()); err != nil {
				t.Fatal(err)
			}
			fp.tabs.SelectIndex(2)
			fp.neigh.start()
			name = filepath.Join(out, id+"-neighbours.png")
			if err := writePNG(name, w.Canvas().Capture()); err != nil {
				t.Fatal(err)
			}
			fp.sync = false
			fp.tabs.SelectIndex(0)
		}
	}
}
