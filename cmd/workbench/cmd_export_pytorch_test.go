package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// export --format pytorch writes model.py and weights.npz; with a dataset
// it adds the torchrun training files; an existing folder needs --force.
func TestExportPyTorchWritesModelAndTraining(t *testing.T) {
	dir := t.TempDir()
	proj := filepath.Join(dir, "ref.wbproj")
	refCNNProject(t, proj)
	out := filepath.Join(dir, "torch")
	code, _, errs := call(t, "export", "--project", proj, "--format", "pytorch", "--out", out)
	if code != 0 {
		t.Fatalf("export pytorch: exit %d: %s", code, errs)
	}
	src, err := os.ReadFile(filepath.Join(out, "model.py"))
	if err != nil || !strings.Contains(string(src), "class Net(nn.Module)") {
		t.Fatalf("model.py: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "train.py")); err == nil {
		t.Fatal("train.py written for a project with no dataset")
	}
	if code, _, _ := call(t, "export", "--project", proj, "--format", "pytorch", "--out", out); code != 2 {
		t.Fatalf("export over an existing folder: exit %d, want 2", code)
	}
	sample := filepath.Join(dir, "sample.wbproj")
	if code, _, errs := call(t, "train", "--data", "sample", "--limit-train", "100", "--limit-test", "50", "--epochs", "1", "--save", sample); code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	code, _, errs = call(t, "export", "--project", sample, "--format", "pytorch", "--out", out, "--force")
	if code != 0 {
		t.Fatalf("export pytorch with the project's dataset: exit %d: %s", code, errs)
	}
	for _, f := range []string{"model.py", "weights.npz", "train.py", "train.json", "data.npz"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}
