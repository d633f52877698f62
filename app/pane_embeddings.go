package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/widgets"
)

var _ = builtin(Pane{ID: PaneEmbeddings, Title: "Embeddings", Icon: theme.SearchIcon(), Order: 60, New: newEmbeddingsPane})

func newEmbeddingsPane(s *State) fyne.CanvasObject {
	return emptyPane(s, func(s *State) *widgets.EmptyState {
		e := widgets.NewEmptyState(theme.SearchIcon(), "Embeddings",
			"Map the network's feature space: the nearest neighbours of an image by its features, and "+
				"a t-SNE or PCA scatter of a layer's features drawn with image thumbnails, coloured by class.")
		if needsTrainedModel(s, e) {
			e.Steps = []string{"From a terminal, this draws the t-SNE map of the last hidden layer:"}
			e.Command = "workbench tsne --project " + projectArg(s) + " --layer " + lastHidden(s) +
				" --data " + shellQuote(datasetSpec(s)) + " --png tsne.png"
			e.Note = weightsNote(s)
		}
		return e
	})
}
