package main

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// viz grabcut on an image file: a mask of 0s and 255s, a cut-out that is
// the image where the mask is set and transparent elsewhere, the seeds'
// object inside the mask.
func TestVizGrabCutWritesMaskAndCutout(t *testing.T) {
	dir := t.TempDir()
	proj := filepath.Join(dir, "m.wbproj")
	code, _, errs := call(t, "train", "--data", "sample", "--limit-train", "300", "--limit-test", "60", "--model", "ref-cnn",
		"--epochs", "1", "--batch", "30", "--device", "cpu", "--json", "--save", proj)
	if code != 0 {
		t.Fatalf("training the test project: exit %d: %s", code, errs)
	}
	// A bright ellipse on a dark textured background.
	src := image.NewGray(image.Rect(0, 0, 28, 28))
	for y := range 28 {
		for x := range 28 {
			v := uint8(30 + 20*((x/3+y/3)%2))
			if dx, dy := float64(x-14)/7, float64(y-13)/10; dx*dx+dy*dy <= 1 {
				v = 210
			}
			src.SetGray(x, y, color.Gray{v})
		}
	}
	file := filepath.Join(dir, "scene.png")
	fh, _ := os.Create(file)
	if err := png.Encode(fh, src); err != nil {
		t.Fatal(err)
	}
	fh.Close()
	out := filepath.Join(dir, "out")
	code, stdout, errs := call(t, "viz", "grabcut", "--project", proj, "--image", file, "--out", out, "--samples", "8", "--device", "cpu", "--json")
	if code != 0 {
		t.Fatalf("viz grabcut: exit %d: %s", code, errs)
	}
	done := lastJSON(t, stdout)
	if files := pngFiles(t, done, out); len(files) != 3 {
		t.Fatalf("wrote %v", files)
	}
	read := func(name string) image.Image {
		fh, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		defer fh.Close()
		img, err := png.Decode(fh)
		if err != nil {
			t.Fatal(err)
		}
		return img
	}
	mask, cut := read("grabcut-00-mask.png"), read("grabcut-00-cutout.png")
	on := 0
	for y := range 28 {
		for x := range 28 {
			m, _, _, _ := mask.At(x, y).RGBA()
			_, _, _, a := cut.At(x, y).RGBA()
			g, _, _, _ := cut.At(x, y).RGBA()
			switch {
			case m != 0 && m != 0xffff:
				t.Fatalf("mask value %d at %d,%d", m>>8, x, y)
			case (m != 0) != (a != 0):
				t.Fatalf("at %d,%d the mask is %d but the cut-out's alpha %d", x, y, m>>8, a>>8)
			case m != 0 && g>>8 != uint32(src.GrayAt(x, y).Y):
				t.Fatalf("the cut-out at %d,%d is %d, the image %d", x, y, g>>8, src.GrayAt(x, y).Y)
			}
			if m != 0 {
				on++
			}
		}
	}
	if f := done["object_fraction"].([]any)[0].(float64); on == 0 || on == 28*28 || f != float64(on)/(28*28) {
		t.Fatalf("%d object pixels, object_fraction %v", on, f)
	}
	for _, bad := range []string{"--object-frac 0.8 --background-frac 0.5", "--iterations 0", "--gamma -1"} {
		code, _, errs := call(t, append([]string{"viz", "grabcut", "--project", proj, "--image", file, "--out", out}, strings.Fields(bad)...)...)
		if code != 2 {
			t.Errorf("%s: exit %d: %s", bad, code, errs)
		}
	}
}
