package filters

import (
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
)

// The Filters & Activations pane's two main states: asking for a trained
// model, and a trained model's filters (the dataset not loaded yet).
func TestGoldenFiltersPaneStates(t *testing.T) {
	_, _, w := panetest.Open(t, panetest.Sample(t), ui.PaneFilters, Pane)
	panetest.AssertMarkup(t, "filters-empty.xml", w)

	_, _, w = panetest.Open(t, panetest.TrainedSample(t), ui.PaneFilters, Pane)
	panetest.AssertMarkup(t, "filters-loaded.xml", w)
}
