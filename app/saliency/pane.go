package saliency

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/widgets"
)

// Pane is this pane's entry in the main window.
var Pane = ui.Pane{ID: ui.PaneSaliency, Title: "Saliency", Icon: theme.VisibilityIcon(), Order: 70, New: newSaliencyPane}

func newSaliencyPane(s *ui.State) fyne.CanvasObject {
	return ui.EmptyPane(s, func(s *ui.State) *widgets.EmptyState {
		e := widgets.NewEmptyState(theme.VisibilityIcon(), "Saliency",
			"Ask which pixels a prediction depends on: gradient saliency maps, guided backpropagation "+
				"and occlusion sensitivity, drawn over the image as heat maps.")
		if ui.NeedsTrainedModel(s, e) {
			e.Steps = []string{"From a terminal, this writes the maps as PNG files:"}
			e.Command = "workbench viz saliency --project " + ui.ProjectArg(s) + " --out DIR"
			e.Note = ui.WeightsNote(s)
		}
		return e
	})
}
