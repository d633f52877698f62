package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/projects"
)

// colourRefCNN saves a project holding ref-cnn for 3×24×24 images with
// seeded random weights (a perceptual network for tests).
func colourRefCNN(t *testing.T, path string) {
	t.Helper()
	in := []int{3, 24, 24}
	g, err := models.Graph("ref-cnn", in, 10)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Build(g, in, cpu.New(), 3, "default")
	if err != nil {
		t.Fatal(err)
	}
	p := projects.New("colour ref-cnn")
	p.Graph = g
	p.Dataset.C, p.Dataset.H, p.Dataset.W = 3, 24, 24
	p.Tensors = map[string]projects.Tensor{}
	for k, v := range m.State() {
		p.Tensors[projects.GroupWeights+"/"+k] = projects.Tensor{Shape: v.Shape, Data: v.Data()}
	}
	if err := projects.Save(p, path); err != nil {
		t.Fatal(err)
	}
}

// TestTrainStyleAndFastViz trains a small two-style fast-style network on
// ref-cnn with random weights, checks the done fields and the saved project,
// stylises with viz style --fast (one style, a blend), and checks that bad
// input is refused with exit 2 and a message.
func TestTrainStyleAndFastViz(t *testing.T) {
	dir := t.TempDir()
	proj := filepath.Join(dir, "m.wbproj")
	colourRefCNN(t, proj)
	photos := filepath.Join(dir, "photos")
	if err := os.Mkdir(photos, 0o755); err != nil {
		t.Fatal(err)
	}
	writeDreamPNG(t, filepath.Join(photos, "a.png"), 40, 30)
	writeDreamPNG(t, filepath.Join(photos, "b.png"), 30, 36)
	s1, s2 := filepath.Join(dir, "s1.png"), filepath.Join(dir, "s2.png")
	writeDreamPNG(t, s1, 24, 24)
	writeDreamPNG(t, s2, 50, 20)
	out := filepath.Join(dir, "fast.wbproj")
	common := []string{"--project", proj, "--threads", "2", "--device", "cpu"}
	code, so, errs := call(t, append([]string{"train-style", "--style", s1 + "," + s2, "--content-data", photos, "--size", "24", "--steps", "6",
		"--batch", "2", "--width", "8", "--layers", "relu1,relu2:0.5", "--content-layer", "relu2", "--lr", "0.01", "--every", "3", "--save", out, "--json"}, common...)...)
	if code != 0 {
		t.Fatalf("train-style: exit %d: %s", code, errs)
	}
	d := lastJSON(t, so)
	files, _ := d["files"].([]any)
	if d["steps"].(float64) != 6 || !(d["loss_start"].(float64) > 0) || !(d["loss"].(float64) > 0) || !(d["seconds"].(float64) > 0) || len(files) != 1 || files[0] != out {
		t.Errorf("done %v", d)
	}
	if n := strings.Count(so, `"event":"step"`); n != 6 {
		t.Errorf("%d step events, want 6", n)
	}
	vdir := filepath.Join(dir, "viz")
	for _, blend := range []string{"", "1,3"} {
		args := []string{"viz", "style", "--fast", out, "--content", filepath.Join(photos, "a.png"), "--size", "32", "--out", vdir, "--json", "--device", "cpu"}
		if blend != "" {
			args = append(args, "--blend", blend)
		}
		code, so, errs := call(t, args...)
		if code != 0 {
			t.Fatalf("viz style --fast --blend %q: exit %d: %s", blend, code, errs)
		}
		v := lastJSON(t, so)
		if fs := pngFiles(t, v, vdir); len(fs) != 2 {
			t.Errorf("viz style --fast wrote %v", fs)
		}
		if st, _ := v["styles"].([]any); len(st) != 2 || st[0] != "s1" {
			t.Errorf("styles %v", v["styles"])
		}
	}
	a := filepath.Join(photos, "a.png")
	for _, bad := range [][]string{
		append([]string{"train-style", "--content-data", photos, "--save", out}, common...),
		append([]string{"train-style", "--style", s1, "--content-data", photos, "--size", "30", "--save", out}, common...),
		append([]string{"train-style", "--style", s1, "--content-data", filepath.Join(dir, "nope"), "--save", out}, common...),
		append([]string{"train-style", "--style", s1, "--content-data", photos, "--layers", "nope", "--save", out}, common...),
		append([]string{"train-style", "--style", s1, "--content-data", photos, "--save", s1}, common...),
		{"viz", "style", "--fast", out, "--content", a, "--blend", "1", "--out", vdir},
		{"viz", "style", "--fast", out, "--content", a, "--blend", "0,0", "--out", vdir},
		{"viz", "style", "--fast", out, "--content", a, "--size", "30", "--out", vdir},
		{"viz", "style", "--fast", proj, "--content", a, "--out", vdir},
		{"viz", "style", "--fast", out, "--out", vdir},
	} {
		code, _, errs := call(t, bad...)
		if code != 2 || len(errs) == 0 || strings.Contains(errs, "panic") {
			t.Errorf("%v: exit %d, %q; want a usage error", bad, code, errs)
		}
	}
}
