package trainui

import (
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
)

// The Train pane's two main states: the dataset not loaded yet (Start
// offers to load it), and ready to start on a small cut of the sample.
func TestGoldenTrainPaneStates(t *testing.T) {
	_, _, w := newTestPane(t, nil)
	panetest.AssertMarkup(t, "train-empty.xml", w)

	_, _, w = newTestPane(t, tinyData(t, 300, 50))
	panetest.AssertMarkup(t, "train-loaded.xml", w)
}
