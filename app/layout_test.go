package app

import (
	"testing"

	"fyne.io/fyne/v2"

	"github.com/workbench-cv/workbench/app/internal/panetest"
)

// Every pane of the sample project, with its dataset loaded, fits a
// 1280x800 and a 1024x700 window: the window's content never asks for more
// (a pane that did would grow the window and push the status bar off).
func TestEveryPaneFitsTheSmallWindows(t *testing.T) {
	tw := newTestWindow(t, panetest.Sample(t), "")
	tw.state.SetDataset(panetest.SampleData(t))
	for _, pane := range tw.shell.panes {
		id := pane.ID
		tw.state.ShowPane(id)
		m := tw.win.Content().MinSize()
		for _, size := range []fyne.Size{{Width: 1280, Height: 800}, {Width: 1024, Height: 700}} {
			if m.Width > size.Width || m.Height > size.Height {
				t.Errorf("pane %s: the window needs %v, more than %v", id, m, size)
			}
		}
	}
}
