package data

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// CIFAR-10 binary layout: each record is one label byte followed by the
// 32x32 red, then green, then blue planes (3072 bytes), so a record is
// already a CHW image.
const (
	cifarSide   = 32
	cifarPixels = 3 * cifarSide * cifarSide
	cifarRecord = 1 + cifarPixels
	// cifarPerBatch is the number of records in each official batch file.
	cifarPerBatch = 10000
	// maxCIFARBytes bounds one batch file so a wrong file is reported
	// instead of exhausting memory (official batches are 30,730,000 bytes).
	maxCIFARBytes = 1 << 31
)

// CIFAR10Classes are the class names of CIFAR-10, in label order.
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// ReadCIFAR10Batch reads one CIFAR-10 binary batch file (such as
// data_batch_1.bin). Class names are those of CIFAR-10.
func ReadCIFAR10Batch(r io.Reader) (*Set, error) {
	buf, err := io.ReadAll(io.LimitReader(r, maxCIFARBytes+1))
	if err != nil {
		return nil, err
	}
	if len(buf) > maxCIFARBytes {
		return nil, badInputf("file is over %d bytes, far more than a CIFAR-10 batch (30,730,000 bytes); pass data_batch_*.bin or test_batch.bin", int64(maxCIFARBytes))
	}
	if len(buf) == 0 {
		return nil, badInputf("empty file; a CIFAR-10 batch holds records of %d bytes (1 label + 3x32x32 pixels), re-download it", cifarRecord)
	}
	if len(buf)%cifarRecord != 0 {
		hint := "truncated or not a CIFAR-10 batch"
		if len(buf)%(cifarRecord+1) == 0 {
			hint = "records of 3074 bytes look like CIFAR-100 (two label bytes), which is not supported"
		}
		return nil, badInputf("size %d bytes is not a multiple of the %d-byte record (1 label + 3x32x32 pixels): %s; re-download the batch", len(buf), cifarRecord, hint)
	}
	n := len(buf) / cifarRecord
	s := &Set{Classes: CIFAR10Classes, C: 3, H: cifarSide, W: cifarSide,
		Images: make([]uint8, n*cifarPixels), Labels: make([]int32, n)}
	for i := range n {
		rec := buf[i*cifarRecord : (i+1)*cifarRecord]
		if int(rec[0]) >= len(CIFAR10Classes) {
			return nil, badInputf("record %d has label %d but CIFAR-10 has 10 classes (0-9); the file is corrupt or not CIFAR-10 (CIFAR-100 is not supported)", i, rec[0])
		}
		s.Labels[i] = int32(rec[0])
		copy(s.Images[i*cifarPixels:], rec[1:])
	}
	return s, nil
}

// WriteCIFAR10Batch writes s (3x32x32 images, labels 0-9) as one CIFAR-10
// binary batch.
func WriteCIFAR10Batch(w io.Writer, s *Set) error {
	if s.C != 3 || s.H != cifarSide || s.W != cifarSide {
		return badInputf("CIFAR-10 batches hold 3x32x32 images, not %dx%dx%d; resize the set first", s.C, s.H, s.W)
	}
	bw := bufio.NewWriter(w)
	for i := range s.Len() {
		if s.Labels[i] < 0 || s.Labels[i] > 255 {
			return badInputf("label %d of image %d does not fit the one-byte CIFAR-10 label", s.Labels[i], i)
		}
		bw.WriteByte(byte(s.Labels[i]))
		bw.Write(s.Image(i))
	}
	return bw.Flush()
}

// WriteCIFAR10 writes train and test in the official binary layout inside
// dir: data_batch_1.bin ... data_batch_5.bin (train split into five equal
// parts, the last taking any remainder), test_batch.bin and
// batches.meta.txt (class names, one a line).
func WriteCIFAR10(dir string, train, test *Set) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	per := train.Len() / 5
	for b := range 5 {
		lo, hi := b*per, (b+1)*per
		if b == 4 {
			hi = train.Len()
		}
		idx := make([]int, 0, hi-lo)
		for i := lo; i < hi; i++ {
			idx = append(idx, i)
		}
		if err := writeFileWith(filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", b+1)), func(w io.Writer) error {
			return WriteCIFAR10Batch(w, train.Subset(idx))
		}); err != nil {
			return err
		}
	}
	if err := writeFileWith(filepath.Join(dir, "test_batch.bin"), func(w io.Writer) error {
		return WriteCIFAR10Batch(w, test)
	}); err != nil {
		return err
	}
	meta := strings.Join(train.Classes, "\n") + "\n"
	return os.WriteFile(filepath.Join(dir, "batches.meta.txt"), []byte(meta), 0o644)
}

