package data

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/data/npy"
)

func idxBytes(t *testing.T, s *Set) (img, lab []byte) {
	t.Helper()
	var a, b bytes.Buffer
	if err := WriteIDXImages(&a, s.Len(), s.H, s.W, s.Images); err != nil {
		t.Fatal(err)
	}
	if err := WriteIDXLabels(&b, s.Labels); err != nil {
		t.Fatal(err)
	}
	return a.Bytes(), b.Bytes()
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func wantBadInput(t *testing.T, err error, mention string) {
	t.Helper()
	if !errors.Is(err, ErrBadInput) {
		t.Fatalf("got %v, want a bad-input error", err)
	}
	if !strings.Contains(err.Error(), mention) {
		t.Fatalf("error %q does not mention %q", err, mention)
	}
}

func TestIDXRoundTripAndErrors(t *testing.T) {
	s := synthSet(12, 3, 1, 5, 4)
	img, lab := idxBytes(t, s)
	for _, compress := range []bool{false, true} {
		a, b := img, lab
		if compress {
			a, b = gz(img), gz(lab)
		}
		got, err := ReadIDXPair(bytes.NewReader(a), bytes.NewReader(b), s.Classes)
		if err != nil {
			t.Fatal(err)
		}
		if got.Len() != 12 || got.H != 5 || got.W != 4 || !bytes.Equal(got.Images, s.Images) {
			t.Fatalf("round trip (gz %v) changed the set", compress)
		}
	}
	_, err := ReadIDXPair(bytes.NewReader(lab), bytes.NewReader(img), nil)
	wantBadInput(t, err, "swap the images and labels")
	_, err = ReadIDXPair(bytes.NewReader(img[:len(img)-7]), bytes.NewReader(lab), nil)
	wantBadInput(t, err, "truncated")
	_, err = ReadIDXPair(bytes.NewReader(gz(img[:len(img)-7])), bytes.NewReader(lab), nil)
	wantBadInput(t, err, "truncated")
	_, err = ReadIDXPair(bytes.NewReader(append(append([]byte{}, img...), 1, 2)), bytes.NewReader(lab), nil)
	wantBadInput(t, err, "more bytes")
	short := synthSet(11, 3, 1, 5, 4)
	_, lab11 := idxBytes(t, short)
	_, err = ReadIDXPair(bytes.NewReader(img), bytes.NewReader(lab11), nil)
	wantBadInput(t, err, "11 labels but the images file has 12")
	bad := append([]byte{}, img...)
	bad[0] = 'P'
	_, err = ReadIDXPair(bytes.NewReader(bad), bytes.NewReader(lab), nil)
	wantBadInput(t, err, "wrong magic number")
	corrupt := gz(img)
	corrupt[len(corrupt)/2] ^= 0xff
	corrupt[len(corrupt)/2+1] ^= 0xff
	_, err = ReadIDXPair(bytes.NewReader(corrupt), bytes.NewReader(lab), nil)
	if !errors.Is(err, ErrBadInput) {
		t.Fatalf("corrupt gzip: %v", err)
	}
}

func TestIDXFolderWithClassesFile(t *testing.T) {
	dir := t.TempDir()
	s := synthSet(30, 3, 1, 4, 4)
	img, lab := idxBytes(t, s)
	os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte.gz"), gz(img), 0o644)
	os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte.gz"), gz(lab), 0o644)
	os.WriteFile(filepath.Join(dir, "classes.txt"), []byte("cat\ndog\nfox\n"), 0o644)
	ds, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Format != "idx" || ds.Train.Classes[2] != "fox" {
		t.Fatalf("format %q classes %v", ds.Format, ds.Train.Classes)
	}
	// No test files: 10% held out, class-balanced, with a note.
	if ds.Train.Len() != 27 || ds.Test.Len() != 3 || len(ds.Notes) == 0 {
		t.Fatalf("train %d test %d notes %v", ds.Train.Len(), ds.Test.Len(), ds.Notes)
	}
	for _, n := range ds.Test.ClassCounts() {
		if n != 1 {
			t.Fatalf("held-out test split is not balanced: %v", ds.Test.ClassCounts())
		}
	}
	// Loading through a file path of the folder works too.
	ds2, err := Load(context.Background(), filepath.Join(dir, "train-images-idx3-ubyte.gz"), Options{})
	if err != nil || ds2.Train.Len() != 27 {
		t.Fatalf("via a file path: %v", err)
	}
	// A labels file that does not match is reported.
	os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte.gz"), gz(lab[:len(lab)-1]), 0o644)
	_, err = Load(context.Background(), dir, Options{})
	wantBadInput(t, err, "truncated")
}

func TestCIFAR10BinaryRoundTrip(t *testing.T) {
	train := synthSet(53, 10, 3, 32, 32)
	train.Classes = CIFAR10Classes
	test := synthSet(17, 10, 3, 32, 32)
	test.Classes = CIFAR10Classes
	dir := t.TempDir()
	if err := WriteCIFAR10(dir, train, test); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"data_batch_1.bin", "data_batch_5.bin", "test_batch.bin", "batches.meta.txt"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("official layout lacks %s", name)
		}
	}
	st, _ := os.Stat(filepath.Join(dir, "data_batch_1.bin"))
	if st.Size() != 10*3073 {
		t.Fatalf("data_batch_1.bin is %d bytes, want 10 records of 3073", st.Size())
	}
	ds, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Format != "cifar10-bin" {
		t.Fatalf("format %q", ds.Format)
	}
	for _, p := range [][2]*Set{{train, ds.Train}, {test, ds.Test}} {
		want, got := p[0], p[1]
		if got.Len() != want.Len() || !bytes.Equal(got.Images, want.Images) {
			t.Fatal("round trip changed the images")
		}
		for i := range want.Labels {
			if got.Labels[i] != want.Labels[i] {
				t.Fatal("round trip changed the labels")
			}
		}
	}
	if ds.Train.Classes[0] != "airplane" {
		t.Fatal("class names lost")
	}
	// Truncation and bad labels are reported.
	b, _ := os.ReadFile(filepath.Join(dir, "test_batch.bin"))
	_, err = ReadCIFAR10Batch(bytes.NewReader(b[:len(b)-100]))
	wantBadInput(t, err, "not a multiple")
	b[0] = 10
	_, err = ReadCIFAR10Batch(bytes.NewReader(b))
	wantBadInput(t, err, "label 10")
}

