package data

import (
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// loadAllocRatio loads spec and returns the bytes allocated during the
// load over the bytes of pixels loaded.
func loadAllocRatio(t *testing.T, spec string) (float64, int) {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	ds, err := Load(context.Background(), spec, Options{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	pix := len(ds.Train.Images) + len(ds.Test.Images)
	return float64(after.TotalAlloc-before.TotalAlloc) / float64(pix), pix
}

// TestIDXLoadAllocatesAboutThePixels guards the memory of loading gzipped
// IDX files: the pixels are gunzipped straight into their final buffer, so
// everything the load allocates (the peak can only be lower) stays near
// the pixels' own size. io.ReadAll's doubling allocated about three times
// the pixels (Fashion-MNIST peaked at 163 MB for 55 MB).
func TestIDXLoadAllocatesAboutThePixels(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, body func(f *gzip.Writer) error) {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
		if err := body(zw); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	for _, sp := range []struct {
		name string
		n    int
	}{{"train", 40000}, {"t10k", 5000}} {
		pix := make([]uint8, sp.n*28*28)
		lab := make([]int32, sp.n)
		for i := range pix {
			pix[i] = uint8(i*31 + i/977)
		}
		for i := range lab {
			lab[i] = int32(i % 10)
		}
		write(sp.name+"-images-idx3-ubyte.gz", func(w *gzip.Writer) error { return WriteIDXImages(w, sp.n, 28, 28, pix) })
		write(sp.name+"-labels-idx1-ubyte.gz", func(w *gzip.Writer) error { return WriteIDXLabels(w, lab) })
	}
	ratio, pix := loadAllocRatio(t, dir)
	t.Logf("synthetic: %d bytes of pixels, %.2fx allocated", pix, ratio)
	if pix != 45000*28*28 {
		t.Fatalf("loaded %d pixels, want %d", pix, 45000*28*28)
	}
	if ratio > 1.35 {
		t.Errorf("loading %d bytes of pixels allocated %.2fx as much; want at most 1.35x", pix, ratio)
	}
}

// TestFashionMNISTLoadAllocatesAboutThePixels is the same bound on the real
// Fashion-MNIST files (55 MB of pixels), where they are installed.
func TestFashionMNISTLoadAllocatesAboutThePixels(t *testing.T) {
	if _, err := Locate(SpecFashionMNIST); err != nil {
		t.Skip(err)
	}
	ratio, pix := loadAllocRatio(t, SpecFashionMNIST)
	t.Logf("Fashion-MNIST: %d bytes of pixels, %.2fx allocated", pix, ratio)
	if ratio > 1.35 {
		t.Errorf("loading Fashion-MNIST's %d bytes of pixels allocated %.2fx as much; want at most 1.35x", pix, ratio)
	}
}
