package dream

import (
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
)

// The Dream & Style pane's two main states: asking for a trained model,
// and the trained sample with DeepDream's settings and its weak-network
// notice (a grey network of a small dataset).
func TestGoldenDreamPaneStates(t *testing.T) {
	_, _, w := panetest.Open(t, panetest.Sample(t), ui.PaneDream, Pane)
	panetest.AssertMarkup(t, "dream-empty.xml", w)

	_, _, w = panetest.Open(t, panetest.TrainedSample(t), ui.PaneDream, Pane)
	panetest.AssertMarkup(t, "dream-loaded.xml", w)
}
