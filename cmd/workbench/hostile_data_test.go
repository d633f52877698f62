package main

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The data-reader cases of issue 13 (items 2, 4, 7), fixed in engine/data:
// the suite checks them end to end through the command line.

// pngHeaderClaiming is a small PNG whose header claims w x h pixels.
func pngHeaderClaiming(t *testing.T, w, h uint32) []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 1)))
	p := b.Bytes()
	binary.BigEndian.PutUint32(p[16:], w)
	binary.BigEndian.PutUint32(p[20:], h)
	binary.BigEndian.PutUint32(p[29:], crc32.ChecksumIEEE(p[12:29]))
	return p
}

// idxFile is an IDX file: images (n x 8 x 8) or labels.
func idxFile(labels []uint8, images bool) []byte {
	var b bytes.Buffer
	n := uint32(len(labels))
	if images {
		binary.Write(&b, binary.BigEndian, []uint32{0x803, n, 8, 8})
		b.Write(make([]byte, int(n)*64))
	} else {
		binary.Write(&b, binary.BigEndian, []uint32{0x801, n})
		b.Write(labels)
	}
	return b.Bytes()
}

func dataReaderCases() []hostileCase {
	zipOf := func(t *testing.T, entries map[string][]byte) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for name, body := range entries {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(body)
		}
		zw.Close()
		return b.Bytes()
	}
	return []hostileCase{
		{name: "PNG claiming 100000x100000", setup: hugePNGFolder, args: []string{"data", "pics"}, code: 2, want: []string{"huge.png"}},
		{name: "train on a PNG claiming 100000x100000", setup: hugePNGFolder,
			args: []string{"train", "--data", "pics", "--epochs", "1", "--device", "cpu"}, code: 2, want: []string{"huge.png"}},
		{name: "knn on a PNG claiming 100000x100000", setup: hugePNGFolder,
			args: []string{"knn", "--data", "pics"}, code: 2, want: []string{"huge.png"}},
		{name: "zip entry declaring 10 GiB", setup: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "big.zip"), zipDeclaring(t, small(t), 10<<30))
		}, args: []string{"data", "big.zip"}, code: 2, want: []string{"big.zip"}},
		{name: "npz array declaring 3.3 GB", setup: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "big.npz"), zipOf(t, map[string][]byte{
				"x_train.npy": npyHeader("|u1", "(1100000, 1000, 3)"), "y_train.npy": npyHeader("|u1", "(1100000,)"),
			}))
		}, args: []string{"data", "big.npz"}, code: 2, want: []string{"big.npz"}},
		{name: "zip entries with absolute paths", setup: func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "abs.zip"), zipOf(t, map[string][]byte{"/etc/a/1.png": small(t), "C:/b/1.png": small(t)}))
		}, args: []string{"data", "abs.zip"}, code: 2, want: []string{"abs.zip"}},
		// Labels 0-10 in train and 0-9 in test: eleven classes (it was an
		// index out of range in data, and a failure after an epoch in train).
		{name: "IDX label ranges differ", setup: idxRangesDiffer, args: []string{"data", "idx"}, code: 0},
		{name: "train on IDX label ranges that differ", setup: idxRangesDiffer,
			args: []string{"train", "--data", "idx", "--epochs", "2", "--device", "cpu", "--threads", "1"}, code: 0},
		{name: "FIFO as dataset", setup: func(t *testing.T, dir string) {
			if err := exec.Command("mkfifo", filepath.Join(dir, "pipe.npz")).Run(); err != nil {
				t.Skip("no FIFOs here:", err)
			}
		}, args: []string{"data", "pipe.npz"}, code: 2, want: []string{"pipe.npz"}, limit: 20 * time.Second},
		{name: "symlink loop as dataset", setup: func(t *testing.T, dir string) {
			if err := os.Symlink("loop", filepath.Join(dir, "loop")); err != nil {
				t.Skip("no symlinks here:", err)
			}
		}, args: []string{"data", "loop"}, code: 2, want: []string{"loop"}},
	}
}

// TestHostileDataReaders runs the data-reader cases through the CLI.
func TestHostileDataReaders(t *testing.T) {
	runHostile(t, dataReaderCases())
}

func small(t *testing.T) []byte {
	var b bytes.Buffer
	png.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)))
	return b.Bytes()
}

// hugePNGFolder is a folder of class folders with one PNG whose header
// claims 100000x100000 pixels (468 bytes on disk).
func hugePNGFolder(t *testing.T, dir string) {
	for _, c := range []string{"a", "b"} {
		for i := range 3 {
			writeFile(t, filepath.Join(dir, "pics", "train", c, fmt.Sprintf("%d.png", i)), small(t))
			writeFile(t, filepath.Join(dir, "pics", "test", c, fmt.Sprintf("%d.png", i)), small(t))
		}
	}
	writeFile(t, filepath.Join(dir, "pics", "train", "a", "huge.png"), pngHeaderClaiming(t, 100000, 100000))
}

// zipDeclaring is a zip of class folders whose one entry declares size
// bytes uncompressed (its real content is body, deflated).
func zipDeclaring(t *testing.T, body []byte, size uint64) []byte {
	var raw bytes.Buffer
	fw, _ := flate.NewWriter(&raw, flate.BestCompression)
	fw.Write(body)
	fw.Close()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "a/1.png", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(body),
		CompressedSize64: uint64(raw.Len()), UncompressedSize64: size})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(raw.Bytes())
	for _, name := range []string{"b/1.png", "a/2.png", "b/2.png"} {
		w, _ := zw.Create(name)
		w.Write(body)
	}
	zw.Close()
	return b.Bytes()
}

// npyHeader is an .npy file's header alone: it declares an array whose
// data is missing.
func npyHeader(descr, shape string) []byte {
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	for (10+len(h)+1)%64 != 0 {
		h += " "
	}
	h += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(h)))
	b.WriteString(h)
	return b.Bytes()
}

func idxRangesDiffer(t *testing.T, dir string) {
	tr := []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	te := []uint8{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	writeFile(t, filepath.Join(dir, "idx", "train-images-idx3-ubyte"), idxFile(tr, true))
	writeFile(t, filepath.Join(dir, "idx", "train-labels-idx1-ubyte"), idxFile(tr, false))
	writeFile(t, filepath.Join(dir, "idx", "t10k-images-idx3-ubyte"), idxFile(te, true))
	writeFile(t, filepath.Join(dir, "idx", "t10k-labels-idx1-ubyte"), idxFile(te, false))
}
