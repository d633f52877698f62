package app

import (
	"strings"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/workbench-cv/workbench/app/architecture"
	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/widgets/graphedit"
)

func TestArchitecturePaneEditsTheProjectAndMarksItDirty(t *testing.T) {
	panetest.NewApp(t)
	s := ui.NewState(panetest.Sample(t), "")
	w := test.NewTempWindow(t, nil)
	s.Window = w
	sh := newShell(s)
	w.SetContent(sh.root)
	w.Resize(fyne.NewSize(1280, 800))
	sh.show(ui.PaneArchitecture)
	eds := panetest.Find[*graphedit.Editor](sh.body, nil)
	if len(eds) != 1 {
		t.Fatalf("the Architecture pane shows %d graph editors", len(eds))
	}
	ed := eds[0]
	if ed.Len() != len(s.Project.Graph.Nodes) || s.Dirty() {
		t.Fatalf("editor shows %d of %d nodes; dirty %v", ed.Len(), len(s.Project.Graph.Nodes), s.Dirty())
	}
	if p := architecture.Problems(s.Project.Graph, s.DatasetShape()); len(p) != 0 {
		t.Fatalf("the sample's network has problems: %q", p)
	}

	// Deleting the flatten is an edit of the project, with a problem the
	// Train pane can show.
	ed.Delete("flatten")
	if !s.Dirty() || s.Project.Graph.Find("flatten") != nil {
		t.Fatalf("delete did not reach the project (dirty %v)", s.Dirty())
	}
	p := architecture.Problems(s.Project.Graph, s.DatasetShape())
	if len(p) != 1 || !strings.HasPrefix(p[0], "fc1: ") || !strings.Contains(p[0], "Fix: ") {
		t.Fatalf("problems %q", p)
	}
	ed.Undo()
	if s.Project.Graph.Find("flatten") == nil || len(architecture.Problems(s.Project.Graph, s.DatasetShape())) != 0 {
		t.Fatalf("undo did not restore the project's network")
	}

	// Another project replaces the graph and the history.
	s.SetProject(panetest.Trained(t), "")
	if ed.CanUndo() || ed.Len() != len(s.Project.Graph.Nodes) {
		t.Fatalf("after a new project: undo %v, %d nodes", ed.CanUndo(), ed.Len())
	}
	// A dataset of another shape makes the input a problem.
	s.Project.Dataset.C, s.Project.Dataset.H, s.Project.Dataset.W = 3, 32, 32
	s.MarkDirty()
	if p := architecture.Problems(s.Project.Graph, s.DatasetShape()); len(p) != 1 || !strings.HasPrefix(p[0], "input: ") {
		t.Fatalf("problems with a 3x32x32 dataset: %q", p)
	}
	if a := ed.Annotation("input"); !strings.Contains(a.Error, "3×32×32") {
		t.Fatalf("the input card does not show the mismatch: %+v", a)
	}
}
