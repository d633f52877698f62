package main

import (
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/projects"
)

// TestSmokeXvfb starts the real binary under Xvfb through
// scripts/smoke-xvfb.sh: the window must appear with the sample project and
// be drawn. The screenshot goes to $WORKBENCH_SMOKE_SCREENSHOT when set (CI
// keeps it as evidence), else to a temporary folder. Without Xvfb the test
// is skipped, except on CI (CI=true) where it fails. $WORKBENCH_BIN skips
// the build and tests that binary.
func TestSmokeXvfb(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the desktop app under Xvfb; skipped with -short")
	}
	need := func(tools ...string) {
		for _, tool := range tools {
			if _, err := exec.LookPath(tool); err == nil {
				return
			}
		}
		msg := "needs " + strings.Join(tools, " or ") + " (apt-get install -y xvfb imagemagick x11-utils)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	need("Xvfb")
	need("import")
	need("xwininfo", "xdotool")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	bin := os.Getenv("WORKBENCH_BIN")
	if bin == "" {
		bin = filepath.Join(t.TempDir(), "workbench")
		build := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
		if out, err := build.CombinedOutput(); err != nil {
			t.Fatalf("go build: %v\n%s", err, out)
		}
	}
	shot := os.Getenv("WORKBENCH_SMOKE_SCREENSHOT")
	if shot == "" {
		shot = filepath.Join(t.TempDir(), "smoke-xvfb.png")
	} else if abs, err := filepath.Abs(shot); err == nil {
		shot = abs
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "scripts", "smoke-xvfb.sh"))
	if err != nil {
		t.Fatal(err)
	}
	run := func() ([]byte, error) {
		cmd := exec.CommandContext(ctx, "sh", script, shot)
		cmd.Env = append(os.Environ(), "WORKBENCH_BIN="+bin)
		return cmd.CombinedOutput()
	}
	out, err := run()
	if err != nil && strings.Contains(string(out), "exited before its window appeared") {
		// Once, on a fresh-clone CI run under load, the app ended before
		// its window with an empty log, and passed on every run after.
		// Say so, and try once more on a new X server: an app that cannot
		// start fails both times.
		t.Logf("first start: %v\n%s", err, out)
		out, err = run()
	}
	if err != nil {
		t.Fatalf("smoke-xvfb.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "window: Workbench — "+projects.SampleName) {
		t.Errorf("the window title does not name the sample project:\n%s", out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	if err != nil || cfg.Width < 1280 || cfg.Height < 800 {
		t.Fatalf("screenshot %s: %dx%d %v", shot, cfg.Width, cfg.Height, err)
	}
	t.Logf("screenshot: %s", shot)
}
