package app

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/widgets"
)

var _ = builtin(Pane{ID: PaneArchitecture, Title: "Architecture", Icon: theme.GridIcon(), Order: 20, New: newArchitecturePane})

func newArchitecturePane(s *State) fyne.CanvasObject {
	return emptyPane(s, func(s *State) *widgets.EmptyState {
		e := widgets.NewEmptyState(theme.GridIcon(), "Architecture",
			"Design the network as a graph of layers: add convolutions, pooling, normalisation and "+
				"fully connected layers, connect them, and see every layer's output shape, parameter "+
				"count and FLOPs as you edit. Start from the model zoo (LeNet-5, AlexNet, VGG, ResNet, "+
				"MobileNet...) adapted to the dataset's image size and classes.")
		if !s.HasArchitecture() {
			e.Steps = []string{"This project has no network yet. See the reference network layer by layer from a terminal:"}
			e.Command = "workbench summary --model ref-cnn"
			return e
		}
		ops := map[string]int{}
		for _, n := range s.Project.Graph.Nodes {
			ops[n.Op]++
		}
		e.Steps = []string{"The project's network is ready. Print its per-layer table from a terminal:"}
		e.Command = "workbench summary --project " + projectArg(s)
		e.Note = fmt.Sprintf("This project's network has %d nodes: %d convolutions, %d fully connected layers.",
			len(s.Project.Graph.Nodes), ops["conv2d"], ops["linear"])
		return e
	})
}
