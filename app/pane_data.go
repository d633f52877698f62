package app

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/widgets"
)

var _ = builtin(Pane{ID: PaneData, Title: "Data", Icon: theme.StorageIcon(), Order: 10, New: newDataPane})

func newDataPane(s *State) fyne.CanvasObject {
	return emptyPane(s, func(s *State) *widgets.EmptyState {
		e := widgets.NewEmptyState(theme.StorageIcon(), "Data",
			"Load the dataset and look at it before training: how many images each class has, a grid "+
				"of examples per class, the train, validation and test splits, the preprocessing "+
				"(mean image, per-channel normalisation, PCA whitening) and what augmentation does to an image.")
		spec := s.Project.Dataset.Spec
		if spec == "" {
			e.Steps = []string{"Choose a dataset for this project: the bundled sample, Fashion-MNIST, MNIST, CIFAR-10, " +
				"or a folder or .zip of class folders of images."}
			return e
		}
		if spec == "sample" {
			e.Steps = []string{"This project trains on the bundled sample: a small, class-balanced cut of " +
				"Fashion-MNIST built into Workbench. Describe it from a terminal:"}
		} else {
			e.Steps = []string{fmt.Sprintf("This project trains on %q. Describe it from a terminal:", spec)}
		}
		e.Command = "workbench data " + shellQuote(spec)
		if ds := s.Dataset; ds != nil && ds.Train != nil {
			e.Note = fmt.Sprintf("Loaded: %d training images in %d classes (%s).", ds.Train.Len(), len(ds.Train.Classes), strings.Join(ds.Train.Classes, ", "))
		} else if cl := s.Project.Dataset.Classes; len(cl) > 0 {
			e.Note = fmt.Sprintf("Classes: %s.", strings.Join(cl, ", "))
		}
		return e
	})
}
