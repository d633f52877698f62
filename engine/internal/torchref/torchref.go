package torchref

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

//go:embed ref.py
var refScript []byte

// Input is a named tensor handed to a case's Python code. Names that are
// Python identifiers become variables; every input is also in the dict T.
type Input struct {
	Name  string
	Shape []int
	Data  []float32
	// Grad asks for the gradient with respect to this input.
	Grad bool
}

// Case is one reference computation.
type Case struct {
	Name   string
	Inputs []Input
	// Code is Python run with torch, F (torch.nn.functional), math, np and
	// the inputs in scope. It must assign the tensor `out`; it may assign a
	// scalar `loss` to differentiate instead of sum(out*gy), and store more
	// tensors in the dict `extra`.
	Code string
	// Float32 runs the reference in float32 instead of float64.
	Float32 bool
}

// Array is a reference tensor.
type Array struct {
	Shape []int
	Data  []float64
}

// Result is what PyTorch computed for one case.
type Result struct {
	Out Array
	// Grad holds the gradient for each input that set Grad.
	Grad map[string]Array
	// Extra holds what the code stored in `extra`.
	Extra map[string]Array
}

// Python is the interpreter that has torch: $WORKBENCH_PYTHON, else
// Debian's /usr/bin/python3.
func Python() string {
	if p := os.Getenv("WORKBENCH_PYTHON"); p != "" {
		return p
	}
	return "/usr/bin/python3"
}

var (
	probeOnce sync.Once
	probeErr  error
	version   string
)

// Available reports whether Python with torch can be run, and torch's
// version. It starts a Python process of its own; Run does not need it.
func Available() (string, error) {
	probeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, Python(), "-c", "import torch, numpy; print(torch.__version__)").CombinedOutput()
		if err != nil {
			why := err.Error()
			if l := lastLine(string(out)); l != "" {
				why = l
			}
			probeErr = errUnavailable{why}
			return
		}
		version = strings.TrimSpace(string(out))
	})
	return version, probeErr
}

// Require skips the test when torch is missing, or fails it when CI=true.
// Run does the same without a separate probe.
func Require(t testing.TB) {
	t.Helper()
	if _, err := Available(); err != nil {
		missing(t, err)
	}
}

func missing(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("python3-torch is required in CI: %v", err)
	}
	t.Skipf("PyTorch parity skipped: %v", err)
}

// errUnavailable marks a run that could not start Python or import torch.
type errUnavailable struct{ why string }

func (e errUnavailable) Error() string {
	return fmt.Sprintf("%s cannot import torch and numpy (%s); install python3-torch or set WORKBENCH_PYTHON", Python(), e.why)
}

// Run computes every case in one Python process (the only one: torch's
// import is the slow part, so a package should make one call) and returns
// the results by case name. It skips the test when torch is missing, or
// fails it when CI=true, and fails it when the process fails. A case
// whose code raised is missing from the map and its traceback is reported
// with t.Errorf.
func Run(t testing.TB, cases []Case) map[string]*Result {
	t.Helper()
	res, errs, err := run(cases)
	var u errUnavailable
	if errors.As(err, &u) {
		missing(t, err)
		return nil // reached only with a testing.TB whose Skip returns
	}
	if err != nil {
		t.Fatalf("torchref: %v", err)
	}
	for name, e := range errs {
		t.Errorf("torchref: case %s raised in Python:\n%s", name, e)
	}
	return res
}

type jsonInput struct {
	Name   string `json:"name"`
	Shape  []int  `json:"shape"`
	Offset int    `json:"offset"`
	Len    int    `json:"len"`
	Grad   bool   `json:"grad"`
}

type jsonCase struct {
	Name    string      `json:"name"`
	Code    string      `json:"code"`
	Float32 bool        `json:"float32,omitempty"`
	Inputs  []jsonInput `json:"inputs"`
}

type jsonArray struct {
	Shape  []int `json:"shape"`
	Offset int   `json:"offset"`
	Len    int   `json:"len"`
}

type jsonResult struct {
	Name   string               `json:"name"`
	Error  string               `json:"error"`
	Arrays map[string]jsonArray `json:"arrays"`
}

