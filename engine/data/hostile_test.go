package data

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/data/npy"
)

// Hostile inputs (issue 13): each is generated here, small, and must be
// refused with a bad-input error that names the limit to raise, before
// the memory its header claims is allocated.

// streamErr opens path for streaming and reads every image, returning
// the first error (opening reads only one image, which may be a good one).
func streamErr(t *testing.T, path string) error {
	t.Helper()
	st, err := OpenStream(context.Background(), path, Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	for _, set := range []*LazySet{st.Train, st.Val, st.Test} {
		c, h, w := set.Shape()
		buf := make([]uint8, c*h*w)
		for i := range set.Len() {
			if err := set.ReadImage(i, buf); err != nil {
				return err
			}
		}
	}
	return nil
}

// wantLimit checks err is a limit error (so also bad input) naming flag.
func wantLimit(t *testing.T, err error, flag string, mention ...string) {
	t.Helper()
	if !errors.Is(err, ErrLimit) || !errors.Is(err, ErrBadInput) {
		t.Fatalf("got %v, want a limit error", err)
	}
	for _, m := range append(mention, "--"+flag) {
		if !strings.Contains(err.Error(), m) {
			t.Fatalf("error %q does not mention %q", err, m)
		}
	}
	if strings.Contains(err.Error(), "\n") {
		t.Fatalf("error is not one line: %q", err)
	}
}

// allocatedBy returns the bytes allocated while f runs.
func allocatedBy(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

func greyPNG(t testing.TB, w, h int, v uint8) []byte {
	t.Helper()
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = v
	}
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// lyingPNG is a small valid PNG whose IHDR claims w x h pixels.
func lyingPNG(t testing.TB, w, h uint32) []byte {
	b := greyPNG(t, 4, 4, 7)
	// Signature (8), IHDR length (4), "IHDR" (4), width, height, ... CRC.
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// lyingJPEG is a small JPEG whose frame header claims 65535 x 65535.
func lyingJPEG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, solid(8, 8, color.NRGBA{90, 20, 20, 255}), nil); err != nil {
		t.Fatal(err)
	}
	j := b.Bytes()
	i := bytes.Index(j, []byte{0xff, 0xc0})
	if i < 0 {
		t.Fatal("no SOF0 marker in the encoded JPEG")
	}
	// FFC0, length (2), precision (1), height (2), width (2).
	binary.BigEndian.PutUint16(j[i+5:], 65535)
	binary.BigEndian.PutUint16(j[i+7:], 65535)
	return j
}

// classTree writes two class folders of n small grey PNGs each.
func classTree(t *testing.T, dir string, n int) {
	t.Helper()
	for _, c := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(dir, c), 0o755)
		for i := range n {
			os.WriteFile(filepath.Join(dir, c, fmt.Sprintf("%d.png", i)), greyPNG(t, 4, 4, uint8(30*i)), 0o644)
		}
	}
}

func TestImageHeaderOverPixelLimitIsRefused(t *testing.T) {
	for name, b := range map[string][]byte{
		"png":  lyingPNG(t, 100000, 100000),
		"jpeg": lyingJPEG(t),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			classTree(t, dir, 3)
			os.WriteFile(filepath.Join(dir, "a", "huge."+name), b, 0o644)
			var err error
			if got := allocatedBy(func() { _, err = Load(context.Background(), dir, Options{Threads: 2}) }); got > 64<<20 {
				t.Errorf("refusing the image allocated %d bytes", got)
			}
			wantLimit(t, err, FlagMaxImagePixels, "huge."+name, EnvMaxImagePixels)
			wantLimit(t, streamErr(t, dir), FlagMaxImagePixels)
		})
	}
	// The limit is configurable: by option and by environment variable,
	// and a bad environment value is reported.
	dir := t.TempDir()
	classTree(t, dir, 3)
	_, err := Load(context.Background(), dir, Options{Limits: Limits{MaxImagePixels: 15}})
	wantLimit(t, err, FlagMaxImagePixels, "4x4")
	if _, err := Load(context.Background(), dir, Options{Limits: Limits{MaxImagePixels: 16}}); err != nil {
		t.Fatalf("16-pixel images under a 16-pixel limit: %v", err)
	}
	t.Setenv(EnvMaxImagePixels, "10")
	_, err = Load(context.Background(), dir, Options{})
	wantLimit(t, err, FlagMaxImagePixels)
	if _, err := Load(context.Background(), dir, Options{Limits: Limits{MaxImagePixels: 64}}); err != nil {
		t.Fatalf("the option must override the environment: %v", err)
	}
	t.Setenv(EnvMaxImagePixels, "lots")
	_, err = Load(context.Background(), dir, Options{})
	wantBadInput(t, err, EnvMaxImagePixels)
}

