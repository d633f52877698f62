package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/widgets"
)

var _ = builtin(Pane{ID: PaneAdversarial, Title: "Adversarial", Icon: theme.WarningIcon(), Order: 80, New: newAdversarialPane})

func newAdversarialPane(s *State) fyne.CanvasObject {
	return emptyPane(s, func(s *State) *widgets.EmptyState {
		e := widgets.NewEmptyState(theme.WarningIcon(), "Adversarial examples",
			"Fool the network: change an image by an amount too small to see until the network calls it "+
				"another class (fast gradient sign and iterative attacks), and measure how much change each "+
				"class needs.")
		if needsTrainedModel(s, e) {
			e.Steps = []string{"From a terminal, this fools the model and writes the images:"}
			e.Command = "workbench viz fool --project " + projectArg(s) + " --out DIR"
			e.Note = weightsNote(s)
		}
		return e
	})
}
