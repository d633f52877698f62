//go:build unix

package main

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestHostileDataInputs covers issue 13's hostile datasets (items 2, 4
// and 7) through the CLI: each generated here, small; engine/data's
// hostile_test.go checks the readers in detail.
func TestHostileDataInputs(t *testing.T) {
	hugePNG := func(t *testing.T, dir string) {
		classPNGs(t, filepath.Join(dir, "imgs"))
		b := tinyPNG(t, 7)
		binary.BigEndian.PutUint32(b[16:], 100000)
		binary.BigEndian.PutUint32(b[20:], 100000)
		binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
		writeFile(t, filepath.Join(dir, "imgs", "a", "huge.png"), b)
	}
	pixels := []string{"huge.png", "100000x100000", "--max-image-pixels"}
	cpu := []string{"--device", "cpu", "--threads", "1"}
	runHostile(t, []hostileCase{
		{name: "data: PNG header claims 100000x100000", setup: hugePNG, args: []string{"data", "imgs"}, code: 2, want: pixels},
		{name: "train: PNG header claims 100000x100000", setup: hugePNG, args: append([]string{"train", "--data", "imgs", "--epochs", "1"}, cpu...), code: 2, want: pixels},
		{name: "knn: PNG header claims 100000x100000", setup: hugePNG, args: []string{"knn", "--data", "imgs", "--k", "1"}, code: 2, want: pixels},
		{name: "pixel limit set by flag", setup: func(t *testing.T, dir string) { classPNGs(t, filepath.Join(dir, "imgs")) },
			args: []string{"data", "imgs", "--max-image-pixels", "10"}, code: 2, want: []string{"4x4", "--max-image-pixels"}},
		{name: "zip entry declares 10 GiB", setup: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "d.zip"), zipOf(t, true, map[string][]byte{"a/big.png": tinyPNG(t, 1)}, map[string]uint64{"a/big.png": 10 << 30}))
		}, args: []string{"data", "d.zip"}, code: 2, want: []string{"a/big.png", "10 GiB", "--max-entry-bytes"}},
		{name: "npz array declares 3.3 GB", setup: func(t *testing.T, dir string) {
			h := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (1050000, 28, 28), }%s\n", strings.Repeat(" ", 50))
			hdr := binary.LittleEndian.AppendUint16([]byte("\x93NUMPY\x01\x00"), uint16(len(h)))
			writeFile(t, filepath.Join(dir, "big.npz"), zipOf(t, false, map[string][]byte{"x_train.npy": append(hdr, h...)}, nil))
		}, args: []string{"data", "big.npz"}, code: 2, want: []string{"x_train.npy", "--max-array-bytes"}},
		{name: "IDX label ranges differ: data", setup: idxRanges, args: []string{"data", "idx"}, code: 0},
		{name: "IDX label ranges differ: train", setup: idxRanges, args: append([]string{"train", "--data", "idx", "--epochs", "2", "--model", "lenet5", "--batch", "32"}, cpu...), code: 0},
		{name: "unsafe zip paths", setup: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "d.zip"), zipOf(t, true, map[string][]byte{"/etc/x.png": tinyPNG(t, 1), `C:\x\y.png`: tinyPNG(t, 2), "../up/z.png": tinyPNG(t, 3)}, nil))
		}, args: []string{"data", "d.zip", "--json"}, code: 0},
		{name: "symlink loop", setup: func(t *testing.T, dir string) { os.Symlink("loop", filepath.Join(dir, "loop")) },
			args: []string{"data", "loop"}, code: 2, want: []string{"loop of symbolic links"}},
		{name: "FIFO as dataset", setup: func(t *testing.T, dir string) {
			if err := syscall.Mkfifo(filepath.Join(dir, "d.zip"), 0o644); err != nil {
				t.Skipf("no FIFO here: %v", err)
			}
		}, args: []string{"data", "d.zip"}, code: 2, want: []string{"named pipe"}},
	})
	// The unsafe entries made no classes.
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "d.zip"), zipOf(t, true, map[string][]byte{"/etc/x.png": tinyPNG(t, 1), `C:\x\y.png`: tinyPNG(t, 2)}, nil))
	code, out, errs := runCLI(t, dir, time.Minute, "data", "d.zip")
	if code != 0 || !strings.Contains(out, "classes  a,b\n") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
}

func tinyPNG(t *testing.T, v uint8) []byte {
	t.Helper()
	m := image.NewGray(image.Rect(0, 0, 4, 4))
	for i := range m.Pix {
		m.Pix[i] = v * uint8(i)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// classPNGs writes class folders a and b of three 4x4 PNGs each.
func classPNGs(t *testing.T, dir string) {
	for _, c := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(dir, c), 0o755)
		for i := range 3 {
			writeFile(t, filepath.Join(dir, c, fmt.Sprintf("%d.png", i)), tinyPNG(t, uint8(10*i+len(c))))
		}
	}
}

// zipOf is a zip of extra entries (after classes a and b if classes); declared sizes
// are written as the entries' uncompressed sizes whatever they hold.
func zipOf(t *testing.T, classes bool, extra map[string][]byte, declared map[string]uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if classes {
		for _, c := range []string{"a", "b"} {
			for i := range 3 {
				w, _ := zw.Create(fmt.Sprintf("%s/%d.png", c, i))
				w.Write(tinyPNG(t, uint8(10*i+len(c))))
			}
		}
	}
	for name, b := range extra {
		size, ok := declared[name]
		if !ok {
			size = uint64(len(b))
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(b),
			CompressedSize64: uint64(len(b)), UncompressedSize64: size})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// idxRanges writes IDX files whose training labels run 0-10 and test
// labels 0-9.
func idxRanges(t *testing.T, dir string) {
	d := filepath.Join(dir, "idx")
	os.MkdirAll(d, 0o755)
	write := func(name string, magic uint32, dims []uint32, payload []byte) {
		b := binary.BigEndian.AppendUint32(nil, magic)
		for _, x := range dims {
			b = binary.BigEndian.AppendUint32(b, x)
		}
		writeFile(t, filepath.Join(d, name), append(b, payload...))
	}
	for _, sp := range []struct {
		prefix string
		n, k   int
	}{{"train", 220, 11}, {"t10k", 100, 10}} {
		img := make([]byte, sp.n*64)
		for i := range img {
			img[i] = uint8(i * 13)
		}
		lab := make([]byte, sp.n)
		for i := range lab {
			lab[i] = uint8(i % sp.k)
		}
		write(sp.prefix+"-images-idx3-ubyte", 0x803, []uint32{uint32(sp.n), 8, 8}, img)
		write(sp.prefix+"-labels-idx1-ubyte", 0x801, []uint32{uint32(sp.n)}, lab)
	}
}
