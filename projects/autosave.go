package projects

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
)

// AutosavePath returns the side file that autosaves of the project at path
// go to: ".NAME.autosave" in the same folder (hidden on Unix).
func AutosavePath(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, "."+base+".autosave")
}

// Autosave writes p to AutosavePath(path), atomically like Save. The project
// file itself is not touched.
func Autosave(p *Project, path string) error {
	return saveAtomic(p, AutosavePath(path), SaveOptions{Overwrite: true})
}

// NewerAutosave reports whether an autosave of the project at path exists
// and is newer than the project file (or the project file is gone), and
// returns its path. Open it with Open to offer the recovered work; after the
// user saves or declines it, call RemoveAutosave.
func NewerAutosave(path string) (string, bool) {
	auto := AutosavePath(path)
	ai, err := os.Stat(auto)
	if err != nil || !ai.Mode().IsRegular() {
		return "", false
	}
	pi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return auto, true
	}
	if err != nil || !ai.ModTime().After(pi.ModTime()) {
		return "", false
	}
	return auto, true
}

// RemoveAutosave deletes the autosave of the project at path, if any. Call it
// after a successful Save and when the user declines a recovered autosave.
func RemoveAutosave(path string) error {
	err := os.Remove(AutosavePath(path))
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return &Error{Kind: ErrWrite, Path: AutosavePath(path), Problem: "could not remove the autosave",
		Fix: "delete the file by hand", Err: err}
}
