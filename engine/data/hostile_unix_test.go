//go:build unix

package data

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/engine/data/npy"
)

// loadWithin runs Load and fails the test if it blocks: opening a FIFO
// for reading waits for a writer that never comes.
func loadWithin(t *testing.T, spec string) (*Dataset, error) {
	t.Helper()
	type result struct {
		ds  *Dataset
		err error
	}
	done := make(chan result, 1)
	go func() {
		ds, err := Load(context.Background(), spec, Options{})
		done <- result{ds, err}
	}()
	select {
	case r := <-done:
		return r.ds, r.err
	case <-time.After(20 * time.Second):
		t.Fatalf("Load(%s) blocked", spec)
		return nil, nil
	}
}

func mkfifo(t *testing.T, p string) {
	t.Helper()
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("cannot make a FIFO here: %v", err)
	}
}

func TestFIFODatasetDoesNotHang(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"data.zip", "data.npz", "train-images-idx3-ubyte"} {
		p := filepath.Join(dir, name)
		mkfifo(t, p)
		_, err := loadWithin(t, p)
		wantBadInput(t, err, "named pipe")
		if _, err := OpenStream(context.Background(), p, Options{}); err == nil || !strings.Contains(err.Error(), "named pipe") {
			t.Fatalf("OpenStream(FIFO): %v", err)
		}
	}

	// A FIFO inside an image folder (directly or behind a link) is left
	// out with a note.
	imgs := t.TempDir()
	classTree(t, imgs, 3)
	mkfifo(t, filepath.Join(imgs, "a", "pipe.png"))
	os.Symlink(filepath.Join(imgs, "a", "pipe.png"), filepath.Join(imgs, "b", "link.png"))
	ds, err := loadWithin(t, imgs)
	if err != nil {
		t.Fatal(err)
	}
	if n := ds.Train.Len() + ds.Test.Len(); n != 6 {
		t.Fatalf("%d images, want 6", n)
	}
	if !strings.Contains(strings.Join(ds.Notes, ";"), "ignored 2 entries that are not regular files") {
		t.Fatalf("notes %v do not report the FIFO and the link to it", ds.Notes)
	}

	// A FIFO as classes.txt beside IDX files, and as an .npy of a folder.
	idx := t.TempDir()
	writeIDXSplit(t, idx, "train", cycleLabels(20, 2))
	mkfifo(t, filepath.Join(idx, "classes.txt"))
	if _, err := loadWithin(t, idx); err != nil {
		t.Fatal(err)
	}
	npyDir := t.TempDir()
	var b bytes.Buffer
	npy.Write(&b, npy.FromUint8([]int{4, 2, 2}, make([]uint8, 16)))
	os.WriteFile(filepath.Join(npyDir, "x_train.npy"), b.Bytes(), 0o644)
	mkfifo(t, filepath.Join(npyDir, "y_train.npy"))
	_, err = loadWithin(t, npyDir)
	wantBadInput(t, err, "y_train")
}

func TestSymlinkLoopIsBadInput(t *testing.T) {
	dir := t.TempDir()
	loop := filepath.Join(dir, "loop")
	if err := os.Symlink("loop", loop); err != nil {
		t.Skipf("cannot make links here: %v", err)
	}
	_, err := Load(context.Background(), loop, Options{})
	wantBadInput(t, err, "loop of symbolic links")
	_, err = OpenStream(context.Background(), loop, Options{})
	wantBadInput(t, err, "loop of symbolic links")
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.Symlink(b, a)
	os.Symlink(a, b)
	_, err = Load(context.Background(), a, Options{})
	wantBadInput(t, err, "loop of symbolic links")

	// A loop inside an image folder is left out with a note.
	imgs := t.TempDir()
	classTree(t, imgs, 3)
	os.Symlink("self.png", filepath.Join(imgs, "a", "self.png"))
	ds, err := Load(context.Background(), imgs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(ds.Notes, ";"), "a/self.png") {
		t.Fatalf("notes %v do not name the looping link", ds.Notes)
	}
}
