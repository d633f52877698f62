//go:build windows

package projects

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// A file open elsewhere cannot be removed on Windows; the lock file stays
// (it is a few bytes naming the last writer).
const removeWhileLocked = false

// lockOffset is where the locked byte lies: far past the holder's note, so
// that another process can still read who holds the lock (LockFileEx locks
// bytes against reads too).
const lockOffset = 1 << 40

func lockRange() *windows.Overlapped {
	return &windows.Overlapped{Offset: uint32(lockOffset & 0xffffffff), OffsetHigh: uint32(lockOffset >> 32)}
}

// lockFile takes an exclusive lock on f without waiting; ok is false when
// another handle holds it.
func lockFile(f *os.File) (ok bool, err error) {
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, lockRange())
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION), errors.Is(err, windows.ERROR_IO_PENDING):
		return false, nil
	}
	return false, err
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockRange())
}
