package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/projects"
)

// TestFloatFlagsRefuseNaNAndInfinity guards `--label-smoothing NaN`, which
// trained until the loss was NaN and then blamed the learning rate: every
// number flag of every command refuses NaN and ±Inf at parse time, naming
// the flag.
func TestFloatFlagsRefuseNaNAndInfinity(t *testing.T) {
	cases := [][]string{
		{"train", "--label-smoothing", "NaN"},
		{"train", "--lr=-Inf"},
		{"train", "--weight-decay", "+Inf"},
		{"train", "--clip-norm", "nan"},
		{"tsne", "--perplexity", "inf"},
		{"linear", "--reg", "NaN"},
	}
	for _, args := range cases {
		code, out, errs := call(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, code, errs)
			continue
		}
		flagName := strings.SplitN(strings.TrimLeft(args[1], "-"), "=", 2)[0]
		oneErrorLine(t, errs, "--"+flagName, "finite number")
		if out != "" {
			t.Errorf("%v: stdout %q", args, out)
		}
	}
}

// TestDoneTablesShowNoGoMaps guards `eval` and `knn` printing Go maps
// (map[class:Coat ...]) on the terminal: maps of records become tables,
// maps of numbers "k=v" pairs in numeric order, a matrix a grid.
func TestDoneTablesShowNoGoMaps(t *testing.T) {
	var b bytes.Buffer
	writeTable(&b, map[string]any{
		"cv": map[string]any{
			"10": map[string]any{"mean": 0.7, "std": 0.01},
			"3":  map[string]any{"mean": 0.75, "std": 0.02},
		},
		"test_acc_by_k": map[string]any{"10": 0.7, "3": 0.75},
		"confusion":     [][]int{{5, 1}, {0, 6}},
		"misclassified": []map[string]any{{"index": 4, "label": "Coat",
			"top": []map[string]any{{"class": "Shirt", "prob": 0.5}, {"class": "Coat", "prob": 0.25}}}},
	})
	got := b.String()
	if strings.Contains(got, "map[") {
		t.Fatalf("a Go map is printed:\n%s", got)
	}
	for _, want := range []string{
		"test_acc_by_k  3=0.75 10=0.7\n",
		"cv:\n  key  mean  std\n  3    0.75  0.02\n  10   0.7   0.01\n",
		"confusion:\n  0  1\n  5  1\n  0  6\n",
		"class=Shirt prob=0.5, class=Coat prob=0.25",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}

// TestWarningsGoToStderrOrJSONOnce: a warning (GL in software) is one
// stderr line for people, one "warning" event for scripts, once.
func TestWarningsGoToStderrOrJSONOnce(t *testing.T) {
	var out, errb bytes.Buffer
	c := &Ctx{Stdout: &out, Stderr: &errb}
	c.Warnf("slow %s", "device")
	c.Warnf("slow %s", "device")
	if errb.String() != "warning: slow device\n" || out.Len() != 0 {
		t.Fatalf("stderr %q stdout %q", errb.String(), out.String())
	}
	out.Reset()
	c = &Ctx{Stdout: &out, Stderr: &errb, JSON: true}
	c.Warnf("slow device")
	c.Warnf("slow device")
	var m map[string]any
	if strings.Count(out.String(), "\n") != 1 || json.Unmarshal(out.Bytes(), &m) != nil || m["event"] != "warning" || m["message"] != "slow device" {
		t.Fatalf("JSON warning %q", out.String())
	}
}

// TestDataRefusesTwoDifferentDatasets guards `data sample --data X`, which
// described sample and ignored --data.
func TestDataRefusesTwoDifferentDatasets(t *testing.T) {
	code, out, errs := call(t, "data", "sample", "--data", "mnist")
	if code != exitUsage || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	oneErrorLine(t, errs, `"sample"`, `--data "mnist"`)
	code, out, errs = call(t, "data", "--data", "sample", "--limit-train", "50", "--limit-test", "10", "--json")
	if code != 0 || lastJSON(t, out)["train"] != 50.0 {
		t.Fatalf("--data alone: exit %d, %s %s", code, out, errs)
	}
	code, _, errs = call(t, "data", "sample", "--data", "sample", "--limit-train", "50", "--limit-test", "10")
	if code != 0 {
		t.Fatalf("the same dataset twice: exit %d, %s", code, errs)
	}
}

// TestEvalOnImagesOfAnotherShapeBlamesTheData guards eval on data of
// another shape, which said the project's weights did not fit its
// architecture.
func TestEvalOnImagesOfAnotherShapeBlamesTheData(t *testing.T) {
	dir := t.TempDir()
	proj := filepath.Join(dir, "m.wbproj")
	code, _, errs := call(t, "train", "--data", "sample", "--limit-train", "100", "--limit-test", "20", "--epochs", "1",
		"--device", "cpu", "--save", proj)
	if code != 0 {
		t.Fatalf("train: exit %d: %s", code, errs)
	}
	other := writeImageFolder(t, filepath.Join(dir, "rgb"), 3, 32, 4)
	code, out, errs := call(t, "eval", "--project", proj, "--data", other, "--device", "cpu")
	if code != exitUsage || out != "" {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errs)
	}
	oneErrorLine(t, errs, "3x32x32", "expects 1x28x28", "--size 28 --channels 1")
	if strings.Contains(errs, "weights") {
		t.Fatalf("the weights are blamed: %q", errs)
	}
	// A project that records no dataset (an imported model): the shape
	// its graph was made for.
	p, err := projects.Open(proj)
	if err != nil {
		t.Fatal(err)
	}
	p.Dataset.C, p.Dataset.H, p.Dataset.W = 0, 0, 0
	bare := filepath.Join(dir, "bare.wbproj")
	if err := projects.Save(p, bare); err != nil {
		t.Fatal(err)
	}
	code, _, errs = call(t, "eval", "--project", bare, "--data", other, "--device", "cpu")
	if code != exitUsage {
		t.Fatalf("bare project: exit %d, %q", code, errs)
	}
	oneErrorLine(t, errs, "3x32x32", "expects 1x28x28")
}

