package projects

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// lockChildEnv makes the test binary a child that locks PATH, prints
// "locked", and holds the lock until its stdin closes.
const lockChildEnv = "WORKBENCH_PROJECTS_LOCK_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(lockChildEnv); path != "" {
		l, err := AcquireLock(path)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(3)
		}
		fmt.Println("locked")
		bufio.NewReader(os.Stdin).ReadString('\n')
		l.Release()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// startLockHolder starts a child process holding the lock of path; closing
// the returned function's stdin releases it.
func startLockHolder(t *testing.T, path string) (release func(), pid int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockChildEnv+"="+path)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "locked" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the child did not lock: %q", line)
	}
	released := false
	release = func() {
		if !released {
			released = true
			in.Close()
			cmd.Wait()
		}
	}
	t.Cleanup(release)
	return release, cmd.Process.Pid
}

// TestSaveRefusedWhileAnotherProcessHoldsTheLock guards against two
// processes saving one project at once (two `train --save same.wbproj`):
// the second is refused at once, with the holder's process id, and the file
// keeps the first one's project.
func TestSaveRefusedWhileAnotherProcessHoldsTheLock(t *testing.T) {
	if runtime.GOOS == "plan9" || runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("no file locks here")
	}
	path := filepath.Join(t.TempDir(), "same.wbproj")
	if err := Save(New("first"), path); err != nil {
		t.Fatal(err)
	}
	release, pid := startLockHolder(t, path)

	err := Save(New("second"), path)
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Save while another process holds the lock = %v, want ErrLocked", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprintf("process %d", pid)) {
		t.Fatalf("message %q does not name the holder (pid %d)", err, pid)
	}
	if _, err := AcquireLock(path); !errors.Is(err, ErrLocked) {
		t.Fatalf("AcquireLock while held elsewhere = %v, want ErrLocked", err)
	}
	if p, err := Open(path); err != nil || p.Name != "first" {
		t.Fatalf("the file changed: %v %v", p, err)
	}

	release()
	if err := Save(New("second"), path); err != nil {
		t.Fatalf("Save after the holder exited: %v", err)
	}
	if _, err := os.Stat(LockPath(path)); runtime.GOOS != "windows" && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the lock file stays after the save: %v", err)
	}
}

// TestLockOfThisProcessAllowsItsSaves: a process that holds the lock (a
// training run) saves freely; a second lock in the same process is refused.
func TestLockOfThisProcessAllowsItsSaves(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "run.wbproj")
	l, err := AcquireLock(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := Save(New(fmt.Sprint("gen ", i)), path); err != nil {
			t.Fatalf("save %d under our own lock: %v", i, err)
		}
	}
	link := filepath.Join(dir, "link.wbproj")
	if os.Symlink(path, link) == nil {
		if _, err := AcquireLock(link); !errors.Is(err, ErrLocked) {
			t.Fatalf("a second lock through a symbolic link = %v, want ErrLocked", err)
		}
	}
	if _, err := AcquireLock(path); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "this process") {
		t.Fatalf("a second lock in one process = %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatal("a second Release:", err)
	}
	l2, err := AcquireLock(path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	l2.Release()
}

// TestLockOfMissingFolderFailsAtOnce: locking is how a command learns
// before training that it cannot save.
func TestLockOfMissingFolderFailsAtOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nodir", "x.wbproj")
	_, err := AcquireLock(path)
	if !errors.Is(err, ErrWrite) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("AcquireLock in a missing folder = %v", err)
	}
	if !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("message %q", err)
	}
}

// TestSaveRefusesToReplaceAFileThatIsNotAProject guards `train --save
// data.npz` or `--save notes.txt`: the file is kept unless told otherwise.
func TestSaveRefusesToReplaceAFileThatIsNotAProject(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"notes.txt": []byte("my notes\n"),
		"data.npz":  append([]byte("PK\x03\x04"), make([]byte, 200)...),
		"other.zip": zipWith(t, "x_train.npy"),
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		err := Save(New("x"), path)
		if !errors.Is(err, ErrNotProject) {
			t.Fatalf("%s: Save = %v, want ErrNotProject", name, err)
		}
		if CheckTarget(path, SaveOptions{}) == nil {
			t.Fatalf("%s: CheckTarget accepts it", name)
		}
		if got, _ := os.ReadFile(path); string(got) != string(content) {
			t.Fatalf("%s was changed", name)
		}
		if err := SaveWith(New("x"), path, SaveOptions{Overwrite: true}); err != nil {
			t.Fatalf("%s: Save with Overwrite = %v", name, err)
		}
		if p, err := Open(path); err != nil || p.Name != "x" {
			t.Fatalf("%s after the forced save: %v", name, err)
		}
		// Now a project: replaced without being told.
		if err := Save(New("y"), path); err != nil {
			t.Fatal(err)
		}
	}
	empty := filepath.Join(dir, "empty.wbproj") // what a Save dialog leaves
	os.WriteFile(empty, nil, 0o644)
	if err := Save(New("x"), empty); err != nil {
		t.Fatalf("Save over an empty file: %v", err)
	}
	assertNoTempFiles(t, dir)
}

