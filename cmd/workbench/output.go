package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"unicode/utf8"
)

// outputKind is the kind of file a command writes (--out FILE.csv, --png,
// --logits): what an earlier output of the same kind looks like.
type outputKind struct {
	name  string
	magic []byte // the first bytes of such a file (nil: text)
}

var (
	outputCSV = outputKind{name: "CSV"}
	outputPNG = outputKind{name: "PNG", magic: []byte("\x89PNG\r\n\x1a\n")}
	outputNPY = outputKind{name: ".npy", magic: []byte("\x93NUMPY")}
)

// looksLike reports whether the file at path is of kind k (an earlier
// output, which a command may replace without being told).
func (k outputKind) looksLike(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if k.magic != nil {
		return bytes.HasPrefix(head, k.magic)
	}
	for len(head) > 0 && !utf8.FullRune(head) {
		head = head[:len(head)-1]
	}
	return utf8.Valid(head) && !bytes.ContainsRune(head, 0)
}

// writeOutput writes a command's output file atomically (a temporary file
// in the same folder, renamed over path), so that a failure leaves what was
// there. An existing file is replaced only if it is an earlier output of
// the same kind, or with force: a project, a dataset or a text file given as
// --png by mistake is kept. flagName names the flag in messages.
func writeOutput(path, flagName string, kind outputKind, force bool, write func(io.Writer) error) error {
	if err := checkOutput(path, flagName, kind, force); err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return outputError(flagName, path, err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return outputError(flagName, path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return outputError(flagName, path, err)
	}
	if err := tmp.Close(); err != nil {
		return outputError(flagName, path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return outputError(flagName, path, err)
	}
	ok = true
	return nil
}

// checkOutput reports whether writeOutput may write path; commands call it
// before their work too, so that a wrong --out fails at once.
func checkOutput(path, flagName string, kind outputKind, force bool) error {
	if path == "" {
		return nil
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		if _, derr := os.Stat(filepath.Dir(path)); derr != nil {
			return outputError(flagName, path, derr)
		}
	case st.IsDir():
		return usageErrorf("--%s %s is a folder; give a file name", flagName, path)
	case !st.Mode().IsRegular():
		return usageErrorf("--%s %s is not a regular file (a device, pipe or socket); give a file name", flagName, path)
	case !force && st.Size() > 0 && !kind.looksLike(path):
		return usageErrorf("--%s %s exists and is not a %s file, so it was not replaced; choose another name, or pass --force to replace it", flagName, path, kind.name)
	}
	return nil
}

// outputError names the flag, the file and the bare cause; a missing
// folder or a permission is bad input (exit 2).
func outputError(flagName, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	msg := fmt.Sprintf("--%s %s: cannot write it (%v)", flagName, path, err)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.ENOTDIR) {
		return usageErrorf("%s; check the folder, or write elsewhere", msg)
	}
	return errors.New(msg)
}
