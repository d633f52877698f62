package projects

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestAutosavePathIsAHiddenSideFile(t *testing.T) {
	got := AutosavePath(filepath.Join("a", "b", "net.wbproj"))
	if want := filepath.Join("a", "b", ".net.wbproj.autosave"); got != want {
		t.Fatalf("AutosavePath = %q, want %q", got, want)
	}
}

func TestAutosaveRecoveryCycle(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.wbproj")
	if _, ok := NewerAutosave(path); ok {
		t.Fatal("autosave reported where there is none")
	}
	saved := smallProject()
	if err := Save(saved, path); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)

	edited := saved.Clone()
	edited.Name = "edited"
	edited.Tensors["weights/b"].Data[0] = 7
	if err := Autosave(edited, path); err != nil {
		t.Fatal(err)
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("Autosave changed the project file")
	}
	assertNoTempFiles(t, dir)

	base := time.Now().Add(-time.Hour)
	os.Chtimes(path, base, base)
	os.Chtimes(AutosavePath(path), base.Add(time.Minute), base.Add(time.Minute))
	auto, ok := NewerAutosave(path)
	if !ok || auto != AutosavePath(path) {
		t.Fatalf("NewerAutosave = %q, %v; want the newer autosave", auto, ok)
	}
	rec, err := Open(auto)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Name != "edited" || rec.Tensors["weights/b"].Data[0] != 7 {
		t.Fatalf("recovered %q %v", rec.Name, rec.Tensors["weights/b"].Data)
	}

	// Saved after the autosave: nothing to offer.
	os.Chtimes(path, base.Add(2*time.Minute), base.Add(2*time.Minute))
	if _, ok := NewerAutosave(path); ok {
		t.Fatal("an autosave older than the file was offered")
	}

	// The file is gone (never saved under that name, or deleted): offer it.
	os.Remove(path)
	if _, ok := NewerAutosave(path); !ok {
		t.Fatal("autosave of a missing file not offered")
	}

	if err := RemoveAutosave(path); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(AutosavePath(path)); !os.IsNotExist(err) {
		t.Fatalf("autosave still there: %v", err)
	}
	if err := RemoveAutosave(path); err != nil {
		t.Fatalf("removing a missing autosave: %v", err)
	}
}