// zipWith writes a zip of two small classes plus extra entries; a
// declared size other than 0 is written as the entry's uncompressed size
// whatever it holds.
func zipWith(t *testing.T, extra map[string][]byte, declared map[string]uint64) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, c := range []string{"a", "b"} {
		for i := range 3 {
			w, _ := zw.Create(fmt.Sprintf("%s/%d.png", c, i))
			w.Write(greyPNG(t, 4, 4, uint8(40*i)))
		}
	}
	for name, b := range extra {
		if d, ok := declared[name]; ok {
			w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, CRC32: crc32.ChecksumIEEE(b),
				CompressedSize64: uint64(len(b)), UncompressedSize64: d})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(b)
			continue
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		w.Write(b)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "set.zip")
	os.WriteFile(p, buf.Bytes(), 0o644)
	return p
}

func TestZipEntryOverByteLimitIsRefused(t *testing.T) {
	// An entry that declares 10 GiB is refused before it is read.
	p := zipWith(t, map[string][]byte{"a/big.png": greyPNG(t, 4, 4, 1)}, map[string]uint64{"a/big.png": 10 << 30})
	var err error
	if got := allocatedBy(func() { _, err = Load(context.Background(), p, Options{}) }); got > 64<<20 {
		t.Errorf("refusing the entry allocated %d bytes", got)
	}
	wantLimit(t, err, FlagMaxEntryBytes, "a/big.png", "10 GiB")
	wantLimit(t, streamErr(t, p), FlagMaxEntryBytes)

	// An entry that understates its size is not read past its declaration
	// (archive/zip's check), and is skipped as unreadable, not a crash.
	big := bytes.Repeat([]byte{1}, 5000)
	p = zipWith(t, map[string][]byte{"a/liar.png": big}, map[string]uint64{"a/liar.png": 100})
	ds, err := Load(context.Background(), p, Options{})
	if err != nil || len(ds.Skipped) != 1 || !strings.Contains(ds.Skipped[0], "liar.png") {
		t.Fatalf("understated entry: %v, skipped %v", err, ds.Skipped)
	}

	// The limit is configurable, applies to honest entries and to files
	// of a folder too.
	p = zipWith(t, nil, nil)
	_, err = Load(context.Background(), p, Options{Limits: Limits{MaxEntryBytes: 20}})
	wantLimit(t, err, FlagMaxEntryBytes)
	dir := t.TempDir()
	classTree(t, dir, 2)
	_, err = Load(context.Background(), dir, Options{Limits: Limits{MaxEntryBytes: 20}})
	wantLimit(t, err, FlagMaxEntryBytes, EnvMaxEntryBytes)
	if _, err := Load(context.Background(), dir, Options{Limits: Limits{MaxEntryBytes: 1000}}); err != nil {
		t.Fatal(err)
	}
}

// The reader under every entry stops at the limit even when nothing
// declared a size.
func TestReadLimitedStopsAtTheLimit(t *testing.T) {
	var buf bytes.Buffer
	err := readLimited(&buf, strings.NewReader(strings.Repeat("x", 100)), 10)
	wantLimit(t, err, FlagMaxEntryBytes)
	if buf.Len() > 11 {
		t.Fatalf("read %d bytes past a 10-byte limit", buf.Len())
	}
	buf.Reset()
	if err := readLimited(&buf, strings.NewReader("0123456789"), 10); err != nil || buf.Len() != 10 {
		t.Fatalf("10 bytes under a 10-byte limit: %v, %d read", err, buf.Len())
	}
}

// npyHeader returns the .npy preamble of an array of descr and shape.
func npyHeader(descr, shape string) []byte {
	h := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	h += strings.Repeat(" ", (64-(10+len(h)+1)%64)%64) + "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h)))
	return append(b, h...)
}

