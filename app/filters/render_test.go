package filters

import (
	"path/filepath"
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
)

// TestRenderFiltersPaneOfAProject renders the Filters & Activations pane of
// the project named by WORKBENCH_INSPECT_PROJECT, each tab computed as its
// Run button would, as render-panes does: a quick look while working on
// the pane. It is skipped when the variable is not set.
func TestRenderFiltersPaneOfAProject(t *testing.T) {
	sh, out := panetest.OpenProjectToRender(t, Pane)
	panetest.WritePNG(t, filepath.Join(out, Pane.ID+".png"), sh.W.Canvas().Capture())
	fp := sh.Built[Pane.ID].(*filtersPane)
	if !fp.DataOK() {
		return
	}
	fp.Sync = true
	defer func() { fp.Sync = false }()
	fp.tabs.SelectIndex(1)
	fp.patches.start()
	panetest.WritePNG(t, filepath.Join(out, Pane.ID+"-patches.png"), sh.W.Canvas().Capture())
	fp.tabs.SelectIndex(2)
	fp.neigh.start()
	panetest.WritePNG(t, filepath.Join(out, Pane.ID+"-neighbours.png"), sh.W.Canvas().Capture())
	fp.tabs.SelectIndex(0)
}
