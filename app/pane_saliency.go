package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/widgets"
)

var _ = builtin(Pane{ID: PaneSaliency, Title: "Saliency", Icon: theme.VisibilityIcon(), Order: 70, New: newSaliencyPane})

func newSaliencyPane(s *State) fyne.CanvasObject {
	return emptyPane(s, func(s *State) *widgets.EmptyState {
		e := widgets.NewEmptyState(theme.VisibilityIcon(), "Saliency",
			"Ask which pixels a prediction depends on: gradient saliency maps, guided backpropagation "+
				"and occlusion sensitivity, drawn over the image as heat maps.")
		if needsTrainedModel(s, e) {
			e.Steps = []string{"From a terminal, this writes the maps as PNG files:"}
			e.Command = "workbench viz saliency --project " + projectArg(s) + " --out DIR"
			e.Note = weightsNote(s)
		}
		return e
	})
}