func TestNPZArrayOverByteLimitIsRefused(t *testing.T) {
	// A 3.3 GB array compresses to a few MB; here only its header is
	// written (the entry declaring either its true size or a small one).
	hdr := npyHeader("<f4", "(1050000, 28, 28)")
	labels := append(npyHeader("|u1", "(4,)"), 0, 1, 0, 1)
	for name, declared := range map[string]uint64{"true size": uint64(len(hdr)) + 1050000*28*28*4, "understated": uint64(len(hdr))} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, _ := zw.CreateRaw(&zip.FileHeader{Name: "x_train.npy", Method: zip.Store, CRC32: crc32.ChecksumIEEE(hdr),
				CompressedSize64: uint64(len(hdr)), UncompressedSize64: declared})
			w.Write(hdr)
			w, _ = zw.Create("y_train.npy")
			w.Write(labels)
			zw.Close()
			p := filepath.Join(t.TempDir(), "big.npz")
			os.WriteFile(p, buf.Bytes(), 0o644)
			var err error
			if got := allocatedBy(func() { _, err = Load(context.Background(), p, Options{}) }); got > 64<<20 {
				t.Errorf("refusing the array allocated %d bytes", got)
			}
			wantLimit(t, err, FlagMaxArrayBytes, "x_train.npy", EnvMaxArrayBytes)
		})
	}

	// The limit is configurable and applies to .npz, .npy folders and IDX.
	x := npy.FromUint8([]int{20, 5, 5}, make([]uint8, 500))
	y := npy.FromInt64([]int{20}, make([]int64, 20))
	for i := range 20 {
		binary.LittleEndian.PutUint64(y.Data[8*i:], uint64(i%2))
	}
	p := filepath.Join(t.TempDir(), "small.npz")
	var buf bytes.Buffer
	npy.WriteNPZ(&buf, map[string]*npy.Array{"x_train": x, "y_train": y}, true)
	os.WriteFile(p, buf.Bytes(), 0o644)
	_, err := Load(context.Background(), p, Options{Limits: Limits{MaxArrayBytes: 499}})
	wantLimit(t, err, FlagMaxArrayBytes, "x_train")
	if _, err := Load(context.Background(), p, Options{Limits: Limits{MaxArrayBytes: 500}}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for k, a := range map[string]*npy.Array{"x_train": x, "y_train": y} {
		var b bytes.Buffer
		npy.Write(&b, a)
		os.WriteFile(filepath.Join(dir, k+".npy"), b.Bytes(), 0o644)
	}
	_, err = Load(context.Background(), dir, Options{Limits: Limits{MaxArrayBytes: 499}})
	wantLimit(t, err, FlagMaxArrayBytes)
	idxDir := t.TempDir()
	img, lab := idxBytes(t, synthSet(20, 2, 1, 5, 5))
	os.WriteFile(filepath.Join(idxDir, "train-images-idx3-ubyte"), img, 0o644)
	os.WriteFile(filepath.Join(idxDir, "train-labels-idx1-ubyte"), lab, 0o644)
	_, err = Load(context.Background(), idxDir, Options{Limits: Limits{MaxArrayBytes: 499}})
	wantLimit(t, err, FlagMaxArrayBytes, "train-images")
	if _, err := Load(context.Background(), idxDir, Options{Limits: Limits{MaxArrayBytes: 500}}); err != nil {
		t.Fatal(err)
	}
}

// writeIDXSplit writes an IDX images and labels file pair of 8x8 images.
func writeIDXSplit(t *testing.T, dir, prefix string, labels []int32) {
	t.Helper()
	s := &Set{C: 1, H: 8, W: 8, Images: make([]uint8, len(labels)*64), Labels: labels}
	img, lab := idxBytes(t, s)
	os.WriteFile(filepath.Join(dir, prefix+"-images-idx3-ubyte"), img, 0o644)
	os.WriteFile(filepath.Join(dir, prefix+"-labels-idx1-ubyte"), lab, 0o644)
}

func cycleLabels(n, k int) []int32 {
	l := make([]int32, n)
	for i := range l {
		l[i] = int32(i % k)
	}
	return l
}

