package app

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/app/internal/panetest"
)

// Opening a project loads the dataset it names, for every pane; one whose
// file moved is said so clearly, and the project still opens.
func TestOpeningAProjectReloadsItsDatasetOrSaysItMoved(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.wbproj")
	saveFile(t, panetest.Sample(t), path)
	tw := newTestWindow(t, panetest.Sample(t), "")
	tw.load(path, path)
	if tw.datasetJob == nil {
		t.Fatal("no dataset load started on open")
	}
	tw.datasetJob.Wait()
	if tw.state.Dataset == nil || tw.state.Dataset.Train.Len() == 0 {
		t.Fatal("the sample dataset was not reloaded")
	}
	moved := panetest.Sample(t)
	moved.Dataset.Spec = filepath.Join(dir, "gone", "data.npz")
	other := filepath.Join(dir, "moved.wbproj")
	saveFile(t, moved, other)
	n := len(tw.dialogs)
	tw.load(other, other)
	if tw.state.Path != other || len(tw.dialogs) != n+1 {
		t.Fatalf("project %q opened, %d new dialogs", tw.state.Path, len(tw.dialogs)-n)
	}
	if tw.state.Dataset != nil {
		t.Fatal("the old project's dataset stayed")
	}
	if text := panetest.Texts(tw.win.Canvas().Overlays().Top()); !strings.Contains(text, "moved or was deleted") {
		t.Fatalf("message %q", text)
	}
}
