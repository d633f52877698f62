package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/widgets"
)

var _ = builtin(Pane{ID: PaneTrain, Title: "Train", Icon: theme.MediaPlayIcon(), Order: 30, New: newTrainPane})

func newTrainPane(s *State) fyne.CanvasObject {
	return emptyPane(s, func(s *State) *widgets.EmptyState {
		e := widgets.NewEmptyState(theme.MediaPlayIcon(), "Train",
			"Train the network on the dataset: pick the optimizer, learning rate, schedule, batch size "+
				"and augmentation, watch the loss and accuracy curves live, and stop at any time. Every run "+
				"is kept in the project's history with its metrics, so runs can be compared side by side.")
		if !s.HasArchitecture() {
			e.Steps = []string{"Define a network first in the Architecture pane."}
			goTo(s, e, PaneArchitecture)
			return e
		}
		h := s.Project.Hyper
		e.Steps = []string{"The network and dataset are set. Train it with the project's settings from a terminal:"}
		e.Command = "workbench train --project " + projectArg(s) + " --save " + projectArg(s)
		if h.Optimizer != "" {
			e.Note = fmt.Sprintf("Settings: %s, learning rate %g, batch %d, %d epochs.", h.Optimizer, h.LR, h.Batch, h.Epochs)
		}
		if n := len(s.Project.Runs); n > 0 {
			best := 0.0
			for _, r := range s.Project.Runs {
				for _, ep := range r.Epochs {
					best = max(best, ep.ValAcc)
				}
			}
			e.Note = fmt.Sprintf("%d runs in the history; best validation accuracy %.1f%%.", n, 100*best)
		}
		return e
	})
}
