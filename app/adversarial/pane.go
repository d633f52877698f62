package adversarial

import (
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/app/ui"
)

// Pane is this pane's entry in the main window.
var Pane = ui.CommandPaneOf(ui.PaneAdversarial, "Adversarial", theme.WarningIcon(), 80, "Adversarial examples",
	"Fool the network: change an image by an amount too small to see until the network calls it "+
		"another class (fast gradient sign and iterative attacks), and measure how much change each "+
		"class needs.",
	"From a terminal, this fools the model and writes the images:", "fool")
