package adversarial

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/widgets"
)

// Pane is this pane's entry in the main window.
var Pane = ui.Pane{ID: ui.PaneAdversarial, Title: "Adversarial", Icon: theme.WarningIcon(), Order: 80, New: newAdversarialPane}

func newAdversarialPane(s *ui.State) fyne.CanvasObject {
	return ui.EmptyPane(s, func(s *ui.State) *widgets.EmptyState {
		e := widgets.NewEmptyState(theme.WarningIcon(), "Adversarial examples",
			"Fool the network: change an image by an amount too small to see until the network calls it "+
				"another class (fast gradient sign and iterative attacks), and measure how much change each "+
				"class needs.")
		if ui.NeedsTrainedModel(s, e) {
			e.Steps = []string{"From a terminal, this fools the model and writes the images:"}
			e.Command = "workbench viz fool --project " + ui.ProjectArg(s) + " --out DIR"
			e.Note = ui.WeightsNote(s)
		}
		return e
	})
}
