package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/app/architecture"
	"github.com/workbench-cv/workbench/engine/graph"
)

var _ = builtin(Pane{ID: PaneArchitecture, Title: "Architecture", Icon: theme.GridIcon(), Order: 20, New: newArchitecturePane})

// newArchitecturePane is the layer-graph editor (package architecture) on
// the open project; it follows project changes made elsewhere.
func newArchitecturePane(s *State) fyne.CanvasObject {
	p := architecture.New(archProject{s})
	s.OnChange(func(c Change) {
		switch c {
		case ProjectReplaced:
			p.Load()
		case ProjectEdited, DatasetChanged:
			p.ProjectChanged()
		}
	})
	return p.Content()
}

// archProject shows the state's project to the Architecture pane.
type archProject struct{ s *State }

func (a archProject) Graph() graph.Graph {
	if a.s.Project == nil {
		return graph.Graph{}
	}
	return a.s.Project.Graph
}

func (a archProject) SetGraph(g graph.Graph) {
	if a.s.Project == nil {
		return
	}
	a.s.Project.Graph = g
	a.s.MarkDirty()
}

func (a archProject) InputShape() []int { return a.s.datasetShape() }

func (a archProject) Classes() int {
	if a.s.Project != nil && len(a.s.Project.Dataset.Classes) > 0 {
		return len(a.s.Project.Dataset.Classes)
	}
	if ds := a.s.Dataset; ds != nil && ds.Train != nil {
		return len(ds.Train.Classes)
	}
	return 0
}

func (a archProject) Batch() int {
	if a.s.Project == nil {
		return 0
	}
	return a.s.Project.Hyper.Batch
}

func (a archProject) Window() fyne.Window { return a.s.Window }

// datasetShape is the image shape (C,H,W) of the project's dataset, nil
// when it is not known yet.
func (s *State) datasetShape() []int {
	if s.Project != nil {
		if d := s.Project.Dataset; d.C > 0 && d.H > 0 && d.W > 0 {
			return []int{d.C, d.H, d.W}
		}
	}
	if ds := s.Dataset; ds != nil && ds.Train != nil && ds.Train.C > 0 {
		return []int{ds.Train.C, ds.Train.H, ds.Train.W}
	}
	return nil
}

// ArchitectureProblems lists what stops the project's network from being
// trained ("node: problem. Fix: ..."), empty when it can be: a graph with
// errors (shape or channel mismatches, cycles, unconnected inputs) or an
// input that is not the dataset's shape. The Train pane shows these instead
// of starting.
func (s *State) ArchitectureProblems() []string {
	if s.Project == nil {
		return []string{"No project is open."}
	}
	return architecture.Problems(s.Project.Graph, s.datasetShape())
}
