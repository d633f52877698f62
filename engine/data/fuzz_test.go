package data

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"image/color"
	"image/gif"
	"image/jpeg"
	"io"
	"strings"
	"testing"
)

// The readers must never panic or over-allocate on arbitrary input, and
// what they accept must be self-consistent. Seed corpora live in
// testdata/fuzz; run for instance go test -fuzz FuzzReadIDX -fuzztime 30s.

func FuzzReadIDX(f *testing.F) {
	s := synthSet(3, 2, 1, 2, 3)
	var img, lab bytes.Buffer
	WriteIDXImages(&img, 3, 2, 3, s.Images)
	WriteIDXLabels(&lab, s.Labels)
	f.Add(img.Bytes(), lab.Bytes())
	f.Add(gz(img.Bytes()), gz(lab.Bytes()))
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 28, 0, 0, 0, 28}, []byte{0, 0, 8, 1, 0, 0, 0, 1, 5})
	f.Fuzz(func(t *testing.T, images, labels []byte) {
		set, err := ReadIDXPair(bytes.NewReader(images), bytes.NewReader(labels), nil)
		if err != nil {
			return
		}
		if verr := set.Validate(); verr != nil && set.Len() > 0 {
			t.Fatalf("accepted an invalid set: %v", verr)
		}
		if len(set.Images) != set.Len()*set.H*set.W {
			t.Fatalf("%d pixels for %d images of %dx%d", len(set.Images), set.Len(), set.H, set.W)
		}
	})
}

func FuzzReadCIFAR10(f *testing.F) {
	s := synthSet(2, 10, 3, 32, 32)
	var b bytes.Buffer
	WriteCIFAR10Batch(&b, s)
	f.Add(b.Bytes())
	f.Add(b.Bytes()[:3073+100])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := ReadCIFAR10Batch(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("error is not bad input: %v", err)
			}
			return
		}
		if set.Len()*3073 != len(data) || set.Validate() != nil {
			t.Fatalf("accepted %d bytes as %d records", len(data), set.Len())
		}
	})
}

// fuzzLimits keep what one fuzz input may allocate small.
var fuzzLimits = Limits{MaxImagePixels: 1 << 16, MaxEntryBytes: 1 << 20, MaxArrayBytes: 1 << 20}

// seedZip is a zip of the given entries, in order.
func seedZip(entries ...[2]string) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: e[0], Method: zip.Store})
		w.Write([]byte(e[1]))
	}
	zw.Close()
	return b.Bytes()
}

// FuzzReadImageZip feeds arbitrary bytes to the image-zip reader (listing,
// class folders, splits, decoding): it must not panic, every error must
// be bad input, and what it accepts must be a valid dataset whose classes
// are safe folder names.
func FuzzReadImageZip(f *testing.F) {
	png1, png2 := string(greyPNG(f, 3, 3, 10)), string(greyPNG(f, 3, 3, 200))
	f.Add(seedZip([2]string{"a/1.png", png1}, [2]string{"a/2.png", png2}, [2]string{"b/1.png", png2}, [2]string{"b/2.png", png1}))
	f.Add(seedZip([2]string{"set/train/cat/1.png", png1}, [2]string{"set/train/dog/1.png", png2},
		[2]string{"set/test/cat/1.png", png1}, [2]string{"set/test/dog/1.png", png2}, [2]string{"set/val/dog/2.png", png2}))
	f.Add(seedZip([2]string{"/etc/x.png", png1}, [2]string{`C:\x\y.png`, png2}, [2]string{"../a/z.png", png1}, [2]string{"a/1.png", png1}, [2]string{"b/1.png", png2}))
	f.Add(seedZip([2]string{"a/huge.png", string(lyingPNG(f, 100000, 100000))}, [2]string{"b/1.png", png1}))
	f.Add(seedZip([2]string{"a/1.png", "not a png"}, [2]string{"b/1.png", png1}, [2]string{"__MACOSX/a/1.png", png1}))
	f.Add(seedZip([2]string{"a/1.png", png1}, [2]string{"b/1.png", string(greyPNG(f, 5, 4, 1))}))
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		files, notes := listZip(zr)
		ds, err := readImages(context.Background(), files, notes, "image-zip", imageDecodeOptions{threads: 2, limits: fuzzLimits}, newProgress(nil))
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("error is not bad input: %v", err)
			}
			return
		}
		for _, c := range ds.Train.Classes {
			if c == "" || c == "." || c == ".." || strings.ContainsAny(c, "/\\") || len(c) >= 2 && c[1] == ':' {
				t.Fatalf("unsafe class name %q", c)
			}
		}
		for _, s := range []*Set{ds.Train, ds.Val, ds.Test} {
			if s == nil {
				continue
			}
			if err := s.Validate(); err != nil {
				t.Fatalf("accepted an invalid set: %v", err)
			}
			if len(s.Classes) != len(ds.Train.Classes) || int64(s.H*s.W) > fuzzLimits.MaxImagePixels {
				t.Fatalf("split of %d classes, %dx%d images", len(s.Classes), s.W, s.H)
			}
		}
	})
}

