package torchref

import (
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunReturnsOutputsGradientsAndExtras(t *testing.T) {
	x := []float32{1, -2, 3, 0.5, 4, -1}
	cases := []Case{
		{Name: "square", Code: "out = x * x\nextra['total'] = out.sum()",
			Inputs: []Input{{Name: "x", Shape: []int{2, 3}, Data: x, Grad: true}}},
		{Name: "loss", Code: "out = w * 3\nloss = (out ** 2).sum()",
			Inputs: []Input{{Name: "w", Shape: []int{2}, Data: []float32{1, 2}, Grad: true}}},
		{Name: "broken", Code: "out = undefined_name",
			Inputs: []Input{{Name: "x", Shape: []int{1}, Data: []float32{1}}}},
	}
	res, errs, err := run(cases)
	if u := (errUnavailable{}); errors.As(err, &u) {
		missing(t, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := res["square"]
	if r == nil {
		t.Fatalf("no result for square (errors %v)", errs)
	}
	gy := Upstream(6)
	for i, v := range x {
		if want := float64(v) * float64(v); r.Out.Data[i] != want {
			t.Errorf("out[%d] = %v, want %v", i, r.Out.Data[i], want)
		}
		// d/dx sum(x²·gy) = 2x·gy; gy is float64 in Python, float32 here.
		if want := 2 * float64(v) * float64(gy[i]); math.Abs(r.Grad["x"].Data[i]-want) > 1e-6 {
			t.Errorf("grad[%d] = %v, want %v", i, r.Grad["x"].Data[i], want)
		}
	}
	if fmt.Sprint(r.Out.Shape) != "[2 3]" || r.Extra["total"].Data[0] != 31.25 {
		t.Errorf("shape %v, extra %v", r.Out.Shape, r.Extra)
	}
	// loss = Σ 9w², dloss/dw = 18w.
	if g := res["loss"].Grad["w"].Data; g[0] != 18 || g[1] != 36 {
		t.Errorf("gradient of an explicit loss = %v, want [18 36]", g)
	}
	if !strings.Contains(errs["broken"], "NameError") {
		t.Errorf("a raising case should report its traceback, got %q", errs["broken"])
	}
}

func TestRunRejectsMismatchedInputs(t *testing.T) {
	_, _, err := run([]Case{{Name: "a", Code: "out = x", Inputs: []Input{{Name: "x", Shape: []int{2, 2}, Data: []float32{1}}}}})
	if err == nil || !strings.Contains(err.Error(), "1 values for shape [2 2]") {
		t.Fatalf("got %v", err)
	}
}

type recorder struct {
	testing.TB
	msgs           []string
	skipped, fatal bool
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.fatal = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// A missing torch skips, except in CI where it fails; both for a missing
// interpreter and for one whose `import torch` fails.
func TestMissingTorchSkipsOrFailsInCI(t *testing.T) {
	python := Python()
	fake := t.TempDir()
	if err := os.WriteFile(filepath.Join(fake, "torch.py"), []byte("raise ImportError('no torch in this test')\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []Case{{Name: "c", Code: "out = x", Inputs: []Input{{Name: "x", Shape: []int{1}, Data: []float32{1}}}}}
	for _, env := range []struct{ name, python, pythonpath, want string }{
		{"no interpreter", filepath.Join(fake, "no-such-python"), "", "no-such-python"},
		{"no torch module", python, fake, "no torch in this test"},
	} {
		t.Run(env.name, func(t *testing.T) {
			if env.pythonpath != "" {
				if _, err := exec.LookPath(python); err != nil {
					t.Skipf("no %s to run", python)
				}
			}
			t.Setenv("WORKBENCH_PYTHON", env.python)
			t.Setenv("PYTHONPATH", env.pythonpath)
			for _, ci := range []string{"", "true"} {
				t.Setenv("CI", ci)
				rec := &recorder{TB: t}
				Run(rec, cases)
				msg := strings.Join(rec.msgs, "; ")
				if ci == "true" && (!rec.fatal || !strings.Contains(msg, "required in CI")) ||
					ci == "" && (!rec.skipped || rec.fatal) || !strings.Contains(msg, env.want) {
					t.Errorf("CI=%q: skipped %v, fatal %v, messages %q", ci, rec.skipped, rec.fatal, msg)
				}
			}
		})
	}
}

func TestCompareReportsTheWorstElement(t *testing.T) {
	want := Array{Shape: []int{2, 2}, Data: []float64{1, 2, 3, 4}}
	rec := &recorder{TB: t}
	if !Compare(rec, "ok", []float32{1, 2.0001, 3, 4}, []int{2, 2}, want, Forward) || len(rec.msgs) != 0 {
		t.Fatalf("within tolerance but reported: %v", rec.msgs)
	}
	if Compare(rec, "bad", []float32{1, 2, 3.01, 4.1}, []int{2, 2}, want, Forward) {
		t.Fatal("a 2.5% error passed")
	}
	if len(rec.msgs) != 1 || !strings.Contains(rec.msgs[0], "2 of 4") || !strings.Contains(rec.msgs[0], "[1,1]") {
		t.Fatalf("message %v", rec.msgs)
	}
	if Compare(rec, "nan", []float32{1, float32(math.NaN()), 3, 4}, []int{2, 2}, want, Forward) {
		t.Fatal("NaN passed")
	}
	if Compare(rec, "shape", []float32{1, 2, 3}, []int{3}, want, Forward) {
		t.Fatal("a shape mismatch passed")
	}
}
