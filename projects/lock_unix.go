//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly || illumos || solaris

package projects

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// The lock file may be removed while locked: acquire checks that the file it
// locked is still the one at the path.
const removeWhileLocked = true

// lockFile takes an exclusive flock on f without waiting; ok is false when
// another open file holds it. A file system without flock (some network
// mounts) is written unlocked, as before locking existed.
func lockFile(f *os.File) (ok bool, err error) {
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EINTR {
			break
		}
	}
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.EWOULDBLOCK):
		return false, nil
	case errors.Is(err, unix.ENOLCK), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS):
		return true, nil
	}
	return false, err
}

func unlockFile(f *os.File) error {
	return unix.Flock(int(f.Fd()), unix.LOCK_UN)
}