func TestNPZRoundTrip(t *testing.T) {
	train := synthSet(20, 4, 3, 6, 5)
	test := synthSet(8, 4, 3, 6, 5)
	// Write NHWC uint8 for train and NCHW float32 in [0,1] for test.
	nhwc := make([]uint8, len(train.Images))
	plane := 30
	for i := range train.Len() {
		for c := range 3 {
			for p := range plane {
				nhwc[i*90+p*3+c] = train.Images[i*90+c*plane+p]
			}
		}
	}
	f32 := make([]float32, len(test.Images))
	for i, v := range test.Images {
		f32[i] = float32(v) / 255
	}
	labels := func(s *Set) []int64 {
		out := make([]int64, s.Len())
		for i, l := range s.Labels {
			out[i] = int64(l)
		}
		return out
	}
	arrays := map[string]*npy.Array{
		"x_train": npy.FromUint8([]int{20, 6, 5, 3}, nhwc),
		"y_train": npy.FromInt64([]int{20}, labels(train)),
		"x_test":  npy.FromFloat32([]int{8, 3, 6, 5}, f32),
		"y_test":  npy.FromInt64([]int{8}, labels(test)),
		"classes": npy.FromStrings([]string{"a", "b", "c", "dé"}),
	}
	path := filepath.Join(t.TempDir(), "d.npz")
	for _, compress := range []bool{false, true} {
		var buf bytes.Buffer
		if err := npy.WriteNPZ(&buf, arrays, compress); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path, buf.Bytes(), 0o644)
		ds, err := Load(context.Background(), path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ds.Format != "npz" || ds.Train.C != 3 || ds.Train.H != 6 || ds.Train.W != 5 {
			t.Fatalf("format %q shape %dx%dx%d", ds.Format, ds.Train.C, ds.Train.H, ds.Train.W)
		}
		if !bytes.Equal(ds.Train.Images, train.Images) || !bytes.Equal(ds.Test.Images, test.Images) {
			t.Fatal("npz round trip changed the pixels")
		}
		if ds.Train.Classes[3] != "dé" || ds.Test.Labels[5] != test.Labels[5] {
			t.Fatalf("classes %v", ds.Train.Classes)
		}
	}
	// Mismatched counts are reported.
	arrays["y_test"] = npy.FromInt64([]int{7}, labels(test)[:7])
	var buf bytes.Buffer
	npy.WriteNPZ(&buf, arrays, false)
	os.WriteFile(path, buf.Bytes(), 0o644)
	_, err := Load(context.Background(), path, Options{})
	wantBadInput(t, err, "7 labels")
}

