package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/app/trainui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/projects"
)

var _ = builtin(Pane{ID: PaneTrain, Title: "Train", Icon: theme.MediaPlayIcon(), Order: 30, New: newTrainPane})

// newTrainPane is the Train pane (package trainui) on the open project; it
// follows the state's changes.
func newTrainPane(s *State) fyne.CanvasObject {
	p := trainui.New(trainHost{s})
	s.OnChange(func(c Change) {
		switch c {
		case ProjectReplaced:
			p.ProjectReplaced()
		case ProjectEdited:
			p.ProjectEdited()
		case DatasetChanged:
			p.DatasetChanged()
		}
	})
	return p.Content()
}

// trainHost shows the state to the Train pane.
type trainHost struct{ s *State }

func (h trainHost) Project() *projects.Project           { return h.s.Project }
func (h trainHost) Dataset() *data.Dataset               { return h.s.Dataset }
func (h trainHost) MarkDirty()                           { h.s.MarkDirty() }
func (h trainHost) ArchitectureProblems() []string       { return h.s.ArchitectureProblems() }
func (h trainHost) DatasetShape() []int                  { return h.s.datasetShape() }
func (h trainHost) DatasetSpec() string                  { return datasetSpec(h.s) }
func (h trainHost) DatasetTitle(spec string) string      { return datasetTitle(spec) }
func (h trainHost) LoadOptions(spec string) data.Options { return loadOptions(h.s, spec, 0) }
func (h trainHost) UseDataset(spec string, ds *data.Dataset) {
	setProjectDataset(h.s, spec, ds, 0)
}
func (h trainHost) ShowArchitecture()   { h.s.ShowPane(PaneArchitecture) }
func (h trainHost) ShowData()           { h.s.ShowPane(PaneData) }
func (h trainHost) Window() fyne.Window { return h.s.Window }
func (h trainHost) ProjectPath() string { return h.s.Path }
