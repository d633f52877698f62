package projects

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Lock is an advisory lock on a project file, held by a process while it
// writes the file (a training run that saves checkpoints holds it from start
// to end). Other Workbench processes that try to lock or save the same file
// meanwhile get an ErrLocked error naming the holder, instead of both
// writing it and one losing its work. The lock is the side file
// ".NAME.lock" in the project's folder (flock on Unix, LockFileEx on
// Windows); the kernel releases it when the process dies.
type Lock struct {
	key  string // the absolute path of the project file
	path string // the lock file
	f    *os.File
	mu   sync.Mutex
	done bool
}

// lockState is this process's view of its locks: the projects it holds,
// and a mutex per project that serialises this process's saves of it.
var lockState = struct {
	sync.Mutex
	held   map[string]*Lock
	saving map[string]*sync.Mutex
}{held: map[string]*Lock{}, saving: map[string]*sync.Mutex{}}

// LockPath returns the side file that locks the project at path:
// ".NAME.lock" in the same folder (hidden on Unix).
func LockPath(path string) string {
	dir, base := filepath.Split(path)
	return filepath.Join(dir, "."+base+".lock")
}

// AcquireLock locks the project file at path for writing by this process,
// until Release. It does not wait: if another process holds the lock, it
// returns an ErrLocked *Error that names that process. It fails the same way
// if this process already holds it. Saves of path from this process go
// ahead while the lock is held; saves from other processes are refused.
//
// Locking also proves that the folder exists and is writable, so a caller
// that locks before long work learns of a bad target at once.
func AcquireLock(path string) (*Lock, error) {
	key, err := lockKey(path)
	if err != nil {
		return nil, err
	}
	mu := savingMutex(key)
	mu.Lock()
	defer mu.Unlock()
	lockState.Lock()
	_, held := lockState.held[key]
	lockState.Unlock()
	if held {
		return nil, &Error{Kind: ErrLocked, Path: path, Problem: "this process is already writing the project",
			Fix: "wait for the other job (a training run or a save) to finish, or save to another file"}
	}
	l, err := acquire(key, path)
	if err != nil {
		return nil, err
	}
	lockState.Lock()
	lockState.held[key] = l
	lockState.Unlock()
	return l, nil
}

// Release gives the lock up. Releasing twice does nothing.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done {
		return nil
	}
	l.done = true
	lockState.Lock()
	if lockState.held[l.key] == l {
		delete(lockState.held, l.key)
	}
	lockState.Unlock()
	return l.release()
}

// release removes the lock file while it is still locked (where the system
// allows it) and closes it; acquire checks that the file it locked is still
// the one at the path, so removing it cannot let two holders in.
func (l *Lock) release() error {
	if removeWhileLocked {
		os.Remove(l.path)
	}
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// lockKey is the absolute path of the project file, after symbolic links,
// so that two names of one file share one lock.
func lockKey(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", saveError(path, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real, nil
	}
	dir, base := filepath.Split(abs)
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		return filepath.Join(real, base), nil
	}
	return abs, nil
}

func savingMutex(key string) *sync.Mutex {
	lockState.Lock()
	defer lockState.Unlock()
	mu := lockState.saving[key]
	if mu == nil {
		mu = &sync.Mutex{}
		lockState.saving[key] = mu
	}
	return mu
}

// heldHere reports whether this process holds the lock of key.
func heldHere(key string) bool {
	lockState.Lock()
	defer lockState.Unlock()
	_, ok := lockState.held[key]
	return ok
}

// acquire takes the system lock on key's lock file, without waiting.
func acquire(key, shown string) (*Lock, error) {
	lp := LockPath(key)
	for range 10 {
		f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			return nil, saveError(shown, err)
		}
		ok, err := lockFile(f)
		if err != nil {
			f.Close()
			return nil, saveError(shown, err)
		}
		if !ok {
			holder := readHolder(f)
			f.Close()
			return nil, lockedError(shown, holder)
		}
		// The holder before us may have removed the file between our open
		// and our lock: then we hold a lock on a file nobody else sees.
		fi, err1 := f.Stat()
		pi, err2 := os.Stat(lp)
		if err1 != nil || err2 != nil || !os.SameFile(fi, pi) {
			unlockFile(f)
			f.Close()
			continue
		}
		writeHolder(f)
		return &Lock{key: key, path: lp, f: f}, nil
	}
	return nil, &Error{Kind: ErrLocked, Path: shown, Problem: "the project's lock file keeps changing",
		Fix: "another process is saving it over and over; wait for it to finish, or save to another file"}
}

// writeHolder records who holds the lock, for the message another process
// shows.
func writeHolder(f *os.File) {
	cmd := filepath.Base(os.Args[0])
	if len(os.Args) > 1 {
		cmd += " " + os.Args[1]
	}
	info := fmt.Sprintf("pid=%d\ncommand=%s\nsince=%s\n", os.Getpid(), cmd, time.Now().UTC().Format(time.RFC3339))
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(info), 0)
		f.Sync()
	}
}

// readHolder describes the process that holds f's lock, from what it wrote.
func readHolder(f *os.File) string {
	b := make([]byte, 512)
	n, _ := f.ReadAt(b, 0)
	fields := map[string]string{}
	for _, line := range strings.Split(string(b[:n]), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			fields[k] = strings.Map(func(r rune) rune {
				if r < ' ' || r == 0x7f {
					return -1
				}
				return r
			}, v)
		}
	}
	pid, err := strconv.Atoi(fields["pid"])
	if err != nil || pid <= 0 {
		return "another process"
	}
	s := fmt.Sprintf("process %d", pid)
	if c := fields["command"]; c != "" {
		s += " (" + truncateForMessage(c) + ")"
	}
	if t, err := time.Parse(time.RFC3339, fields["since"]); err == nil {
		s += " since " + t.Local().Format("15:04:05")
	}
	return s
}

func lockedError(path, holder string) *Error {
	return &Error{Kind: ErrLocked, Path: path, Problem: holder + " is writing this project",
		Fix: "nothing was written; wait for it to finish (or stop it), or save to another file"}
}

// saveError is the ErrWrite error for a failure of the file system, with
// the bare cause (the temporary file's name would only repeat the path).
func saveError(path string, err error) *Error {
	fix := "the previous file is unchanged — check free space and permissions, or save elsewhere"
	err = bareCause(err)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		fix = "the folder " + quoteDir(path) + " does not exist; create it or save elsewhere (the previous file is unchanged)"
	case errors.Is(err, fs.ErrPermission):
		fix = "you may not write in the folder " + quoteDir(path) + "; save elsewhere (the previous file is unchanged)"
	}
	return &Error{Kind: ErrWrite, Path: path, Problem: "could not save the project", Err: err, Fix: fix}
}

func quoteDir(path string) string {
	d := filepath.Dir(path)
	return strconv.Quote(d)
}
