package main

import (
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/projects"
)

func TestRenderPanesWritesOnePNGPerPane(t *testing.T) {
	proj := filepath.Join(t.TempDir(), "sample.wbproj")
	p, err := projects.Sample()
	if err != nil {
		t.Fatal(err)
	}
	if err := projects.Save(p, proj); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "shots")
	code, stdout, stderr := call(t, "render-panes", "--project", proj, "--out", out, "--json", "--width", "800", "--height", "600")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var done struct {
		Event string   `json:"event"`
		Files []string `json:"files"`
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &done); err != nil || done.Event != "done" {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	want := []string{"data", "architecture", "train", "classic", "filters", "embeddings", "saliency", "adversarial", "dream"}
	if len(done.Files) != len(want) {
		t.Fatalf("files %q", done.Files)
	}
	for i, f := range done.Files {
		if f != filepath.Join(out, want[i]+".png") {
			t.Errorf("file %d is %s, want %s.png", i, f, want[i])
		}
		r, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(r)
		r.Close()
		if err != nil || cfg.Width != 800 || cfg.Height != 600 {
			t.Errorf("%s: %dx%d %v", f, cfg.Width, cfg.Height, err)
		}
	}
}

func TestRenderPanesBadInputExitsTwoWithOneLine(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.wbproj")
	os.WriteFile(bad, []byte("not a project"), 0o644)
	out := t.TempDir()
	cases := map[string][]string{
		"missing --project": {"render-panes", "--out", out},
		"missing --out":     {"render-panes", "--project", "sample"},
		"bad.wbproj":        {"render-panes", "--project", bad, "--out", out},
		"out of range":      {"render-panes", "--project", "sample", "--out", out, "--width", "10"},
		"no-such.wbproj":    {"render-panes", "--project", filepath.Join(out, "no-such.wbproj"), "--out", out},
	}
	for want, args := range cases {
		code, _, stderr := call(t, args...)
		if code != 2 {
			t.Errorf("%s: exit %d, want 2 (%s)", want, code, stderr)
			continue
		}
		oneErrorLine(t, stderr, "workbench render-panes: ", want)
	}
}
