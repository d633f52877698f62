package main

import (
	"encoding/csv"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/data/npy"
)

// TestVizAndTSNEOnATrainedProject trains ref-cnn on 300 sample images
// for one epoch and inspects it.
func TestVizAndTSNEOnATrainedProject(t *testing.T) {
	proj := filepath.Join(t.TempDir(), "m.wbproj")
	code, _, errs := call(t, "train", "--data", "sample", "--limit-train", "350", "--val", "50", "--limit-test", "100", "--model", "ref-cnn",
		"--epochs", "1", "--batch", "30", "--threads", "2", "--device", "cpu", "--json", "--save", proj)
	if code != 0 {
		t.Fatalf("training the test project: exit %d: %s", code, errs)
	}
	t.Run("viz", func(t *testing.T) { testViz(t, proj) })
	t.Run("tsne", func(t *testing.T) { testTSNE(t, proj) })
	t.Run("bad input", func(t *testing.T) { testVizAndTSNEBadInput(t, proj) })
}

// pngFiles checks the done event's files are readable PNGs in dir and
// returns their names.
func pngFiles(t *testing.T, done map[string]any, dir string) map[string][2]int {
	t.Helper()
	files, ok := done["files"].([]any)
	if !ok || len(files) == 0 {
		t.Fatalf("done has no files: %v", done)
	}
	out := map[string][2]int{}
	for _, f := range files {
		p := f.(string)
		if filepath.Dir(p) != dir {
			t.Errorf("%s is not in %s", p, dir)
		}
		fh, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(fh)
		fh.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		out[filepath.Base(p)] = [2]int{img.Bounds().Dx(), img.Bounds().Dy()}
	}
	return out
}

func testViz(t *testing.T, proj string) {
	dir := t.TempDir()
	viz := func(args ...string) map[string][2]int {
		t.Helper()
		code, out, errs := call(t, append([]string{"viz"}, append(args, "--project", proj, "--out", dir, "--json", "--threads", "2", "--device", "cpu")...)...)
		if code != 0 {
			t.Fatalf("viz %v: exit %d: %s", args, code, errs)
		}
		return pngFiles(t, lastJSON(t, out), dir)
	}
	f := viz("filters")
	// conv1: 32 grey 3x3 filters, 6 columns of 12-pixel tiles; conv2: 64
	// rows of 32 input channels.
	if s := f["filters-conv1.png"]; s != [2]int{6*12 + 7, 6*12 + 7} {
		t.Errorf("filters-conv1.png is %v", s)
	}
	if s := f["filters-conv2.png"]; s != [2]int{32*12 + 33, 64*12 + 65} {
		t.Errorf("filters-conv2.png is %v", s)
	}
	f = viz("filters", "--layer", "conv1", "--checkpoints")
	if len(f) != 3 { // the current weights and the run's best and last checkpoints
		t.Errorf("filters with checkpoints: %v", f)
	}
	f = viz("activations", "--image", "3", "--norm", "channel")
	if len(f) != 11 { // the image and 10 layers
		t.Errorf("activations wrote %d files: %v", len(f), f)
	}
	if s := f["activations-3-01-conv1.png"]; s != [2]int{6*28 + 7, 6*28 + 7} {
		t.Errorf("conv1 activation grid %v", s)
	}
	code, out, errs := call(t, "viz", "patches", "--project", proj, "--out", dir, "--layer", "conv2", "--channel", "7", "--top", "4", "--json", "--device", "cpu")
	if code != 0 {
		t.Fatalf("patches: %s", errs)
	}
	d := lastJSON(t, out)
	f = pngFiles(t, d, dir)
	// conv2's receptive field is 8 pixels: 4 patches of 8 pixels, scaled 6x.
	if s := f["patches-conv2-7.png"]; s != [2]int{2*48 + 3, 2*48 + 3} {
		t.Errorf("patch grid %v", s)
	}
	rf := d["receptive_field"].(map[string]any)
	if rf["size"] != 8.0 || rf["jump"] != 2.0 || rf["offset"] != -3.0 {
		t.Errorf("receptive field %v", rf)
	}
	for _, p := range d["patches"].([]any) {
		box := p.(map[string]any)["box"].([]any)
		x, y := p.(map[string]any)["x"].(float64), p.(map[string]any)["y"].(float64)
		// The exact box is the nominal window clipped to the image.
		if box[0] != max(0, -3+2*x) || box[1] != max(0, -3+2*y) || box[2] != min(28, 5+2*x) || box[3] != min(28, 5+2*y) {
			t.Errorf("patch at (%v,%v): box %v", y, x, box)
		}
	}
	code, out, errs = call(t, "viz", "neighbors", "--project", proj, "--out", dir, "--queries", "3", "--k", "4", "--json", "--device", "cpu")
	if code != 0 {
		t.Fatalf("neighbors: %s", errs)
	}
	d = lastJSON(t, out)
	f = pngFiles(t, d, dir)
	if s := f["neighbors-relu3.png"]; s != [2]int{11*28 + 12, 3*28 + 4} {
		t.Errorf("neighbour grid %v", s)
	}
	if d["same_class_feature"].(float64) < d["same_class_pixel"].(float64)-0.25 {
		t.Errorf("feature neighbours agree with the query's class less than pixel ones: %v vs %v", d["same_class_feature"], d["same_class_pixel"])
	}
}

