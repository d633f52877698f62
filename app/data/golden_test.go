package data

import (
	"context"
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
)

// The Data pane's two main states, as the window shows them: what to do
// first (a project that names no dataset), and the sample loaded.
func TestGoldenDataPaneStates(t *testing.T) {
	p := panetest.Sample(t)
	p.Dataset.Spec = ""
	_, sh, w := panetest.Open(t, p, ui.PaneData, Pane)
	panetest.AssertMarkup(t, "data-empty.xml", w)

	_, sh, w = panetest.Open(t, panetest.Sample(t), ui.PaneData, Pane)
	sh.Built[ui.PaneData].(ui.RenderPreparer).PrepareRender(context.Background())
	panetest.AssertMarkup(t, "data-loaded.xml", w)
}
