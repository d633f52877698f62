package architecture

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/projects"
	"github.com/workbench-cv/workbench/widgets/graphedit"
)

// testProject is the application state of a pane under test, counting
// the edits stored.
type testProject struct {
	s    *ui.State
	sets int
}

// graph is the project's architecture.
func (f *testProject) graph() graph.Graph { return f.s.Project.Graph }

// setData gives the project's dataset an image shape and a number of
// classes.
func (f *testProject) setData(input []int, classes int) {
	d := &f.s.Project.Dataset
	d.C, d.H, d.W = input[0], input[1], input[2]
	d.Classes = make([]string, classes)
	for i := range d.Classes {
		d.Classes[i] = fmt.Sprint("class ", i)
	}
}

// refCNN is the sample project's network (1x28x28, 10 classes).
func refCNN(t *testing.T) graph.Graph {
	t.Helper()
	g, err := models.Graph("ref-cnn", []int{1, 28, 28}, 10)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// newTestPane shows the pane for a project with graph g in a light-themed
// test window.
func newTestPane(t *testing.T, g graph.Graph, w, h float32) (*editorPane, *testProject, fyne.Window) {
	t.Helper()
	a := panetest.NewApp(t)
	a.Settings().SetTheme(theme.LightTheme())
	pr := &projects.Project{Graph: g}
	pr.Hyper.Batch = 64
	s := ui.NewState(pr, "")
	proj := &testProject{s: s}
	proj.setData([]int{1, 28, 28}, 10)
	s.OnChange(func(c ui.Change) {
		if c == ui.ProjectEdited {
			proj.sets++
		}
	})
	win := test.NewTempWindow(t, nil)
	s.Window = win
	p := newPane(s)
	win.SetContent(p.Content())
	win.SetPadded(false)
	win.Resize(fyne.NewSize(w, h))
	return p, proj, win
}

// paletteItemNamed returns the palette row for an op, model or block.
func paletteItemNamed(t *testing.T, p *editorPane, kind, name string) *paletteItem {
	t.Helper()
	for _, it := range panetest.Find[*paletteItem](p.pal.root, nil) {
		if it.e.kind == kind && it.e.name == name {
			return it
		}
	}
	// Collapsed sections are not laid out: search for it.
	p.pal.search.SetText(name)
	for _, it := range panetest.Find[*paletteItem](p.pal.root, nil) {
		if it.e.kind == kind && it.e.name == name {
			return it
		}
	}
	t.Fatalf("no palette item %s %s", kind, name)
	return nil
}

func node(t *testing.T, p *editorPane, id string) graphedit.Node {
	t.Helper()
	n, ok := p.ed.Node(id)
	if !ok {
		t.Fatalf("no node %s; nodes %v", id, ids(p))
	}
	return n
}

func ids(p *editorPane) []string {
	var out []string
	for _, n := range p.ed.Graph().Nodes {
		out = append(out, n.ID)
	}
	return out
}
