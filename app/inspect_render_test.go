package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"
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
	variant := theme.VariantLight
	if os.Getenv("WORKBENCH_INSPECT_DARK") != "" {
		variant = theme.VariantDark
	}
	a.Settings().SetTheme(fixedVariant{Theme: theme.DefaultTheme(), variant: variant})
	width, height := float32(1280), float32(800)
	if os.Getenv("WORKBENCH_INSPECT_SMALL") != "" {
		width, height = 1024, 700
	}
	s := NewState(p, path)
	w := test.NewTempWindow(t, nil)
	w.SetPadded(false)
	s.Window = w
	sh := newShell(s)
	w.SetContent(sh.root)
	w.Resize(fyne.NewSize(width, height))
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
		if ep, ok := sh.built[id].(*embeddingsPane); ok && ep.res != nil {
			// Hover a point, then select a region, as a user would.
			sc := ep.scatter
			sc.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: sc.PointPosition(0)}})
			if err := writePNG(filepath.Join(out, id+"-hover.png"), w.Canvas().Capture()); err != nil {
				t.Fatal(err)
			}
			sc.MouseOut()
			sz := sc.Size()
			box := sc.InBox(fyne.NewPos(sz.Width*0.55, sz.Height*0.55), fyne.NewPos(sz.Width*0.8, sz.Height*0.8))
			sc.Select(box)
			ep.selected(box)
			if err := writePNG(filepath.Join(out, id+"-selection.png"), w.Canvas().Capture()); err != nil {
				t.Fatal(err)
			}
		}
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
