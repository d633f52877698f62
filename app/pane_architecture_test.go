package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/workbench-cv/workbench/widgets/graphedit"
)

func TestArchitecturePaneEditsTheProjectAndMarksItDirty(t *testing.T) {
	test.NewTempApp(t)
	s := NewState(sample(t), "")
	w := test.NewTempWindow(t, nil)
	s.Window = w
	sh := newShell(s)
	w.SetContent(sh.root)
	w.Resize(fyne.NewSize(1280, 800))
	sh.show(PaneArchitecture)
	eds := find[*graphedit.Editor](sh.body, nil)
	if len(eds) != 1 {
		t.Fatalf("the Architecture pane shows %d graph editors", len(eds))
	}
	ed := eds[0]
	if ed.Len() != len(s.Project.Graph.Nodes) || s.Dirty() {
		t.Fatalf("editor shows %d of %d nodes; dirty %v", ed.Len(), len(s.Project.Graph.Nodes), s.Dirty())
	}
	if p := s.ArchitectureProblems(); len(p) != 0 {
		t.Fatalf("the sample's network has problems: %q", p)
	}

	// Deleting the flatten is an edit of the project, with a problem the
	// Train pane can show.
	ed.Delete("flatten")
	if !s.Dirty() || s.Project.Graph.Find("flatten") != nil {
		t.Fatalf("delete did not reach the project (dirty %v)", s.Dirty())
	}
	p := s.ArchitectureProblems()
	if len(p) != 1 || !strings.HasPrefix(p[0], "fc1: ") || !strings.Contains(p[0], "Fix: ") {
		t.Fatalf("problems %q", p)
	}
	ed.Undo()
	if s.Project.Graph.Find("flatten") == nil || len(s.ArchitectureProblems()) != 0 {
		t.Fatalf("undo did not restore the project's network")
	}

	// Another project replaces the graph and the history.
	s.SetProject(trained(t), "")
	if ed.CanUndo() || ed.Len() != len(s.Project.Graph.Nodes) {
		t.Fatalf("after a new project: undo %v, %d nodes", ed.CanUndo(), ed.Len())
	}
	// A dataset of another shape makes the input a problem.
	s.Project.Dataset.C, s.Project.Dataset.H, s.Project.Dataset.W = 3, 32, 32
	s.MarkDirty()
	if p := s.ArchitectureProblems(); len(p) != 1 || !strings.HasPrefix(p[0], "input: ") {
		t.Fatalf("problems with a 3x32x32 dataset: %q", p)
	}
	if a := ed.Annotation("input"); !strings.Contains(a.Error, "3×32×32") {
		t.Fatalf("the input card does not show the mismatch: %+v", a)
	}
}
