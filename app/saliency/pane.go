package saliency

import (
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/app/ui"
)

// Pane is this pane's entry in the main window.
var Pane = ui.CommandPaneOf(ui.PaneSaliency, "Saliency", theme.VisibilityIcon(), 70, "Saliency",
	"Ask which pixels a prediction depends on: gradient saliency maps, guided backpropagation "+
		"and occlusion sensitivity, drawn over the image as heat maps.",
	"From a terminal, this writes the maps as PNG files:", "saliency")
