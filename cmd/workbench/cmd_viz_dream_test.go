package main

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// TestDreamAndStyleCommands trains ref-cnn briefly, then runs dream,
// invert, texture and style (Adam and L-BFGS) on image files and checks the
// done fields, the loss moving the right way and bad input.
func TestDreamAndStyleCommands(t *testing.T) {
	proj := filepath.Join(t.TempDir(), "m.wbproj")
	code, _, errs := call(t, "train", "--data", "sample", "--limit-train", "60", "--limit-test", "20", "--model", "ref-cnn",
		"--epochs", "1", "--batch", "30", "--threads", "2", "--device", "cpu", "--json", "--save", proj)
	if code != 0 {
		t.Fatalf("training the test project: exit %d: %s", code, errs)
	}
	img := filepath.Join(t.TempDir(), "a.png")
	writeDreamPNG(t, img, 40, 30)
	img2 := filepath.Join(t.TempDir(), "b.png")
	writeStripesPNG(t, img2, 17, 23)
	dir := t.TempDir()
	run := func(args ...string) map[string]any {
		t.Helper()
		code, out, errs := call(t, append(args, "--project", proj, "--json", "--threads", "2", "--device", "cpu", "--out", dir)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		return lastJSON(t, out)
	}
	cases := [][]string{
		{"viz", "dream", "--image", img, "--layer", "relu2", "--steps", "5", "--octaves", "2"},
		{"viz", "invert", "--image", img, "--layer", "relu1", "--steps", "40", "--tv", "0.01"},
		{"viz", "texture", "--image", img, "--layers", "relu1,relu2:0.5", "--steps", "40"},
		{"viz", "style", "--content", img, "--style", img + "," + img, "--blend", "0.3,0.7", "--layers", "relu1", "--content-layer", "relu2", "--steps", "10", "--init", "noise"},
		{"viz", "style", "--content", img, "--style", img, "--layers", "relu1", "--steps", "5", "--optimizer", "lbfgs", "--init", "noise"},
		{"viz", "texture", "--method", "gram", "--smooth", "--image", img, "--layers", "relu1,relu2", "--steps", "40"},
		{"viz", "style", "--smooth", "--content", img, "--style", img2, "--layers", "relu1,relu2", "--steps", "20"},
	}
	for _, a := range cases {
		d := run(a...)
		if files := pngFiles(t, d, dir); len(files) != 3 {
			t.Errorf("%v wrote %v", a, files)
		}
		s0, s := d["loss_start"].(float64), d["loss"].(float64)
		up := a[1] == "dream"
		if (up && !(s > s0)) || (!up && !(s < s0)) || d["steps"].(float64) < 5 || d["seconds"].(float64) <= 0 {
			t.Errorf("%v: loss %v -> %v, steps %v", a, s0, s, d["steps"])
		}
		if a[2] == "--smooth" || a[4] == "--smooth" {
			// Smoothed style: the measures that are not the objective.
			if d["smooth"] != true || (a[1] == "style" && !(d["gram_share"].(float64) < 1 && d["colour_distance"].(float64) > 0)) {
				t.Errorf("%v: %v", a, d)
			}
		}
	}
	for _, bad := range [][]string{
		{"viz", "dream", "--layer", "relu2"},
		{"viz", "dream", "--image", img, "--layer", "nope"},
		{"viz", "texture", "--image", img, "--layers", "relu1:x"},
		{"viz", "style", "--content", img},
		{"viz", "style", "--content", img, "--style", img, "--blend", "1,2"},
		{"viz", "invert", "--image", img, "--optimizer", "sgd"},
		{"viz", "style", "--content", img, "--style", img, "--smooth", "--smooth-scale", "-1"},
	} {
		code, _, errs := call(t, append(bad, "--project", proj, "--out", dir, "--device", "cpu")...)
		if code != 2 || len(errs) == 0 {
			t.Errorf("%v: exit %d, %q; want a usage error", bad, code, errs)
		}
	}
}

// writeDreamPNG writes a procedural colour image: coloured waves.
func writeDreamPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := 0.5 + 0.5*math.Sin(float64(x+2*y)*0.7)
			img.Set(x, y, color.NRGBA{R: uint8(255 * v), G: uint8(255 * (1 - v)), B: uint8(x * 6), A: 255})
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