func writeFileWith(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// cifarFiles finds the CIFAR-10 binary batches in dir (or in its
// cifar-10-batches-bin sub-folder, as the official archive unpacks).
func cifarFiles(dir string) (root string, train []string, test string, ok bool) {
	for _, d := range []string{dir, filepath.Join(dir, "cifar-10-batches-bin")} {
		train, _ = filepath.Glob(filepath.Join(d, "data_batch_*.bin"))
		t := filepath.Join(d, "test_batch.bin")
		if _, err := os.Stat(t); err != nil {
			t = ""
		}
		if len(train) > 0 || t != "" {
			sort.Slice(train, func(i, j int) bool { return naturalLess(train[i], train[j]) })
			return d, train, t, true
		}
	}
	return "", nil, "", false
}

// readCIFAR10Dir reads a folder of CIFAR-10 binary batches.
func readCIFAR10Dir(dir string, prog *progress) (*Dataset, error) {
	root, trainFiles, testFile, ok := cifarFiles(dir)
	if !ok {
		return nil, badInputf("%s has no data_batch_*.bin or test_batch.bin; pass the folder the CIFAR-10 binary archive unpacks to", dir)
	}
	if len(trainFiles) == 0 {
		return nil, badInputf("%s has test_batch.bin but no data_batch_*.bin; add the training batches", root)
	}
	classes := CIFAR10Classes
	meta := filepath.Join(root, "batches.meta.txt")
	// Only a regular file: reading a FIFO would block.
	if b, err := readIfRegular(meta); err == nil {
		names := splitLines(string(b))
		if len(names) != 10 {
			return nil, badInputf("%s lists %d class names, CIFAR-10 has 10; fix or delete the file", filepath.Join(root, "batches.meta.txt"), len(names))
		}
		classes = names
	}
	all := append(append([]string{}, trainFiles...), testFile)
	if testFile == "" {
		all = trainFiles
	}
	var total int64
	for _, f := range all {
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	prog.setTotal(total)
	read := func(path string) (*Set, error) {
		f, err := openRegular(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		s, err := ReadCIFAR10Batch(prog.reader(f))
		if err != nil {
			return nil, inFile(path, err)
		}
		s.Classes = classes
		return s, nil
	}
	var parts []*Set
	for _, path := range trainFiles {
		s, err := read(path)
		if err != nil {
			return nil, err
		}
		parts = append(parts, s)
	}
	ds := &Dataset{Format: "cifar10-bin", Train: concatSets(parts)}
	if testFile != "" {
		t, err := read(testFile)
		if err != nil {
			return nil, err
		}
		ds.Test = t
	}
	return ds, nil
}

// concatSets joins sets of the same shape and classes.
func concatSets(parts []*Set) *Set {
	if len(parts) == 1 {
		return parts[0]
	}
	out := &Set{Classes: parts[0].Classes, C: parts[0].C, H: parts[0].H, W: parts[0].W}
	for _, p := range parts {
		out.Images = append(out.Images, p.Images...)
		out.Labels = append(out.Labels, p.Labels...)
	}
	return out
}

func splitLines(s string) []string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line != "" {
			out = append(out, line)
		}
	}
	return out
}

// naturalLess orders strings with embedded numbers numerically, so
// data_batch_10.bin comes after data_batch_9.bin.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitsPrefix(a), digitsPrefix(b)
		if da != "" && db != "" {
			ta, tb := strings.TrimLeft(da, "0"), strings.TrimLeft(db, "0")
			if len(ta) != len(tb) {
				return len(ta) < len(tb)
			}
			if ta != tb {
				return ta < tb
			}
			a, b = a[len(da):], b[len(db):]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitsPrefix(s string) string {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i]
}
