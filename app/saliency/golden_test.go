package saliency

import (
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
)

// The Saliency pane's two main states: asking for a trained model, and a
// trained model waiting for its dataset.
func TestGoldenSaliencyPaneStates(t *testing.T) {
	_, _, w := panetest.Open(t, panetest.Sample(t), ui.PaneSaliency, Pane)
	panetest.AssertMarkup(t, "saliency-empty.xml", w)

	_, _, w = panetest.Open(t, panetest.TrainedSample(t), ui.PaneSaliency, Pane)
	panetest.AssertMarkup(t, "saliency-loaded.xml", w)
}