func testTSNE(t *testing.T, proj string) {
	dir := t.TempDir()
	csvPath, pngPath := filepath.Join(dir, "t.csv"), filepath.Join(dir, "t.png")
	code, out, errs := call(t, "tsne", "--project", proj, "--layer", "relu3", "--limit", "80", "--perplexity", "10", "--iterations", "300",
		"--out", csvPath, "--png", pngPath, "--png-size", "200", "--json", "--device", "cpu", "--threads", "2")
	if code != 0 {
		t.Fatalf("tsne: exit %d: %s", code, errs)
	}
	d := lastJSON(t, out)
	if d["points"] != 80.0 || !(d["kl"].(float64) > 0) || !(d["seconds"].(float64) > 0) || d["method"] != "exact" || d["dims"] != 128.0 {
		t.Errorf("done %v", d)
	}
	if acc := d["knn10"].(float64); acc < 0.3 {
		t.Errorf("10-NN accuracy in the embedding %v", acc)
	}
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(rows) != 81 || strings.Join(rows[0], ",") != "index,x,y,label,class" {
		t.Fatalf("CSV: %d rows, header %v (%v)", len(rows), rows[0], err)
	}
	if fi, err := os.Stat(pngPath); err != nil || fi.Size() < 200 {
		t.Errorf("PNG %v", err)
	}
	// The same seed gives the same layout; features from a file work too.
	code, out2, _ := call(t, "tsne", "--project", proj, "--layer", "relu3", "--limit", "80", "--perplexity", "10", "--iterations", "300", "--json", "--device", "cpu", "--threads", "1")
	if code != 0 || lastJSON(t, out2)["kl"] != d["kl"] {
		t.Errorf("a second run on 1 thread gave KL %v, first %v", lastJSON(t, out2)["kl"], d["kl"])
	}
	x := make([]float32, 1200*3)
	labels := make([]int64, 1200)
	for i := range 1200 {
		labels[i] = int64(i % 3)
		x[i*3+int(labels[i])] = 10
		x[i*3] += float32(i%17) * 0.01
		x[i*3+1] += float32(i%13) * 0.01
	}
	fx, fl := filepath.Join(dir, "f.npy"), filepath.Join(dir, "l.npy")
	for p, a := range map[string]*npy.Array{fx: npy.FromFloat32([]int{1200, 3}, x), fl: npy.FromInt64([]int{1200}, labels)} {
		fh, _ := os.Create(p)
		npy.Write(fh, a)
		fh.Close()
	}
	code, out, errs = call(t, "tsne", "--features", fx, "--labels", fl, "--iterations", "300", "--limit", "1100", "--json")
	if code != 0 {
		t.Fatalf("tsne --features: %s", errs)
	}
	d = lastJSON(t, out)
	if d["points"] != 1100.0 || d["method"] != "barnes-hut" || d["knn10"] != 1.0 {
		t.Errorf("done %v", d)
	}
}

func testVizAndTSNEBadInput(t *testing.T, proj string) {
	dir := t.TempDir()
	notNPY := filepath.Join(dir, "x.npy")
	os.WriteFile(notNPY, []byte("hello"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"viz"}, "KIND"},
		{[]string{"viz", "nosuchkind", "--project", proj, "--out", dir}, "unknown viz kind"},
		{[]string{"viz", "filters", "--out", dir}, "--project"},
		{[]string{"viz", "filters", "--project", proj}, "--out"},
		{[]string{"viz", "filters", "--project", filepath.Join(dir, "none.wbproj"), "--out", dir}, "none.wbproj"},
		{[]string{"viz", "filters", "--project", proj, "--out", dir, "--layer", "fc1"}, "not a convolution"},
		{[]string{"viz", "activations", "--project", proj, "--out", dir, "--image", "5000"}, "--image"},
		{[]string{"viz", "patches", "--project", proj, "--out", dir, "--layer", "nope"}, "nope"},
		{[]string{"viz", "patches", "--project", proj, "--out", dir, "--layer", "conv1", "--channel", "99"}, "--channel"},
		{[]string{"tsne"}, "--features"},
		{[]string{"tsne", "--project", proj}, "--layer"},
		{[]string{"tsne", "--project", proj, "--layer", "nope"}, "nope"},
		{[]string{"tsne", "--features", notNPY}, "x.npy"},
		{[]string{"tsne", "--features", filepath.Join(dir, "missing.npy")}, "missing.npy"},
		{[]string{"tsne", "--project", proj, "--layer", "relu3", "--perplexity", "0"}, "--perplexity"},
		{[]string{"tsne", "--project", proj, "--layer", "relu3", "--limit", "20", "--perplexity", "30"}, "perplexity"},
		{[]string{"tsne", "--project", proj, "--layer", "relu3", "--method", "fft", "--limit", "50", "--perplexity", "5"}, "fft"},
	} {
		code, _, errs := call(t, append(c.args, "--device", "cpu")...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", c.args, code, errs)
			continue
		}
		oneErrorLine(t, errs, c.want)
	}
}