// writeImageFolder writes a dataset folder of random PNGs, c channels of
// size x size, n per class and split, with train/ and test/ (so that no
// split is held out with a note), and returns its path.
func writeImageFolder(t *testing.T, dir string, c, size, n int) string {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, split := range []string{"train", "test"} {
		for _, class := range []string{"a", "b"} {
			d := filepath.Join(dir, split, class)
			if err := os.MkdirAll(d, 0o755); err != nil {
				t.Fatal(err)
			}
			for i := range n {
				var img image.Image
				if c == 1 {
					g := image.NewGray(image.Rect(0, 0, size, size))
					for j := range g.Pix {
						g.Pix[j] = uint8(rng.IntN(256))
					}
					img = g
				} else {
					g := image.NewNRGBA(image.Rect(0, 0, size, size))
					for j := range g.Pix {
						g.Pix[j] = uint8(rng.IntN(256))
					}
					for j := 3; j < len(g.Pix); j += 4 {
						g.Pix[j] = 255
					}
					img = g
				}
				var b bytes.Buffer
				if err := png.Encode(&b, img); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(d, fmt.Sprintf("%d.png", i)), b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return dir
}

// TestOutputFilesAreReplacedOnlyByTheirKind guards `tsne --out`, `--png`
// and `predict --logits`, which truncated whatever file they were given (a
// project, a dataset) and left it half-written when the write failed.
func TestOutputFilesAreReplacedOnlyByTheirKind(t *testing.T) {
	dir := t.TempDir()
	proj := filepath.Join(dir, "p.wbproj")
	if err := projects.Save(projects.New("p"), proj); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(proj)
	write := func(w io.Writer) error { _, err := io.WriteString(w, "x,y\n1,2\n"); return err }
	err := writeOutput(proj, "out", outputCSV, false, write)
	if !isUsageError(err) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("writing a CSV over a project = %v", err)
	}
	if after, _ := os.ReadFile(proj); !bytes.Equal(before, after) {
		t.Fatal("the project changed")
	}
	csv := filepath.Join(dir, "e.csv")
	for range 2 { // an earlier CSV is replaced without --force
		if err := writeOutput(csv, "out", outputCSV, false, write); err != nil {
			t.Fatal(err)
		}
	}
	// A failed write leaves the previous file and no temporary file.
	err = writeOutput(csv, "out", outputCSV, false, func(w io.Writer) error {
		io.WriteString(w, "half")
		return errors.New("disk full")
	})
	if err == nil {
		t.Fatal("a failed write succeeded")
	}
	if got, _ := os.ReadFile(csv); string(got) != "x,y\n1,2\n" {
		t.Fatalf("after a failed write the file holds %q", got)
	}
	if err := writeOutput(filepath.Join(dir, "img.png"), "png", outputPNG, false, write); err != nil {
		t.Fatal(err)
	}
	if err := writeOutput(filepath.Join(dir, "img.png"), "png", outputPNG, false, write); !isUsageError(err) {
		t.Fatalf("a non-PNG file was replaced as a PNG: %v", err)
	}
	if err := writeOutput(proj, "out", outputCSV, true, write); err != nil {
		t.Fatalf("--force: %v", err)
	}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary file %s left", e.Name())
		}
	}
	if err := writeOutput(filepath.Join(dir, "nodir", "x.csv"), "out", outputCSV, false, write); !isUsageError(err) {
		t.Fatalf("missing folder: %v", err)
	}
}

func init() {
	register(Command{
		Name:    "frametest-note",
		Summary: "a command that leaves a note and then fails or succeeds",
		Flags:   func(fs *flag.FlagSet) { fs.Bool("fail", false, "fail after the note") },
		Run: func(c *Ctx) error {
			c.Notef("OpenGL renders in software here; using the CPU")
			if flagStr(c, "fail") == "true" {
				return usageErrorf("the batch does not fit")
			}
			c.Done(map[string]any{"ok": 1})
			return nil
		},
	})
}

// TestNotesShowOnlyIfTheCommandGoesOn guards two-line failures on machines
// without a GPU ("OpenGL renders in software here; using the CPU" before
// every error): a note is shown before the command's output, and dropped
// when the command fails first.
func TestNotesShowOnlyIfTheCommandGoesOn(t *testing.T) {
	code, _, errs := call(t, "frametest-note", "--fail")
	if code != exitUsage {
		t.Fatalf("exit %d", code)
	}
	oneErrorLine(t, errs, "the batch does not fit")
	code, out, errs := call(t, "frametest-note")
	if code != 0 || errs != "OpenGL renders in software here; using the CPU\n" || !strings.Contains(out, "ok") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, _, errs := call(t, "frametest-note", "--json"); code != 0 || errs != "" {
		t.Fatalf("--json: exit %d, stderr %q", code, errs)
	}
}
