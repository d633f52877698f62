package dream

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/widgets"
)

// Pane is this pane's entry in the main window.
var Pane = ui.Pane{ID: ui.PaneDream, Title: "Dream & Style", Icon: theme.ColorChromaticIcon(), Order: 90, New: newDreamPane}

func newDreamPane(s *ui.State) fyne.CanvasObject {
	return ui.EmptyPane(s, func(s *ui.State) *widgets.EmptyState {
		e := widgets.NewEmptyState(theme.ColorChromaticIcon(), "Dream & Style",
			"Make images with the network: visualise what a class looks like to it, DeepDream an "+
				"image, invert features back to pixels, synthesise textures and transfer the style of "+
				"one image onto another.")
		if ui.NeedsTrainedModel(s, e) {
			e.Steps = []string{"From a terminal, this writes a DeepDream image:"}
			e.Command = "workbench viz dream --project " + ui.ProjectArg(s) + " --out DIR"
			e.Note = ui.WeightsNote(s)
		}
		return e
	})
}