// FuzzDecodeImage: the header is checked before decoding, so no accepted
// image exceeds the pixel limit, and the pixels match the size reported.
func FuzzDecodeImage(f *testing.F) {
	f.Add(greyPNG(f, 3, 5, 9), uint8(0))
	f.Add(lyingPNG(f, 100000, 100000), uint8(0))
	var j bytes.Buffer
	jpeg.Encode(&j, solid(9, 7, color.NRGBA{200, 30, 30, 255}), nil)
	f.Add(j.Bytes(), uint8(4))
	var g bytes.Buffer
	gif.Encode(&g, solid(4, 6, color.NRGBA{1, 2, 3, 255}), nil)
	f.Add(g.Bytes(), uint8(3))
	f.Fuzz(func(t *testing.T, b []byte, size uint8) {
		im, err := decodeImage(b, int(size%65), fuzzLimits.MaxImagePixels)
		if err != nil {
			return
		}
		if im.h <= 0 || im.w <= 0 || len(im.pix) != 3*im.h*im.w {
			t.Fatalf("%d values for %dx%d", len(im.pix), im.w, im.h)
		}
		if size%65 == 0 && int64(im.h*im.w) > fuzzLimits.MaxImagePixels {
			t.Fatalf("accepted %dx%d over a %d-pixel limit", im.w, im.h, fuzzLimits.MaxImagePixels)
		}
		if size%65 != 0 && (im.h != int(size%65) || im.w != int(size%65)) {
			t.Fatalf("resized to %dx%d, want %d", im.w, im.h, size%65)
		}
	})
}

// FuzzOrganise fuzzes the layout rules shared by folders and zips (class
// folders, train/val/test folders, wrapping folders, hidden and loose
// files) on lists of paths, one per line, which the zip fuzzer rarely
// reaches through the zip format.
func FuzzOrganise(f *testing.F) {
	f.Add("a/1.png\nb/2.png")
	f.Add("set/train/cat/1.png\nset/train/dog/2.jpg\nset/test/cat/3.png\nset/val/dog/4.png\nset/README.txt")
	f.Add("train/x.png\ntest/a/1.png\ntest/b/1.png")
	f.Add("w/x/a/1.png\nw/x/b/1.png\nw/loose.png")
	f.Add("Train/A/1.PNG\nTESTING/A/2.jpeg\nvalidation/B/3.gif")
	f.Fuzz(func(t *testing.T, list string) {
		in := map[string]bool{}
		var files []fileRef
		for _, raw := range strings.Split(list, "\n") {
			// Names as the zip lister gives them (folders give clean ones).
			name, ok := zipName(raw)
			if raw == "" || strings.HasSuffix(raw, "/") || !ok {
				continue
			}
			in[name] = true
			files = append(files, fileRef{name: name, open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("")), nil }})
		}
		splits, _, err := organise(files)
		if err != nil {
			if !errors.Is(err, ErrBadInput) {
				t.Fatalf("error is not bad input: %v", err)
			}
			return
		}
		if n := splits[0].name; n != "" && n != "train" {
			t.Fatalf("first split is %q", n)
		}
		for _, sp := range splits {
			if len(sp.classes) == 0 || len(sp.entries) == 0 {
				t.Fatalf("split %q has %d classes and %d images", sp.name, len(sp.classes), len(sp.entries))
			}
			for _, c := range sp.classes {
				if c == "" || strings.Contains(c, "/") {
					t.Fatalf("class %q", c)
				}
			}
			for _, e := range sp.entries {
				if e.class < 0 || e.class >= len(sp.classes) || !isImageName(e.name) {
					t.Fatalf("entry %q of class %d of %d", e.name, e.class, len(sp.classes))
				}
			}
		}
	})
}
