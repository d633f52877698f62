package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/widgets"
)

var _ = builtin(Pane{ID: PaneFilters, Title: "Filters & Activations", Icon: theme.ColorPaletteIcon(), Order: 50, New: newFiltersPane})

func newFiltersPane(s *State) fyne.CanvasObject {
	return emptyPane(s, func(s *State) *widgets.EmptyState {
		e := widgets.NewEmptyState(theme.ColorPaletteIcon(), "Filters & Activations",
			"See what the trained network has learned: the first layer's filters as images, the "+
				"activation maps of any layer for an image you choose, and the image patches that excite "+
				"a unit the most.")
		if needsTrainedModel(s, e) {
			e.Steps = []string{"From a terminal, this writes the filters as PNG files:"}
			e.Command = "workbench viz filters --project " + projectArg(s) + " --out DIR"
			e.Note = weightsNote(s)
		}
		return e
	})
}