// Train labels 0-10 and test labels 0-9 (or the reverse) once gave the
// splits 11 and 10 classes and an index out of range downstream.
func TestIDXSplitsWithDifferentLabelRangesShareTheClasses(t *testing.T) {
	for _, c := range []struct{ train, test int }{{11, 10}, {10, 11}, {3, 12}} {
		dir := t.TempDir()
		writeIDXSplit(t, dir, "train", cycleLabels(66, c.train))
		writeIDXSplit(t, dir, "t10k", cycleLabels(30, c.test))
		ds, err := Load(context.Background(), dir, Options{Val: 5})
		if err != nil {
			t.Fatalf("train 0-%d, test 0-%d: %v", c.train-1, c.test-1, err)
		}
		want := max(c.train, c.test, 10)
		for _, s := range []*Set{ds.Train, ds.Val, ds.Test} {
			if len(s.Classes) != want {
				t.Fatalf("train 0-%d, test 0-%d: a split has %d classes, want %d", c.train-1, c.test-1, len(s.Classes), want)
			}
			if err := s.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	}
	// With names from classes.txt, a label past them is a clear error.
	dir := t.TempDir()
	writeIDXSplit(t, dir, "train", cycleLabels(22, 11))
	os.WriteFile(filepath.Join(dir, "classes.txt"), []byte("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n"), 0o644)
	_, err := Load(context.Background(), dir, Options{})
	wantBadInput(t, err, "outside the 10 classes")
}

// Zip entries whose paths are absolute, carry a drive letter or climb out
// with .. are never made into classes (or images).
func TestZipUnsafePathsNeverBecomeClasses(t *testing.T) {
	unsafe := []string{"/etc/x.png", `C:\x\y.png`, "C:/win/x.png", "../up/z.png", "a/../../w/q.png", `..\b\r.png`, "d:x.png"}
	extra := map[string][]byte{}
	for _, n := range unsafe {
		extra[n] = greyPNG(t, 4, 4, 200)
	}
	p := zipWith(t, extra, nil)
	ds, err := Load(context.Background(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ds.Train.Classes, ","); got != "a,b" {
		t.Fatalf("classes %s, want a,b", got)
	}
	if n := ds.Train.Len() + ds.Test.Len(); n != 6 {
		t.Fatalf("%d images, want the 6 safe ones", n)
	}
	note := strings.Join(ds.Notes, "; ")
	if !strings.Contains(note, fmt.Sprintf("ignored %d zip entries", len(unsafe))) {
		t.Fatalf("notes %q do not report the %d unsafe entries", note, len(unsafe))
	}
	// A zip of only unsafe entries says why nothing was found.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range unsafe {
		w, _ := zw.Create(n)
		w.Write(greyPNG(t, 4, 4, 1))
	}
	zw.Close()
	only := filepath.Join(t.TempDir(), "only.zip")
	os.WriteFile(only, buf.Bytes(), 0o644)
	_, err = Load(context.Background(), only, Options{})
	wantBadInput(t, err, "relative paths")

	for raw, want := range map[string]string{"a/b.png": "a/b.png", `a\b.png`: "a/b.png", "a//b.png": "a/b.png", "./a/b.png": "a/b.png"} {
		if got, ok := zipName(raw); !ok || got != want {
			t.Errorf("zipName(%q) = %q, %v; want %q", raw, got, ok, want)
		}
	}
	for _, raw := range unsafe {
		if got, ok := zipName(raw); ok {
			t.Errorf("zipName(%q) = %q accepted", raw, got)
		}
	}
}

func TestParseQuantity(t *testing.T) {
	for s, want := range map[string]int64{"64M": 64_000_000, "4GiB": 4 << 30, "500MB": 500_000_000, "1000": 1000, "1.5Ki": 1536, " 2G ": 2_000_000_000, "0": 0} {
		if got, err := ParseQuantity(s); err != nil || got != want {
			t.Errorf("ParseQuantity(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "lots", "NaN", "Inf", "1e30", "64m", "4GB5"} {
		if got, err := ParseQuantity(s); err == nil {
			t.Errorf("ParseQuantity(%q) = %d accepted", s, got)
		}
	}
}

func TestReadImageFileRefusesHugeHeaders(t *testing.T) {
	p := filepath.Join(t.TempDir(), "huge.png")
	os.WriteFile(p, lyingPNG(t, 100000, 100000), 0o644)
	_, err := ReadImageFile(p, 3, 8, 8, false)
	wantLimit(t, err, FlagMaxImagePixels, "huge.png", EnvMaxImagePixels)
	t.Setenv(EnvMaxEntryBytes, "10")
	_, err = ReadImageFile(p, 3, 8, 8, false)
	wantLimit(t, err, FlagMaxEntryBytes, EnvMaxEntryBytes)
}

// Found by FuzzReadImageZip: a split holding only loose images (no class
// folder) gave a dataset with no classes and a panic naming the first.
func TestSplitOfOnlyLooseImagesIsBadInput(t *testing.T) {
	png1 := string(greyPNG(t, 3, 3, 9))
	for _, z := range [][]byte{
		seedZip([2]string{"train/x.png", png1}, [2]string{"test/a/1.png", png1}, [2]string{"test/b/1.png", png1}),
		seedZip([2]string{"x.png", png1}, [2]string{"y.png", png1}),
	} {
		p := filepath.Join(t.TempDir(), "d.zip")
		os.WriteFile(p, z, 0o644)
		_, err := Load(context.Background(), p, Options{})
		wantBadInput(t, err, "class folders")
		_, err = OpenStream(context.Background(), p, Options{})
		wantBadInput(t, err, "class folders")
	}
}
