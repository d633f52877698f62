package adversarial

import (
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
)

// The Adversarial pane's two main states: asking for a trained model, and
// a trained model waiting for its dataset.
func TestGoldenAdversarialPaneStates(t *testing.T) {
	_, _, w := panetest.Open(t, panetest.Sample(t), ui.PaneAdversarial, Pane)
	panetest.AssertMarkup(t, "adversarial-empty.xml", w)

	_, _, w = panetest.Open(t, panetest.TrainedSample(t), ui.PaneAdversarial, Pane)
	panetest.AssertMarkup(t, "adversarial-loaded.xml", w)
}
