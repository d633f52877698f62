package data

import (
	"bytes"
	"context"
	"image/color"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/data/augment"
)

func makeImageTree(t *testing.T, withTest bool) string {
	t.Helper()
	dir := t.TempDir()
	for i := range 24 {
		cls := []string{"ant", "bee", "cow"}[i%3]
		c := color.NRGBA{uint8(10 * i), uint8(200 - 5*i), uint8(i * i % 256), 255}
		split := "train"
		if withTest && i >= 18 {
			split = "test"
		}
		writePNG(t, filepath.Join(dir, split, cls, strings.Repeat("x", i%4)+string(rune('a'+i))+".png"), solid(6+i%3, 6, c))
	}
	return dir
}

// Streaming gives the same images, labels, splits and batches as loading
// into memory.
func TestStreamMatchesLoad(t *testing.T) {
	dir := makeImageTree(t, true)
	opt := Options{Size: 5, Val: 3, LimitTrain: 9, Seed: 3}
	ds, err := Load(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenStream(context.Background(), dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, p := range []struct {
		set  *Set
		lazy *LazySet
	}{{ds.Train, st.Train}, {ds.Val, st.Val}, {ds.Test, st.Test}} {
		mem, _, err := SampleSet(p.lazy, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if mem.Len() != p.set.Len() || mem.C != p.set.C || !bytes.Equal(mem.Images, p.set.Images) {
			t.Fatalf("streamed split (%d images, C %d) differs from the loaded one (%d, C %d)", mem.Len(), mem.C, p.set.Len(), p.set.C)
		}
		for i := range mem.Labels {
			if mem.Labels[i] != p.set.Labels[i] {
				t.Fatal("streamed labels differ")
			}
		}
	}
	pipe, _ := augment.Parse("flip,crop:1,cutout:2")
	lm, _ := NewLoader(LoaderConfig{Set: ds.Train, BatchSize: 4, Shuffle: true, Seed: 2, Augment: pipe})
	ll, err := NewLoader(LoaderConfig{Source: st.Train, BatchSize: 4, Shuffle: true, Seed: 2, Augment: pipe, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !sameBatches(collect(t, lm, 1), collect(t, ll, 1)) {
		t.Fatal("streamed batches differ from in-memory batches")
	}
}

func TestStreamZipHoldsOutTestAndReportsBadImages(t *testing.T) {
	dir := makeImageTree(t, false)
	os.WriteFile(filepath.Join(dir, "train", "ant", "zz-broken.png"), []byte("nope"), 0o644)
	zpath := filepath.Join(t.TempDir(), "d.zip")
	zipTree(t, dir, "", zpath)
	st, err := OpenStream(context.Background(), zpath, Options{Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Format != "image-zip" || st.Test.Len() != 2 || st.Train.Len() != 23 || len(st.Notes) == 0 {
		t.Fatalf("format %q train %d test %d notes %v", st.Format, st.Train.Len(), st.Test.Len(), st.Notes)
	}
	l, err := NewLoader(LoaderConfig{Source: st.Train, BatchSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	b := l.Batch(0, 0)
	if b.N != 23 || len(b.Skipped) != 1 || !strings.Contains(b.Skipped[0], "zz-broken.png") {
		t.Fatalf("batch of %d, skipped %v", b.N, b.Skipped)
	}
	if _, err := OpenStream(context.Background(), filepath.Join(dir, "nope"), Options{}); err == nil {
		t.Fatal("a missing path opened")
	}
}
