package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// lastJSON decodes the last JSON line of out.
func lastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line %q: %v", lines[len(lines)-1], err)
	}
	return m
}

func TestDataSampleJSON(t *testing.T) {
	code, out, errs := call(t, "data", "sample", "--json", "--limit-train", "1000", "--val", "200", "--limit-test", "100")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	d := lastJSON(t, out)
	if d["event"] != "done" || d["train"] != 1000.0 || d["val"] != 200.0 || d["test"] != 100.0 {
		t.Fatalf("done %v", d)
	}
	if d["format"] != "idx" {
		t.Errorf("format %v", d["format"])
	}
	shape, _ := d["shape"].([]any)
	if len(shape) != 3 || shape[0] != 1.0 || shape[1] != 28.0 || shape[2] != 28.0 {
		t.Errorf("shape %v", d["shape"])
	}
	classes, _ := d["classes"].([]any)
	if len(classes) != 10 || classes[9] != "Ankle boot" {
		t.Errorf("classes %v", d["classes"])
	}
}

func TestDataBadInputExitsTwo(t *testing.T) {
	code, _, errs := call(t, "data", "no-such-dataset")
	if code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	oneErrorLine(t, errs, "no-such-dataset", "sample")

	p := filepath.Join(t.TempDir(), "x.bin")
	os.WriteFile(p, []byte("garbage"), 0o644)
	code, _, errs = call(t, "data", p)
	if code != 2 {
		t.Fatalf("exit %d for an unknown format, want 2", code)
	}
	oneErrorLine(t, errs, "unknown dataset format")

	code, _, errs = call(t, "data", "sample", "--channels", "2")
	if code != 2 {
		t.Fatalf("exit %d for --channels 2", code)
	}
	oneErrorLine(t, errs, "--channels")
}
