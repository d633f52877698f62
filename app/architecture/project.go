package architecture

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/graph"
)

// Pane is the Architecture pane's entry in the main window.
var Pane = ui.Pane{ID: ui.PaneArchitecture, Title: "Architecture", Icon: theme.GridIcon(), Order: 20, New: New}

// New builds the layer-graph editor on the state's project; it follows
// project changes made elsewhere.
func New(s *ui.State) fyne.CanvasObject {
	p := newPane(s)
	s.OnChange(func(c ui.Change) {
		switch c {
		case ui.ProjectReplaced:
			p.Load()
		case ui.ProjectEdited, ui.DatasetChanged:
			p.ProjectChanged()
		}
	})
	return p.Content()
}

// project is the Architecture pane's view of the application state.
type project struct{ s *ui.State }

func (a project) Graph() graph.Graph {
	if a.s.Project == nil {
		return graph.Graph{}
	}
	return a.s.Project.Graph
}

func (a project) SetGraph(g graph.Graph) {
	if a.s.Project == nil {
		return
	}
	a.s.Project.Graph = g
	a.s.MarkDirty()
}

func (a project) InputShape() []int { return a.s.DatasetShape() }

func (a project) Classes() int {
	if a.s.Project != nil && len(a.s.Project.Dataset.Classes) > 0 {
		return len(a.s.Project.Dataset.Classes)
	}
	if ds := a.s.Dataset; ds != nil && ds.Train != nil {
		return len(ds.Train.Classes)
	}
	return 0
}

func (a project) Batch() int {
	if a.s.Project == nil {
		return 0
	}
	return a.s.Project.Hyper.Batch
}

func (a project) Window() fyne.Window { return a.s.Window }
