package classic

import (
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
)

// The Classic pane's two main states: asking for the dataset, and the
// overview with the sample loaded (before any run).
func TestGoldenClassicPaneStates(t *testing.T) {
	_, _, w := panetest.Open(t, panetest.Sample(t), ui.PaneClassic, Pane)
	panetest.AssertMarkup(t, "classic-empty.xml", w)

	s, _, w := panetest.Open(t, panetest.Sample(t), ui.PaneClassic, Pane)
	s.SetDataset(panetest.SampleData(t))
	panetest.AssertMarkup(t, "classic-loaded.xml", w)
}
