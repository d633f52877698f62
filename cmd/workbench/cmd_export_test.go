package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/engine/interop/onnx"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/projects"
)

// refCNNProject saves a ref-cnn project (3x16x16 input, 4 classes) with
// seeded weights.
func refCNNProject(t *testing.T, path string) {
	t.Helper()
	in := []int{3, 16, 16}
	g, err := models.Graph("ref-cnn", in, 4)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Build(g, in, cpu.New(), 5, "default")
	if err != nil {
		t.Fatal(err)
	}
	p := projects.New("ref")
	p.Graph = g
	p.Dataset = projects.DatasetRef{C: 3, H: 16, W: 16, Classes: []string{"a", "b", "c", "d"}}
	ws := map[string]projects.Tensor{}
	for k, v := range m.State() {
		ws[k] = projects.Tensor{Shape: v.Shape, Data: v.Data()}
	}
	p.SetGroup(projects.GroupWeights, ws)
	if err := projects.Save(p, path); err != nil {
		t.Fatal(err)
	}
}

// export --format onnx, import --onnx back, and both projects predict the
// same logits; --format npz writes every weight.
func TestExportONNXImportBackAndNPZ(t *testing.T) {
	dir := t.TempDir()
	proj, model := filepath.Join(dir, "ref.wbproj"), filepath.Join(dir, "ref.onnx")
	refCNNProject(t, proj)
	code, out, errs := call(t, "export", "--project", proj, "--format", "onnx", "--out", model, "--json")
	if code != 0 {
		t.Fatalf("export: exit %d: %s", code, errs)
	}
	if files := lastJSON(t, out)["files"].([]any); len(files) != 1 || files[0] != model {
		t.Fatalf("files %v", files)
	}
	code, _, errs = call(t, "export", "--project", proj, "--format", "onnx", "--out", model)
	if code != 2 {
		t.Fatalf("export over an existing file: exit %d, want 2", code)
	}
	oneErrorLine(t, errs, "exists", "--force")

	back := filepath.Join(dir, "back.wbproj")
	code, out, errs = call(t, "import", "--onnx", model, "--out", back, "--preprocess", "caffe")
	if code != 2 {
		t.Fatalf("import --onnx with caffe preprocessing: exit %d, want 2", code)
	}
	oneErrorLine(t, errs, "caffe", "torch")
	code, out, errs = call(t, "import", "--onnx", model, "--out", back, "--json")
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	done := lastJSON(t, out)
	if done["trainable_params"] != float64(3*9*32+32+32*9*64+64+64*4*4*128+128+128*4+4) || len(done["unsupported"].([]any)) != 0 {
		t.Errorf("import done: %v", done)
	}
	x := make([]float32, 2*3*16*16)
	for i := range x {
		x[i] = float32((i*37)%23)/11 - 1
	}
	batch := filepath.Join(dir, "x.npy")
	if err := writeNPY(batch, npy.FromFloat32([]int{2, 3, 16, 16}, x)); err != nil {
		t.Fatal(err)
	}
	logits := func(p string) []float64 {
		lp := filepath.Join(dir, filepath.Base(p)+".npy")
		if code, _, errs := call(t, "predict", "--project", p, batch, "--logits", lp, "--device", "cpu"); code != 0 {
			t.Fatalf("predict %s: exit %d: %s", p, code, errs)
		}
		v, err := readNPYFile(t, lp).Float64s()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a, b := logits(proj), logits(back)
	for i := range a {
		if d := a[i] - b[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("logit %d: %g after export and import, %g before", i, b[i], a[i])
		}
	}

	npz := filepath.Join(dir, "w.npz")
	if code, _, errs := call(t, "export", "--project", proj, "--format", "npz", "--out", npz); code != 0 {
		t.Fatalf("export npz: exit %d: %s", code, errs)
	}
	zr, err := zip.OpenReader(npz)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if want := "conv1.bias.npy conv1.weight.npy conv2.bias.npy conv2.weight.npy fc1.bias.npy fc1.weight.npy fc2.bias.npy fc2.weight.npy"; strings.Join(names, " ") != want {
		t.Errorf("npz holds %v, want %s", names, want)
	}
	code, _, errs = call(t, "export", "--project", proj, "--format", "tflite", "--out", filepath.Join(dir, "m.tflite"))
	if code != 2 {
		t.Fatalf("unknown format: exit %d, want 2", code)
	}
	oneErrorLine(t, errs, "tflite", "onnx")
}

// Hostile and unsupported ONNX files: exit 2, one line, no project.
func TestImportONNXBadFilesExitTwo(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]struct {
		data []byte
		want string
	}{
		"garbage.onnx": {[]byte("\x08\x07\x12\xff\xff\xff\xff\x0f"), "not an ONNX model"},
		"empty.onnx":   {nil, "no graph"},
	}
	for name, c := range cases {
		path := filepath.Join(dir, name)
		os.WriteFile(path, c.data, 0o644)
		out := filepath.Join(dir, name+".wbproj")
		code, _, errs := call(t, "import", "--onnx", path, "--out", out)
		if code != 2 {
			t.Fatalf("%s: exit %d, want 2 (%s)", name, code, errs)
		}
		oneErrorLine(t, errs, c.want)
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%s: a project was written", name)
		}
	}
	// A model whose classifier is an LSTM: listed, nothing written.
	g, _ := models.Graph("ref-cnn", []int{1, 8, 8}, 2)
	m, _ := nn.Build(g, []int{1, 8, 8}, cpu.New(), 1, "default")
	w := map[string]onnx.Tensor{}
	for k, v := range m.State() {
		w[k] = onnx.Tensor{Shape: v.Shape, Data: v.Data()}
	}
	data, err := onnx.Export(g, []int{1, 8, 8}, w, "test")
	if err != nil {
		t.Fatal(err)
	}
	data = []byte(strings.Replace(string(data), "Gemm", "LSTM", 1))
	path := filepath.Join(dir, "lstm.onnx")
	os.WriteFile(path, data, 0o644)
	code, out, errs := call(t, "import", "--onnx", path, "--out", filepath.Join(dir, "lstm.wbproj"), "--json")
	if code != 2 {
		t.Fatalf("unsupported op: exit %d, want 2 (%s)", code, errs)
	}
	oneErrorLine(t, errs, "LSTM", "nothing was imported")
	if !strings.Contains(out, `"event":"unsupported"`) || !strings.Contains(out, `"LSTM"`) {
		t.Errorf("JSON output %q lacks the unsupported event", out)
	}
}
