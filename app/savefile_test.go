package app

import (
	"os"
	"path/filepath"
	"testing"

	"fyne.io/fyne/v2/storage"

	"github.com/workbench-cv/workbench/app/internal/panetest"
	"github.com/workbench-cv/workbench/projects"
)

// pickInSaveDialog does what Fyne's Save dialog does when a file is chosen:
// it opens a writer on the file and hands it to the window's callback.
func pickInSaveDialog(t *testing.T, tw *testWindow, path string) {
	t.Helper()
	wc, err := storage.Writer(storage.NewFileURI(path))
	tw.savePicked(wc, err, nil)
}

func TestSaveDialogLeavesAChosenFileAsItWasWhenTheSaveFails(t *testing.T) {
	tw := newTestWindow(t, panetest.Sample(t), "")
	path := filepath.Join(t.TempDir(), "thesis.wbproj")
	precious := []byte("three years of notes, not a project")
	if err := os.WriteFile(path, precious, 0o644); err != nil {
		t.Fatal(err)
	}
	pickInSaveDialog(t, tw, path)
	got, err := os.ReadFile(path)
	if err != nil || string(got) != string(precious) {
		t.Fatalf("the chosen file now holds %q (%v), want it untouched", got, err)
	}
	if len(tw.dialogs) != 1 || tw.state.Path != "" {
		t.Fatalf("a refused save: %d dialogs, path %q", len(tw.dialogs), tw.state.Path)
	}
}

func TestSaveDialogAddsTheExtensionWithoutTouchingTheFileChosen(t *testing.T) {
	tw := newTestWindow(t, panetest.Sample(t), "")
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notes, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	pickInSaveDialog(t, tw, notes)
	if got, err := os.ReadFile(notes); err != nil || string(got) != "keep me" {
		t.Fatalf("notes.txt now holds %q (%v)", got, err)
	}
	if tw.state.Path != notes+projects.Extension {
		t.Fatalf("saved to %q, want %q", tw.state.Path, notes+projects.Extension)
	}
	if _, err := projects.Open(notes + projects.Extension); err != nil {
		t.Fatal(err)
	}
}

func TestSaveDialogReplacesAChosenProject(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "old.wbproj")
	old := panetest.Sample(t)
	old.Name = "Old"
	saveFile(t, old, path)
	p := panetest.Sample(t)
	p.Name = "New"
	tw := newTestWindow(t, p, "")
	pickInSaveDialog(t, tw, path)
	got, err := projects.Open(path)
	if err != nil || got.Name != "New" || tw.state.Path != path || tw.state.Dirty() {
		t.Fatalf("after saving over old.wbproj: %v, name %q, path %q, dirty %v", err, got.Name, tw.state.Path, tw.state.Dirty())
	}
}
