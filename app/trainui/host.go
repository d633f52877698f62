package trainui

import (
	"fyne.io/fyne/v2"

	"github.com/workbench-cv/workbench/app/architecture"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/projects"
)

// host is the Train pane's view of the application state: the open
// project and its dataset, and ways to change them and to show other
// panes. Its methods are called on the UI goroutine only.
type host struct{ s *ui.State }

// Project is the open project (never nil while the pane shows).
func (h host) Project() *projects.Project { return h.s.Project }

// Dataset is the project's loaded dataset, nil until loaded.
func (h host) Dataset() *data.Dataset { return h.s.Dataset }

// MarkDirty records an edit of the project; the state then tells the pane.
func (h host) MarkDirty() { h.s.MarkDirty() }

// ArchitectureProblems lists what stops the network from being trained,
// empty when it can be.
func (h host) ArchitectureProblems() []string {
	if h.s.Project == nil {
		return []string{"No project is open."}
	}
	return architecture.Problems(h.s.Project.Graph, h.s.DatasetShape())
}

// DatasetShape is the image shape (C,H,W), nil when unknown.
func (h host) DatasetShape() []int { return h.s.DatasetShape() }

// DatasetSpec is the project's dataset ("sample" when it has none).
func (h host) DatasetSpec() string { return ui.DatasetSpec(h.s) }

// ShowArchitecture and ShowData bring those panes to the front.
func (h host) ShowArchitecture() { h.s.ShowPane(ui.PaneArchitecture) }
func (h host) ShowData()         { h.s.ShowPane(ui.PaneData) }

// Window is the parent of dialogs (nil: none are shown).
func (h host) Window() fyne.Window { return h.s.Window }

// ProjectPath is the project's file, "" when never saved.
func (h host) ProjectPath() string { return h.s.Path }
