package projects

import (
	"errors"
	"fmt"
)

// Kinds of error, for errors.Is. Every error Open, Save and Autosave return
// is an *Error whose Kind is one of these.
var (
	// ErrRead: the file could not be read (missing, permissions, I/O).
	ErrRead = errors.New("cannot read project file")
	// ErrCorrupt: the file is damaged or truncated (not a zip, bad checksum,
	// sizes that do not add up).
	ErrCorrupt = errors.New("project file is truncated or corrupt")
	// ErrUnsafe: the file holds something Workbench never writes and refuses
	// to trust: an entry whose path escapes, unknown or duplicate entries,
	// absurd declared sizes.
	ErrUnsafe = errors.New("project file is unsafe")
	// ErrInvalid: the file is intact but its content is wrong (wrong JSON
	// types, unknown dtype, bad tensor names or shapes, bad values).
	ErrInvalid = errors.New("project file is invalid")
	// ErrNewerVersion: the file was made by a newer Workbench.
	ErrNewerVersion = errors.New("project file was made by a newer Workbench")
	// ErrWrite: the project could not be saved; the previous file is intact.
	ErrWrite = errors.New("cannot save project")
	// ErrNotProject: Save would replace a file that is not a Workbench
	// project; it was left as it was (SaveWith with Overwrite replaces it).
	ErrNotProject = errors.New("file is not a Workbench project")
	// ErrLocked: another process (or another job of this one) holds the
	// project's Lock; nothing was written.
	ErrLocked = errors.New("project file is being written by another process")
)

// Error is the error Open, Save and Autosave return. Its message names the
// file, the problem and what to do about it.
type Error struct {
	// Kind is one of ErrRead, ErrCorrupt, ErrUnsafe, ErrInvalid,
	// ErrNewerVersion, ErrWrite, ErrNotProject, ErrLocked.
	Kind error
	// Path is the file concerned.
	Path string
	// Problem says what is wrong, in words a user understands.
	Problem string
	// Fix says what to do.
	Fix string
	// Err is the underlying error, if any.
	Err error
}

func (e *Error) Error() string {
	msg := e.Problem
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	if e.Fix != "" {
		msg += "; " + e.Fix
	}
	if e.Path != "" {
		msg = e.Path + ": " + msg
	}
	return msg
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

// VersionError is wrapped by an ErrNewerVersion Error; it carries the
// versions.
type VersionError struct {
	Found, Supported int
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("format %d, this version reads up to %d", e.Found, e.Supported)
}

const (
	fixOpenBackup = "it was not modified — open its autosave or a backup"
	fixUntrusted  = "it was not opened and not modified — Workbench never writes such files; open a backup, and open project files only from sources you trust"
	fixUpdate     = "update Workbench"
)

func problem(head, format string, args []any) string {
	if format == "" {
		return head
	}
	return head + ": " + fmt.Sprintf(format, args...)
}

func corruptf(err error, format string, args ...any) *Error {
	return &Error{Kind: ErrCorrupt, Problem: problem("project file is truncated or corrupt", format, args), Fix: fixOpenBackup, Err: err}
}

func unsafef(format string, args ...any) *Error {
	return &Error{Kind: ErrUnsafe, Problem: problem("project file is unsafe", format, args), Fix: fixUntrusted}
}

func invalidf(err error, format string, args ...any) *Error {
	return &Error{Kind: ErrInvalid, Problem: problem("project file is invalid", format, args), Fix: fixOpenBackup, Err: err}
}

func newerVersion(found int) *Error {
	return &Error{Kind: ErrNewerVersion, Problem: "this project was made by a newer Workbench", Fix: fixUpdate,
		Err: &VersionError{Found: found, Supported: FormatVersion}}
}

// withPath sets the path of a project error, or wraps any other error as
// ErrCorrupt.
func withPath(err error, path string) error {
	var pe *Error
	if errors.As(err, &pe) {
		if pe.Path == "" {
			pe.Path = path
		}
		return pe
	}
	return &Error{Kind: ErrCorrupt, Path: path, Problem: "project file is truncated or corrupt", Fix: fixOpenBackup, Err: err}
}