func zipWith(t *testing.T, names ...string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("data"))
	}
	zw.Close()
	return b.Bytes()
}

// TestSaveRefusesDevices guards `--save /dev/null`: renaming over a device
// node would replace it.
func TestSaveRefusesDevices(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /dev/null")
	}
	err := SaveWith(New("x"), os.DevNull, SaveOptions{Overwrite: true})
	if !errors.Is(err, ErrWrite) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Save to %s = %v", os.DevNull, err)
	}
	if fi, err := os.Stat(os.DevNull); err != nil || fi.Mode().IsRegular() {
		t.Fatalf("%s was replaced", os.DevNull)
	}
}

// TestSaveRemovesTempFilesOfDeadSaves: a save killed midway leaves
// ".NAME.tmp-*"; the next save of NAME removes them, and nothing else.
func TestSaveRemovesTempFilesOfDeadSaves(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p.wbproj")
	stale := []string{".p.wbproj.tmp-0123456789abcdef", ".p.wbproj.tmp-fedcba9876543210"}
	keep := []string{".p.wbproj.tmp-mine", ".q.wbproj.tmp-0123456789abcdef", "p.wbproj.tmp-0123456789abcdef", ".p.wbproj.autosave"}
	for _, n := range append(append([]string{}, stale...), keep...) {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Save(New("x"), path); err != nil {
		t.Fatal(err)
	}
	for _, n := range stale {
		if _, err := os.Stat(filepath.Join(dir, n)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("stale %s was not removed (%v)", n, err)
		}
	}
	for _, n := range keep {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			t.Fatalf("%s was removed: %v", n, err)
		}
	}
}

// TestSaveErrorSaysItOnce guards messages such as "could not save the
// project (open dir/.p.wbproj.tmp-…: not a directory)": the path appears
// once, the cause once.
func TestSaveErrorSaysItOnce(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.txt")
	os.WriteFile(file, []byte("x"), 0o644)
	for _, path := range []string{filepath.Join(file, "x.wbproj"), filepath.Join(dir, "nodir", "x.wbproj")} {
		err := Save(New("x"), path)
		if err == nil {
			t.Fatalf("Save(%s) succeeded", path)
		}
		msg := err.Error()
		if strings.Count(msg, "x.wbproj") != 1 || strings.Contains(msg, ".tmp-") || strings.Contains(msg, ".lock") {
			t.Fatalf("message repeats the path or names a side file: %q", msg)
		}
		if strings.Count(msg, "could not save") != 1 {
			t.Fatalf("message repeats itself: %q", msg)
		}
	}
}

// TestLockHolderFileIsReadable: the note naming the holder is what the
// second writer shows; a garbled one still gives a message.
func TestLockHolderFileIsReadable(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "lock")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("pid=42\ncommand=workbench train\x1b[2J\nsince=" + time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(time.RFC3339) + "\n")
	got := readHolder(f)
	if !strings.HasPrefix(got, "process 42 (workbench train[2J) since ") {
		t.Fatalf("holder = %q", got)
	}
	f.Truncate(0)
	f.WriteAt([]byte("garbage"), 0)
	if got := readHolder(f); got != "another process" {
		t.Fatalf("holder of a garbled note = %q", got)
	}
}

// TestOpenErrorNamesThePathOnce: "p.wbproj: cannot read the project file
// (open p.wbproj: no such file or directory)" said the path twice.
func TestOpenErrorNamesThePathOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.wbproj")
	_, err := Open(path)
	if !errors.Is(err, ErrRead) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open of a missing file = %v", err)
	}
	if strings.Count(err.Error(), "p.wbproj") != 1 {
		t.Fatalf("message %q", err)
	}
}
