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

// writeStripesPNG writes blue and white horizontal stripes, a style image
// whose colours are far from writeDreamPNG's.
func writeStripesPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.NRGBA{R: 20, G: 40, B: 200, A: 255}
			if y%4 < 2 {
				c = color.NRGBA{R: 240, G: 240, B: 250, A: 255}
			}
			img.Set(x, y, c)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// TestVizTextureNonParametric: viz texture --method efros-leung and
// wei-levoy (exact and TSVQ) need no project, write the texture and the
// texture beside its source, report the done fields with the loss (the
// neighbourhood distance to the source) far below the noise's, and turn
// bad input into usage errors.
func TestVizTextureNonParametric(t *testing.T) {
	img := filepath.Join(t.TempDir(), "a.png")
	writeDreamPNG(t, img, 40, 30)
	dir := t.TempDir()
	for _, a := range [][]string{
		{"--method", "efros-leung", "--window", "5", "--size", "20", "--source-size", "24"},
		{"--method", "wei-levoy", "--levels", "2", "--size", "24"},
		{"--method", "wei-levoy", "--tsvq", "--window", "7", "--levels", "2", "--size", "24"},
	} {
		args := append([]string{"viz", "texture", "--image", img, "--json", "--out", dir, "--seed", "3"}, a...)
		code, out, errs := call(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", a, code, errs)
		}
		d := lastJSON(t, out)
		files := pngFiles(t, d, dir)
		if len(files) != 2 {
			t.Errorf("%v wrote %v", a, files)
		}
		size := d["size"].([]any)[0].(float64)
		s0, s := d["loss_start"].(float64), d["loss"].(float64)
		if d["method"] != a[1] || !(s0 > 0) || !(s < s0/3) || d["steps"].(float64) < size*size-9 || !(d["seconds"].(float64) > 0) {
			t.Errorf("%v: %v", a, d)
		}
		if a[1] == "wei-levoy" && d["search"] != map[bool]string{true: "tsvq", false: "exact"}[a[2] == "--tsvq"] {
			t.Errorf("%v: search %v", a, d["search"])
		}
	}
	for _, bad := range [][]string{
		{"--method", "nope"},
		{"--method", "efros-leung", "--window", "4"},
		{"--method", "wei-levoy", "--window", "41", "--size", "20"},
		{"--method", "wei-levoy", "--levels", "9"},
		{"--method", "wei-levoy", "--levels", "5", "--size", "16"},
		{"--method", "efros-leung", "--match-eps", "-1"},
		{"--method", "efros-leung", "--size", "4"},
	} {
		code, _, errs := call(t, append([]string{"viz", "texture", "--image", img, "--out", dir}, bad...)...)
		if code != 2 || len(errs) == 0 || strings.Contains(errs, "panic") {
			t.Errorf("%v: exit %d, %q; want a usage error", bad, code, errs)
		}
	}
	if code, _, errs := call(t, "viz", "texture", "--method", "wei-levoy", "--out", dir); code != 2 || !strings.Contains(errs, "--image") {
		t.Errorf("no --image: exit %d, %q", code, errs)
	}
}
