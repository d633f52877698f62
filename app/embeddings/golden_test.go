package embeddings

import (
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
)

// The Embeddings pane's two main states: asking for a trained model, and
// its settings for a trained model with the dataset loaded (before a run).
func TestGoldenEmbeddingsPaneStates(t *testing.T) {
	_, _, w := panetest.Open(t, panetest.Sample(t), ui.PaneEmbeddings, Pane)
	panetest.AssertMarkup(t, "embeddings-empty.xml", w)

	s, _, w := panetest.Open(t, panetest.TrainedSample(t), ui.PaneEmbeddings, Pane)
	s.SetDataset(panetest.SampleData(t))
	panetest.AssertMarkup(t, "embeddings-loaded.xml", w)
}
