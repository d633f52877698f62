package main

import (
	"encoding/binary"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/data/npy"
)

// tinyTFJS writes a TensorFlow.js layers model (4x4 RGB input, 1x1 conv,
// global average pooling, dense softmax over 2 classes) into dir; class
// replaces the conv's Keras class and cut drops bytes from the shard.
func tinyTFJS(t *testing.T, dir, class string, cut int) {
	t.Helper()
	layer := func(name, cls string, cfg map[string]any, in string) map[string]any {
		cfg["name"] = name
		m := map[string]any{"name": name, "class_name": cls, "config": cfg, "inbound_nodes": []any{}}
		if in != "" {
			m["inbound_nodes"] = []any{[]any{[]any{in, 0, 0, map[string]any{}}}}
		}
		return m
	}
	layers := []any{
		layer("input_1", "InputLayer", map[string]any{"batch_input_shape": []any{nil, 4, 4, 3}}, ""),
		layer("conv", class, map[string]any{"filters": 2, "kernel_size": 1, "activation": "relu"}, "input_1"),
		layer("gap", "GlobalAveragePooling2D", map[string]any{}, "conv"),
		layer("fc", "Dense", map[string]any{"units": 2, "activation": "softmax"}, "gap"),
	}
	weights := []any{
		map[string]any{"name": "conv/kernel", "shape": []int{1, 1, 3, 2}, "dtype": "float32"},
		map[string]any{"name": "conv/bias", "shape": []int{2}, "dtype": "float32"},
		map[string]any{"name": "fc/kernel", "shape": []int{2, 2}, "dtype": "float32"},
		map[string]any{"name": "fc/bias", "shape": []int{2}, "dtype": "float32"},
	}
	mj, _ := json.Marshal(map[string]any{"format": "layers-model", "modelTopology": map[string]any{"model_config": map[string]any{
		"class_name": "Model", "config": map[string]any{"name": "tiny", "layers": layers,
			"input_layers": []any{[]any{"input_1", 0, 0}}, "output_layers": []any{[]any{"fc", 0, 0}}}}},
		"weightsManifest": []any{map[string]any{"paths": []string{"shard.bin"}, "weights": weights}}})
	var blob []byte
	for i := range 14 {
		blob = binary.LittleEndian.AppendUint32(blob, math.Float32bits(float32(i%5)-1.5))
	}
	if err := os.WriteFile(filepath.Join(dir, "model.json"), mj, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "shard.bin"), blob[:len(blob)-cut], 0o644); err != nil {
		t.Fatal(err)
	}
	lb, _ := json.Marshal([]string{"left_class", "right_class"})
	if err := os.WriteFile(filepath.Join(dir, "labels.json"), lb, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImportTFJSAndPredict(t *testing.T) {
	dir := t.TempDir()
	model := filepath.Join(dir, "tiny")
	os.Mkdir(model, 0o755)
	tinyTFJS(t, model, "Conv2D", 0)
	proj := filepath.Join(dir, "tiny.wbproj")
	code, out, errs := call(t, "import", "--tfjs", model, "--out", proj, "--json")
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	done := lastJSON(t, out)
	if done["params"] != 14.0 || done["trainable_params"] != 14.0 || done["classes"] != 2.0 || len(done["unsupported"].([]any)) != 0 {
		t.Fatalf("import done: %v", done)
	}
	code, _, errs = call(t, "import", "--tfjs", model, "--out", proj)
	if code != 2 {
		t.Fatalf("import over an existing project: exit %d, want 2", code)
	}
	oneErrorLine(t, errs, "exists", "--force")

	// An image of another size and an .npy batch of two.
	img := image.NewRGBA(image.Rect(0, 0, 7, 5))
	for y := range 5 {
		for x := range 7 {
			img.Set(x, y, color.RGBA{uint8(30 * x), uint8(40 * y), 200, 255})
		}
	}
	pngPath := filepath.Join(dir, "a.png")
	f, _ := os.Create(pngPath)
	png.Encode(f, img)
	f.Close()
	batch := make([]float32, 2*3*4*4)
	for i := range batch {
		batch[i] = float32(i%7) - 3
	}
	npyPath := filepath.Join(dir, "b.npy")
	if err := writeNPY(npyPath, npy.FromFloat32([]int{2, 3, 4, 4}, batch)); err != nil {
		t.Fatal(err)
	}
	logits := filepath.Join(dir, "logits.npy")
	code, out, errs = call(t, "predict", "--project", proj, pngPath, npyPath, "--top", "2", "--logits", logits, "--json")
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errs)
	}
	preds := lastJSON(t, out)["predictions"].([]any)
	if len(preds) != 3 {
		t.Fatalf("%d predictions, want 3", len(preds))
	}
	for _, p := range preds {
		top := p.([]any)
		a, b := top[0].(map[string]any), top[1].(map[string]any)
		if len(top) != 2 || a["prob"].(float64) < b["prob"].(float64) || math.Abs(a["prob"].(float64)+b["prob"].(float64)-1) > 1e-6 {
			t.Errorf("top 2 %v: want two classes, sorted, summing to 1", top)
		}
		if !strings.HasSuffix(a["class"].(string), " class") {
			t.Errorf("class %v: want the labels with spaces for underscores", a["class"])
		}
	}
	if a := readNPYFile(t, logits); len(a.Shape) != 2 || a.Shape[0] != 3 || a.Shape[1] != 2 {
		t.Errorf("logits shape %v, want [3 2]", a.Shape)
	}

	bad := filepath.Join(dir, "bad.npy")
	writeNPY(bad, npy.FromFloat32([]int{1, 3, 5, 4}, make([]float32, 60)))
	code, _, errs = call(t, "predict", "--project", proj, bad)
	if code != 2 {
		t.Fatalf("predict with a wrong .npy shape: exit %d, want 2", code)
	}
	oneErrorLine(t, errs, "(N,3,4,4)")
}

func TestImportTFJSBadFilesExitTwo(t *testing.T) {
	dir := t.TempDir()
	trunc := filepath.Join(dir, "trunc")
	os.Mkdir(trunc, 0o755)
	tinyTFJS(t, trunc, "Conv2D", 3)
	code, _, errs := call(t, "import", "--tfjs", trunc, "--out", filepath.Join(dir, "x.wbproj"))
	if code != 2 {
		t.Fatalf("truncated shard: exit %d, want 2 (%s)", code, errs)
	}
	oneErrorLine(t, errs, "truncated")

	lambda := filepath.Join(dir, "lambda")
	os.Mkdir(lambda, 0o755)
	tinyTFJS(t, lambda, "Lambda", 0)
	code, out, errs := call(t, "import", "--tfjs", lambda, "--out", filepath.Join(dir, "y.wbproj"), "--json")
	if code != 2 {
		t.Fatalf("unsupported layer: exit %d, want 2", code)
	}
	oneErrorLine(t, errs, "Lambda", "nothing was imported")
	if !strings.Contains(out, `"event":"unsupported"`) || !strings.Contains(out, `"Lambda"`) {
		t.Errorf("JSON output %q lacks the unsupported event", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "y.wbproj")); err == nil {
		t.Error("a project was written for an unsupported model")
	}

	code, _, errs = call(t, "import", "--tfjs", filepath.Join(dir, "nowhere"), "--out", filepath.Join(dir, "z.wbproj"))
	if code != 2 {
		t.Fatalf("missing path: exit %d, want 2", code)
	}
	oneErrorLine(t, errs, "nowhere")
}
