package dream

import (
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/app/ui"
)

// Pane is this pane's entry in the main window.
var Pane = ui.CommandPaneOf(ui.PaneDream, "Dream & Style", theme.ColorChromaticIcon(), 90, "Dream & Style",
	"Make images with the network: visualise what a class looks like to it, DeepDream an "+
		"image, invert features back to pixels, synthesise textures and transfer the style of "+
		"one image onto another.",
	"From a terminal, this writes a DeepDream image:", "dream")
