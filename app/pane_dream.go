package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/widgets"
)

var _ = builtin(Pane{ID: PaneDream, Title: "Dream & Style", Icon: theme.ColorChromaticIcon(), Order: 90, New: newDreamPane})

func newDreamPane(s *State) fyne.CanvasObject {
	return emptyPane(s, func(s *State) *widgets.EmptyState {
		e := widgets.NewEmptyState(theme.ColorChromaticIcon(), "Dream & Style",
			"Make images with the network: visualise what a class looks like to it, DeepDream an "+
				"image, invert features back to pixels, synthesise textures and transfer the style of "+
				"one image onto another.")
		if needsTrainedModel(s, e) {
			e.Steps = []string{"From a terminal, this writes a DeepDream image:"}
			e.Command = "workbench viz dream --project " + projectArg(s) + " --out DIR"
			e.Note = weightsNote(s)
		}
		return e
	})
}
