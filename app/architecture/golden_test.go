package architecture

import (
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/engine/graph"
)

// The Architecture pane's two main states as markup: an empty network (what
// to do first) and the sample's network (the ResNet-18 picture is
// TestGoldenResNet18).
func TestGoldenArchitecturePaneStates(t *testing.T) {
	_, _, w := newTestPane(t, graph.Graph{}, 1280, 800)
	panetest.AssertMarkup(t, "architecture-empty.xml", w)

	_, _, w = newTestPane(t, refCNN(t), 1280, 800)
	panetest.AssertMarkup(t, "architecture-loaded.xml", w)
}