// An .npz written by NumPy itself (compressed, float64, NHWC, int32
// labels) reads back right.
func TestNPZFromNumPy(t *testing.T) {
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import numpy").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("numpy is required under CI: %v", err)
		}
		t.Skip("numpy not available:", err)
	}
	path := filepath.Join(t.TempDir(), "np.npz")
	script := `
import numpy as np, sys
x = np.arange(4*5*6*3, dtype=np.float64).reshape(4,5,6,3) % 256
y = np.array([0,1,2,1], dtype=np.int32)
np.savez_compressed(sys.argv[1], x_train=x, y_train=y, x_test=x[:2].astype(np.uint8), y_test=y[:2].astype(np.uint8))
`
	if out, err := exec.Command(py, "-c", script, path).CombinedOutput(); err != nil {
		t.Fatalf("numpy: %v\n%s", err, out)
	}
	ds, err := Load(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.Len() != 4 || ds.Train.C != 3 || ds.Train.H != 5 || ds.Train.W != 6 || len(ds.Train.Classes) != 3 {
		t.Fatalf("got %d images %dx%dx%d, %d classes", ds.Train.Len(), ds.Train.C, ds.Train.H, ds.Train.W, len(ds.Train.Classes))
	}
	// x[n,h,w,c] = (n*90 + h*18 + w*3 + c) % 256; CHW index c*30 + h*6 + w.
	im := ds.Train.Image(1)
	if want := uint8((1*90 + 2*18 + 4*3 + 2) % 256); im[2*30+2*6+4] != want {
		t.Fatalf("pixel (n1,c2,h2,w4) = %d, want %d", im[2*30+2*6+4], want)
	}
	if !bytes.Equal(ds.Test.Image(1), ds.Train.Image(1)) {
		t.Fatal("uint8 and float64 copies of the same image differ")
	}
}

func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, buf.Bytes(), 0o644)
}

func solid(w, h int, c color.Color) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, c)
		}
	}
	return img
}