func run(cases []Case) (map[string]*Result, map[string]string, error) {
	dir, err := os.MkdirTemp("", "torchref")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)

	var spec struct {
		Cases []jsonCase `json:"cases"`
	}
	var raw bytes.Buffer
	off := 0
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.Name] {
			return nil, nil, fmt.Errorf("two cases are named %q", c.Name)
		}
		seen[c.Name] = true
		jc := jsonCase{Name: c.Name, Code: c.Code, Float32: c.Float32}
		for _, in := range c.Inputs {
			if n := numel(in.Shape); n != len(in.Data) {
				return nil, nil, fmt.Errorf("case %s: input %s has %d values for shape %v (%d)", c.Name, in.Name, len(in.Data), in.Shape, n)
			}
			shape := in.Shape
			if shape == nil {
				shape = []int{}
			}
			jc.Inputs = append(jc.Inputs, jsonInput{Name: in.Name, Shape: shape, Offset: off, Len: len(in.Data), Grad: in.Grad})
			if err := binary.Write(&raw, binary.LittleEndian, in.Data); err != nil {
				return nil, nil, err
			}
			off += len(in.Data)
		}
		spec.Cases = append(spec.Cases, jc)
	}
	js, err := json.Marshal(spec)
	if err != nil {
		return nil, nil, err
	}
	for name, data := range map[string][]byte{"cases.json": js, "inputs.bin": raw.Bytes(), "ref.py": refScript} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return nil, nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Python(), filepath.Join(dir, "ref.py"), dir)
	// One thread: the reference cases are tiny and the machine is shared.
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		var exit *exec.ExitError
		switch {
		case errors.As(err, &exit) && exit.ExitCode() == 3 && strings.Contains(string(out), "TORCHREF-UNAVAILABLE"):
			return nil, nil, errUnavailable{strings.TrimPrefix(lastLine(string(out)), "TORCHREF-UNAVAILABLE: ")}
		case !errors.As(err, &exit):
			return nil, nil, errUnavailable{err.Error()} // no interpreter
		}
		return nil, nil, fmt.Errorf("%s ref.py failed: %v\n%s", Python(), err, out)
	}

	var rs struct {
		Cases []jsonResult `json:"cases"`
	}
	js, err = os.ReadFile(filepath.Join(dir, "results.json"))
	if err != nil {
		return nil, nil, err
	}
	if err := json.Unmarshal(js, &rs); err != nil {
		return nil, nil, fmt.Errorf("results.json: %v", err)
	}
	bin, err := os.ReadFile(filepath.Join(dir, "outputs.bin"))
	if err != nil {
		return nil, nil, err
	}
	vals := make([]float64, len(bin)/8)
	for i := range vals {
		vals[i] = math.Float64frombits(binary.LittleEndian.Uint64(bin[8*i:]))
	}
	results := map[string]*Result{}
	errs := map[string]string{}
	for _, jr := range rs.Cases {
		if jr.Error != "" {
			errs[jr.Name] = jr.Error
			continue
		}
		r := &Result{Grad: map[string]Array{}, Extra: map[string]Array{}}
		for key, a := range jr.Arrays {
			if a.Offset < 0 || a.Offset+a.Len > len(vals) {
				return nil, nil, fmt.Errorf("case %s: array %s lies outside outputs.bin", jr.Name, key)
			}
			arr := Array{Shape: a.Shape, Data: vals[a.Offset : a.Offset+a.Len]}
			switch {
			case key == "out":
				r.Out = arr
			case strings.HasPrefix(key, "grad."):
				r.Grad[key[5:]] = arr
			case strings.HasPrefix(key, "extra."):
				r.Extra[key[6:]] = arr
			}
		}
		results[jr.Name] = r
	}
	return results, errs, nil
}

// Upstream is the output gradient the reference uses: cos(1.3*i + 0.5)
// over the n elements.
func Upstream(n int) []float32 {
	g := make([]float32, n)
	for i := range g {
		g[i] = float32(math.Cos(1.3*float64(i) + 0.5))
	}
	return g
}

// Normal returns n seeded standard-normal values times scale.
func Normal(seed uint64, n int, scale float64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x70c4))
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * scale)
	}
	return v
}

// Tol is an elementwise tolerance: |got - want| <= Atol + Rtol*|want|.
type Tol struct{ Atol, Rtol float64 }

// The tolerances of ../shared/DESIGN.md for float32 against PyTorch.
var (
	Forward  = Tol{Atol: 1e-5, Rtol: 1e-4}
	Gradient = Tol{Atol: 1e-4, Rtol: 1e-3}
)

// Compare checks got (with its shape) against want and reports, through
// t.Errorf, a shape mismatch or the number of elements outside tol with the
// worst one. It returns whether everything matched.
func Compare(t testing.TB, what string, got []float32, shape []int, want Array, tol Tol) bool {
	t.Helper()
	if numel(shape) != numel(want.Shape) || len(got) != len(want.Data) {
		t.Errorf("%s: shape %v, PyTorch has %v", what, shape, want.Shape)
		return false
	}
	bad, worst, worstExcess := 0, -1, 0.0
	for i, g := range got {
		w := want.Data[i]
		diff := math.Abs(float64(g) - w)
		lim := tol.Atol + tol.Rtol*math.Abs(w)
		if diff > lim || math.IsNaN(float64(g)) != math.IsNaN(w) {
			bad++
			if ex := diff / lim; worst < 0 || ex > worstExcess || math.IsNaN(ex) {
				worst, worstExcess = i, ex
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values differ from PyTorch beyond atol %g rtol %g; worst at flat index %d (%s): got %.8g, want %.8g",
			what, bad, len(got), tol.Atol, tol.Rtol, worst, index(want.Shape, worst), got[worst], want.Data[worst])
		return false
	}
	return true
}

// index formats a flat index as a multi-index of shape.
func index(shape []int, flat int) string {
	idx := make([]string, len(shape))
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] > 0 {
			idx[i] = fmt.Sprint(flat % shape[i])
			flat /= shape[i]
		}
	}
	return "[" + strings.Join(idx, ",") + "]"
}

func numel(s []int) int {
	n := 1
	for _, v := range s {
		n *= v
	}
	return n
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:] // the last line of a traceback names the error
	}
	return s
}
