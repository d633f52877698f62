package embeddings

import (
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/workbench-cv/workbench/app/internal/panetest"
)

// TestRenderEmbeddingsPaneOfAProject renders the Embeddings pane of the
// project named by WORKBENCH_INSPECT_PROJECT as render-panes does, then
// with a point hovered and a region selected, as a user would: a quick look
// while working on the pane. It is skipped when the variable is not set.
func TestRenderEmbeddingsPaneOfAProject(t *testing.T) {
	sh, out := panetest.OpenProjectToRender(t, Pane)
	panetest.WritePNG(t, filepath.Join(out, Pane.ID+".png"), sh.W.Canvas().Capture())
	ep := sh.Built[Pane.ID].(*embeddingsPane)
	if ep.res == nil {
		return
	}
	sc := ep.scatter
	sc.MouseMoved(&desktop.MouseEvent{PointEvent: fyne.PointEvent{Position: sc.PointPosition(0)}})
	panetest.WritePNG(t, filepath.Join(out, Pane.ID+"-hover.png"), sh.W.Canvas().Capture())
	sc.MouseOut()
	sz := sc.Size()
	box := sc.InBox(fyne.NewPos(sz.Width*0.55, sz.Height*0.55), fyne.NewPos(sz.Width*0.8, sz.Height*0.8))
	sc.Select(box)
	ep.selected(box)
	panetest.WritePNG(t, filepath.Join(out, Pane.ID+"-selection.png"), sh.W.Canvas().Capture())
}
