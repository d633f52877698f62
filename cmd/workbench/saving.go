package main

import (
	"errors"
	"io/fs"
	"syscall"

	"github.com/workbench-cv/workbench/projects"
)

// saveFailure turns an error of projects.Save, AcquireLock or CheckTarget
// into the CLI's terms: a target the user can fix (not a project, held by
// another process, a folder, a missing folder, no permission) is bad input,
// exit 2; anything else (a full disk, an I/O error) a failure, exit 1.
func saveFailure(err error) error {
	if err == nil {
		return nil
	}
	var pe *projects.Error
	if !errors.As(err, &pe) {
		return err
	}
	switch {
	case errors.Is(err, projects.ErrNotProject), errors.Is(err, projects.ErrLocked),
		errors.Is(err, projects.ErrWrite) && pe.Err == nil,
		errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission), errors.Is(err, syscall.ENOTDIR),
		errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.EROFS):
		return &usageError{msg: err.Error()}
	}
	return err
}

// lockForSave prepares a command that will write the project file path:
// it checks that path may be replaced (force: even if it is not a project)
// and takes the project's lock, so that a second process writing the same
// file fails now, before any work, naming the first. Release the lock when
// the command ends.
func lockForSave(path string, force bool) (*projects.Lock, error) {
	if err := projects.CheckTarget(path, projects.SaveOptions{Overwrite: force}); err != nil {
		return nil, saveFailure(err)
	}
	l, err := projects.AcquireLock(path)
	if err != nil {
		return nil, saveFailure(err)
	}
	return l, nil
}
