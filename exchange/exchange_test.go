package exchange

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/engine/interop/tfjs"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
	"github.com/workbench-cv/workbench/projects"
)

// sampleModel is the sample project's network with initialised weights.
func sampleModel(t *testing.T) Model {
	t.Helper()
	p, err := projects.Sample()
	if err != nil {
		t.Fatal(err)
	}
	in := []int{p.Dataset.C, p.Dataset.H, p.Dataset.W}
	b, _, err := backend.Choose("cpu")
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Build(p.Graph, in, b, 7, nn.Init("default"))
	if err != nil {
		t.Fatal(err)
	}
	ws := map[string]tensor.Host{}
	for k, v := range m.State() {
		ws[k] = tensor.Host{Shape: slices.Clone(v.Shape), Data: v.Data()}
	}
	return Model{Graph: p.Graph, Input: in, Weights: ws, Producer: "exchange test"}
}

func TestKindOfNamesTheImporterOrSaysWhatItTakes(t *testing.T) {
	dir := t.TempDir()
	for name, want := range map[string]Kind{"m.onnx": ONNX, "model.json": TFJS, "pkg.tgz": TFJS, "pkg.tar.gz": TFJS, "M.ONNX": ONNX} {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("x"), 0o644)
		if k, err := KindOf(p); err != nil || k != want {
			t.Errorf("KindOf(%s) = %q, %v; want %q", name, k, err, want)
		}
	}
	if k, err := KindOf(dir); err != nil || k != TFJS {
		t.Errorf("a folder: %q, %v", k, err)
	}
	os.WriteFile(filepath.Join(dir, "photo.jpg"), []byte("x"), 0o644)
	_, err := KindOf(filepath.Join(dir, "photo.jpg"))
	if !errors.Is(err, ErrInput) || !strings.Contains(err.Error(), ".onnx") {
		t.Errorf("a photo: %v", err)
	}
	if _, err := KindOf(filepath.Join(dir, "missing.onnx")); !errors.Is(err, ErrInput) {
		t.Errorf("a missing file: %v", err)
	}
}

func TestONNXWrittenHereReadsBackWithTheSameGraphAndWeights(t *testing.T) {
	m := sampleModel(t)
	out := filepath.Join(t.TempDir(), "sample.onnx")
	files, err := Write("onnx", m, out)
	if err != nil || len(files) != 1 || files[0] != out {
		t.Fatalf("Write: %v %v", files, err)
	}
	got, err := Read(out, tfjs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Format != "onnx" || !slices.Equal(got.Input, m.Input) {
		t.Fatalf("read back format %q input %v", got.Format, got.Input)
	}
	a, b := nn.Analyze(m.Graph, m.Input), nn.Analyze(got.Graph, got.Input)
	if a.Params != b.Params || a.Params == 0 {
		t.Fatalf("params %d, read back %d", a.Params, b.Params)
	}
	var sum, back float64
	for _, w := range m.Weights {
		for _, v := range w.Data {
			sum += float64(v)
		}
	}
	for _, w := range got.Weights {
		for _, v := range w.Data {
			back += float64(v)
		}
	}
	if d := sum - back; d > 1e-3 || d < -1e-3 {
		t.Fatalf("weight sums %g and %g", sum, back)
	}
}

func TestNPZAndPyTorchExportsHoldEveryTensor(t *testing.T) {
	m := sampleModel(t)
	dir := t.TempDir()
	if _, err := Write("npz", m, filepath.Join(dir, "w.npz")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "w.npz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	arrays, err := npy.ReadNPZ(f, st.Size())
	if err != nil || len(arrays) != len(m.Weights) {
		t.Fatalf("npz holds %d arrays (%v), want %d", len(arrays), err, len(m.Weights))
	}
	files, err := Write("pytorch", m, filepath.Join(dir, "torch"))
	if err != nil || len(files) != 2 {
		t.Fatalf("pytorch: %v %v", files, err)
	}
	src, _ := os.ReadFile(filepath.Join(dir, "torch", "model.py"))
	if !strings.Contains(string(src), "nn.Module") {
		t.Fatalf("model.py has no nn.Module:\n%s", src)
	}
	if _, err := Write("keras", m, filepath.Join(dir, "k")); !errors.Is(err, ErrInput) {
		t.Fatalf("an unknown format: %v", err)
	}
}

func TestAnUnsupportedONNXOpLoadsNothingAndIsNamed(t *testing.T) {
	m := sampleModel(t)
	out := filepath.Join(t.TempDir(), "m.onnx")
	if _, err := WriteONNX(m, out); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	bad := []byte(strings.Replace(string(data), "Relu", "Relx", 1))
	os.WriteFile(out, bad, 0o644)
	got, err := Read(out, tfjs.Options{})
	var uns *interop.UnsupportedError
	if got != nil || !errors.As(err, &uns) || !slices.Contains(uns.Ops, "Relx") {
		t.Fatalf("got %v, %v", got, err)
	}
}