func TestImageFolder(t *testing.T) {
	dir := t.TempDir()
	red, blue := color.NRGBA{200, 10, 10, 255}, color.NRGBA{10, 10, 200, 255}
	for i := range 3 {
		writePNG(t, filepath.Join(dir, "train", "red", string(rune('a'+i))+".png"), solid(8, 8, red))
		writePNG(t, filepath.Join(dir, "train", "blue", string(rune('a'+i))+".png"), solid(8, 8, blue))
	}
	writePNG(t, filepath.Join(dir, "test", "red", "x.png"), solid(8, 8, red))
	var jp bytes.Buffer
	jpeg.Encode(&jp, solid(8, 8, blue), nil)
	os.MkdirAll(filepath.Join(dir, "test", "blue"), 0o755)
	os.WriteFile(filepath.Join(dir, "test", "blue", "y.jpg"), jp.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "test", "blue", "broken.png"), []byte("not a png"), 0o644)
	os.WriteFile(filepath.Join(dir, "README.txt"), []byte("hi"), 0o644)

	ds, err := Load(context.Background(), dir, Options{Threads: 3})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Format != "image-folder" || ds.Train.Len() != 6 || ds.Test.Len() != 2 || ds.Train.C != 3 {
		t.Fatalf("format %q train %d test %d C %d skipped %v", ds.Format, ds.Train.Len(), ds.Test.Len(), ds.Train.C, ds.Skipped)
	}
	if ds.Train.Classes[0] != "blue" || ds.Train.Classes[1] != "red" {
		t.Fatalf("classes %v, want sorted folder names", ds.Train.Classes)
	}
	if len(ds.Skipped) != 1 || !strings.Contains(ds.Skipped[0], "broken.png") {
		t.Fatalf("skipped %v, want broken.png listed", ds.Skipped)
	}
	// Labels follow the folders: a red image has a high first plane.
	for i := range ds.Train.Len() {
		im := ds.Train.Image(i)
		isRed := im[0] > 100
		if isRed != (ds.Train.Labels[i] == 1) {
			t.Fatalf("image %d label %d does not match its colour", i, ds.Train.Labels[i])
		}
	}

	// The same tree as a zip, read in place, inside a wrapping folder.
	zpath := filepath.Join(t.TempDir(), "set.zip")
	zipTree(t, dir, "wrapped", zpath)
	dz, err := Load(context.Background(), zpath, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if dz.Format != "image-zip" || !bytes.Equal(dz.Train.Images, ds.Train.Images) || dz.Test.Len() != 2 {
		t.Fatalf("zip differs from the folder: format %q", dz.Format)
	}

	// Mixed sizes: an error that offers --size; with Size, resized.
	writePNG(t, filepath.Join(dir, "train", "red", "big.png"), solid(16, 12, red))
	_, err = Load(context.Background(), dir, Options{})
	wantBadInput(t, err, "--size")
	ds, err = Load(context.Background(), dir, Options{Size: 4, Channels: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.H != 4 || ds.Train.W != 4 || ds.Train.C != 1 || ds.Train.Len() != 7 {
		t.Fatalf("resized set is %dx%dx%d with %d images", ds.Train.C, ds.Train.H, ds.Train.W, ds.Train.Len())
	}
	// Grey value of the resized solid red: luma of (200,10,10).
	if v := ds.Train.Image(6)[0]; v < 64 || v > 68 {
		t.Fatalf("grey pixel %d, want about 66", v)
	}

	// An empty class folder is reported.
	os.MkdirAll(filepath.Join(dir, "train", "green"), 0o755)
	os.WriteFile(filepath.Join(dir, "train", "green", "bad.png"), []byte("x"), 0o644)
	_, err = Load(context.Background(), dir, Options{Size: 4})
	wantBadInput(t, err, "green has no readable images")
}

func zipTree(t *testing.T, dir, prefix, out string) {
	t.Helper()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		name := filepath.ToSlash(rel)
		if prefix != "" {
			name = prefix + "/" + name
		}
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
		b, _ := os.ReadFile(p)
		w.Write(b)
		return nil
	})
	zw.Close()
	f.Close()
}

func TestGreyImagesGiveOneChannel(t *testing.T) {
	dir := t.TempDir()
	for i := range 4 {
		g := image.NewGray(image.Rect(0, 0, 5, 5))
		g.Pix[0] = uint8(i * 50)
		writePNG(t, filepath.Join(dir, []string{"a", "b"}[i%2], string(rune('0'+i))+".png"), g)
	}
	// RGB PNG whose channels are equal is grey too.
	writePNG(t, filepath.Join(dir, "a", "rgb.png"), solid(5, 5, color.NRGBA{7, 7, 7, 255}))
	ds, err := Load(context.Background(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.C != 1 {
		t.Fatalf("grey images loaded with %d channels", ds.Train.C)
	}
}

func TestUnknownFormat(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.dat")
	os.WriteFile(p, []byte("hello world"), 0o644)
	_, err := Load(context.Background(), p, Options{})
	wantBadInput(t, err, "unknown dataset format")
}

func TestResizeCoverCrop(t *testing.T) {
	// A 4x2 image: left half 0, right half 200. Covering 2x2 keeps the
	// centre 2x2 of the 4x2 (no scaling needed): columns 1 and 2.
	src := []uint8{0, 0, 200, 200, 0, 0, 200, 200}
	out := resizeCoverCrop(src, 1, 2, 4, 2, 2)
	if out[0] != 0 || out[1] != 200 {
		t.Fatalf("centre crop %v", out)
	}
	// Halving a 4x4 averages 2x2 blocks.
	src = make([]uint8, 16)
	for i := range src {
		if (i%4)/2 == 1 {
			src[i] = 100
		}
	}
	out = resizeCoverCrop(src, 1, 4, 4, 2, 2)
	if out[0] > 30 || out[1] < 70 {
		t.Fatalf("downscale %v, want about [~0 ~100]", out)
	}
}
