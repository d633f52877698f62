package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/widgets"
)

var _ = builtin(Pane{ID: PaneClassic, Title: "Classic", Icon: theme.HistoryIcon(), Order: 40, New: newClassicPane})

func newClassicPane(s *State) fyne.CanvasObject {
	return emptyPane(s, func(s *State) *widgets.EmptyState {
		e := widgets.NewEmptyState(theme.HistoryIcon(), "Classic methods",
			"The baselines before deep learning: a k-nearest-neighbour classifier with cross-validation "+
				"over k, and linear SVM and softmax classifiers on raw pixels or on HOG and colour-histogram "+
				"features, with a search over learning rate and regularisation.")
		e.Steps = []string{"These need only a dataset: check it in the Data pane. Run the nearest-neighbour classifier from a terminal:"}
		e.Command = "workbench knn --data " + shellQuote(datasetSpec(s))
		goTo(s, e, PaneData)
		return e
	})
}
