package main

import (
	"errors"
	"io/fs"
	"os"
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
		return &usageError{msg: err.Error(), err: err}
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

// checkNewSave refuses to replace an existing project with a new one: a
// --save target that exists must be the file the command read the project
// from (source: --project or --resume; "" for none), unless force.
func checkNewSave(path, source string, force bool) error {
	st, err := os.Stat(path)
	if force || err != nil || !st.Mode().IsRegular() || st.Size() == 0 {
		return nil
	}
	if source != "" {
		if ss, err := os.Stat(source); err == nil && os.SameFile(st, ss) {
			return nil
		}
	}
	return usageErrorf("%s is an existing project that this run does not come from, so it was not replaced; add the run to it with --project %s --save %s, continue its run with --resume %s, save elsewhere, or pass --force to replace it",
		path, path, path, path)
}
