package ui

import (
	"fmt"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"github.com/workbench-cv/workbench/widgets"
)

// EmptyPane shows the empty state that build computes from the state, and
// computes it again whenever the state changes (another project, an edit, a
// dataset), so that "what to do first" always fits the open project.
func EmptyPane(s *State, build func(s *State) *widgets.EmptyState) fyne.CanvasObject {
	box := container.NewStack(build(s))
	s.OnChange(func(c Change) {
		if c == DeviceChanged {
			return
		}
		box.Objects = []fyne.CanvasObject{build(s)}
		box.Refresh()
	})
	return box
}

// GoTo sets an empty state's button to show another pane.
func GoTo(s *State, e *widgets.EmptyState, paneID string) {
	title, ok := s.PaneTitle(paneID)
	if !ok {
		return
	}
	e.ActionLabel = "Go to " + title
	e.OnAction = func() { s.ShowPane(paneID) }
}

// NeedsTrainedModel fills in the first steps of a pane that inspects a
// trained network, and reports whether the project has one.
func NeedsTrainedModel(s *State, e *widgets.EmptyState) bool {
	switch {
	case !s.HasArchitecture():
		e.Steps = []string{
			"Define a network in the Architecture pane (or start from a model of the zoo).",
			"Train it in the Train pane.",
		}
		GoTo(s, e, PaneArchitecture)
		return false
	case !s.HasWeights():
		e.Steps = []string{"Train a model first in the Train pane."}
		GoTo(s, e, PaneTrain)
		return false
	}
	return true
}

// WeightsNote describes the trained model of the project in one line.
func WeightsNote(s *State) string {
	n, params := 0, 0
	for _, t := range s.Project.Group("weights") {
		n++
		params += t.Elements()
	}
	return fmt.Sprintf("This project holds a trained model: %d weight tensors, %s parameters.", n, widgets.Thousands(params))
}

// ProjectArg is the project file as a command-line argument.
func ProjectArg(s *State) string {
	if s.Path == "" {
		return "FILE.wbproj"
	}
	return ShellQuote(s.Path)
}

// ShellQuote quotes an argument for a POSIX shell when it needs it.
func ShellQuote(a string) string {
	if a != "" && strings.IndexFunc(a, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./=:,+@", r))
	}) < 0 {
		return a
	}
	return "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
}

// LastHidden names the layer before the classifier: the input of the last
// node, or the last node when the graph has one node.
func LastHidden(s *State) string {
	nodes := s.Project.Graph.Nodes
	if len(nodes) == 0 {
		return "LAYER"
	}
	last := nodes[len(nodes)-1]
	if len(last.Inputs) == 1 {
		return last.Inputs[0]
	}
	return last.ID
}

// DatasetSpec is the project's dataset, "sample" when it has none.
func DatasetSpec(s *State) string {
	if s.Project.Dataset.Spec == "" {
		return "sample"
	}
	return s.Project.Dataset.Spec
}
