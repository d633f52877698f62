package ui_test

import (
	"testing"

	"github.com/workbench-cv/workbench/app/dream"
	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
)

// The panes whose views are still to come (Dream &
// Style) in their two states: asking for a trained model, and giving the
// command that does the work for one.
func TestGoldenCommandPaneStates(t *testing.T) {
	for _, pane := range []ui.Pane{dream.Pane} {
		_, _, w := panetest.Open(t, panetest.Sample(t), pane.ID, pane)
		panetest.AssertMarkup(t, pane.ID+"-empty.xml", w)
		_, _, w = panetest.Open(t, panetest.Trained(t), pane.ID, pane)
		panetest.AssertMarkup(t, pane.ID+"-loaded.xml", w)
	}
}
