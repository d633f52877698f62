package projects

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/engine/graph"
)

// richProject fills every field, with tensors of awkward shapes and values.
func richProject() *Project {
	t0 := time.Date(2025, 3, 4, 5, 6, 7, 890123456, time.UTC)
	p := New("round trip ✓")
	p.Created, p.Modified = t0, t0.Add(time.Hour)
	p.Dataset = DatasetRef{Spec: "fashion-mnist", LimitTrain: 1000, LimitTest: 500, Val: 100,
		C: 1, H: 28, W: 28, Classes: []string{"a", "b", "c"}}
	p.Preprocess = Preprocess{Mode: PreprocessPCAWhiten, Epsilon: 1e-5, Components: 2}
	p.Graph = graph.Graph{
		Nodes: []graph.Node{
			{ID: "in", Op: "input", Attrs: map[string]float64{"channels": 1, "height": 28, "width": 28}, X: 1.5, Y: -2},
			{ID: "c1", Op: "conv2d", Name: "first conv", Inputs: []string{"in"}, Attrs: map[string]float64{"out": 8, "kernel": 3}, X: 10, Y: 20, Block: "b1"},
			{ID: "add", Op: "add", Inputs: []string{"c1", "in"}},
		},
		Blocks: []graph.Block{{Name: "b1", Collapsed: true}},
	}
	p.Hyper = Hyper{Optimizer: "sgd", LR: 0.1, Momentum: 0.9, WeightDecay: 5e-4, Schedule: "cosine",
		Warmup: 1, Batch: 32, Epochs: 3, Augment: []string{"flip", "crop"}, Seed: -7}
	run := Run{ID: "r1", Name: "first", Started: t0, Finished: t0.Add(time.Minute), Status: RunFinished,
		Device: "cpu", Hyper: p.Hyper,
		Epochs: []EpochMetrics{{Epoch: 1, TrainLoss: 2.3, TrainAcc: 0.1, ValLoss: 2.2, ValAcc: 0.15,
			ImagesPerSec: 1234.5, Seconds: 1e-7}},
		Tested: true, TestAcc: 0.875, TestLoss: 0.33, Notes: "line 1\nline \"2\"",
		Checkpoints: []Checkpoint{{Name: "best", Group: RunGroup("r1", "best"), Epoch: 1}},
	}
	for i := range 10 {
		run.AddLoss(float32(i) / 3)
	}
	p.Runs = []Run{run, {ID: "r2", Status: RunRunning, Hyper: Hyper{Optimizer: "adam", LR: 1e-3},
		Adversarial: &AdversarialTraining{Method: "pgd", Eps: 8.0 / 255, Steps: 7, StepSize: 2.0 / 255, Ramp: 1}}}
	p.Inspect = Inspect{Strings: map[string]string{"saliency.method": "guided"}, Numbers: map[string]float64{"dream.steps": 20, "x": -0.5}}
	p.Tensors = map[string]Tensor{
		"weights/c1.weight":            {Shape: []int{8, 1, 3, 3}, Data: ramp(72)},
		"weights/c1.bias":              {Shape: []int{8}, Data: []float32{0, -1, float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, math.SmallestNonzeroFloat32, 1e-40, -3}},
		"optim/step":                   {Shape: []int{}, Data: []float32{42}},
		"optim/empty":                  {Shape: []int{0, 3}, Data: []float32{}},
		"runs/r1/best/weights/c1.bias": {Shape: []int{2, 2}, Data: []float32{1, 2, 3, 4}},
		"preprocess/mean":              {Shape: []int{784}, Data: ramp(784)},
	}
	return p
}

func ramp(n int) []float32 {
	d := make([]float32, n)
	for i := range d {
		d[i] = float32(i)*0.37 - 5
	}
	return d
}

// sameTensors checks that got holds exactly want's tensors, bit for bit.
func sameTensors(t *testing.T, want, got map[string]Tensor) {
	t.Helper()
	if len(want) != len(got) {
		t.Fatalf("got %d tensors, want %d", len(got), len(want))
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Fatalf("tensor %q missing", name)
		}
		if !reflect.DeepEqual(append([]int{}, w.Shape...), append([]int{}, g.Shape...)) || len(w.Data) != len(g.Data) {
			t.Fatalf("tensor %q: shape %v len %d, want %v len %d", name, g.Shape, len(g.Data), w.Shape, len(w.Data))
		}
		for i := range w.Data {
			if math.Float32bits(w.Data[i]) != math.Float32bits(g.Data[i]) {
				t.Fatalf("tensor %q[%d] = %08x, want %08x", name, i, math.Float32bits(g.Data[i]), math.Float32bits(w.Data[i]))
			}
		}
	}
}

func saveOpen(t *testing.T, p *Project) *Project {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p"+Extension)
	if err := Save(p, path); err != nil {
		t.Fatal(err)
	}
	q, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestRoundTripIsDeepEqual(t *testing.T) {
	p := richProject()
	before := p.Clone()
	q := saveOpen(t, p)
	sameTensors(t, p.Tensors, q.Tensors)
	if !reflect.DeepEqual(p, q) {
		t.Fatalf("round trip differs:\nsaved  %+v\nopened %+v", p, q)
	}
	if !reflect.DeepEqual(p, before) {
		t.Fatal("Save modified the project it saved")
	}
}

func TestRoundTripKeepsTensorBitsAndNonFiniteMetrics(t *testing.T) {
	p := New("nan")
	nan := math.Float32frombits(0x7fc00123) // a NaN with a payload
	p.Tensors["weights/w"] = Tensor{Shape: []int{3}, Data: []float32{nan, float32(math.Copysign(0, -1)), 1}}
	r := Run{ID: "d", Status: RunFailed, Losses: []float32{1, float32(math.NaN()), float32(math.Inf(1))},
		TestLoss: math.Inf(-1), Tested: true,
		Epochs: []EpochMetrics{{Epoch: 1, TrainLoss: math.NaN(), ValLoss: math.Inf(1), ValAcc: 0.1}}}
	p.Runs = []Run{r}
	q := saveOpen(t, p)
	sameTensors(t, p.Tensors, q.Tensors)
	e := q.Runs[0].Epochs[0]
	if !math.IsNaN(e.TrainLoss) || !math.IsInf(e.ValLoss, 1) || e.ValAcc != 0.1 {
		t.Fatalf("epoch metrics = %+v", e)
	}
	l := q.Runs[0].Losses
	if len(l) != 3 || l[0] != 1 || !math.IsNaN(float64(l[1])) || !math.IsInf(float64(l[2]), 1) {
		t.Fatalf("losses = %v", l)
	}
	if !math.IsInf(q.Runs[0].TestLoss, -1) {
		t.Fatalf("test loss = %v", q.Runs[0].TestLoss)
	}
}

func TestOpenReturnsUTCTimes(t *testing.T) {
	p := New("tz")
	zone := time.FixedZone("X", 5*3600)
	p.Created = time.Date(2024, 5, 6, 7, 8, 9, 0, zone)
	q := saveOpen(t, p)
	if q.Created.Location() != time.UTC || !q.Created.Equal(p.Created) {
		t.Fatalf("created = %v, want %v in UTC", q.Created, p.Created)
	}
	if p.Created.Location() != zone {
		t.Fatal("Save changed the caller's time zone")
	}
}

func TestSaveRefusesValuesItCannotStore(t *testing.T) {
	cases := map[string]func(p *Project){
		"shape mismatch": func(p *Project) { p.Tensors["weights/w"] = Tensor{Shape: []int{2, 2}, Data: []float32{1}} },
		"negative dim":   func(p *Project) { p.Tensors["weights/w"] = Tensor{Shape: []int{-1}, Data: nil} },
		"bad name":       func(p *Project) { p.Tensors["weights/../x"] = Tensor{Shape: []int{1}, Data: []float32{1}} },
		"metadata name":  func(p *Project) { p.Tensors[metadataKey] = Tensor{Shape: []int{1}, Data: []float32{1}} },
		"nan lr":         func(p *Project) { p.Hyper.LR = math.NaN() },
		"inf attr":       func(p *Project) { p.Graph.Nodes = []graph.Node{{ID: "a", Attrs: map[string]float64{"k": math.Inf(1)}}} },
		"unknown mode":   func(p *Project) { p.Preprocess.Mode = "zca" },
		"negative batch": func(p *Project) { p.Hyper.Batch = -1 },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.wbproj")
			old := New("old")
			if err := Save(old, path); err != nil {
				t.Fatal(err)
			}
			p := New("bad")
			mutate(p)
			err := Save(p, path)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Save = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), "nothing was written") {
				t.Fatalf("message %q does not say the file is untouched", err)
			}
			q, err := Open(path)
			if err != nil || q.Name != "old" {
				t.Fatalf("previous file damaged: %v %v", q, err)
			}
			assertNoTempFiles(t, filepath.Dir(path))
		})
	}
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Fatalf("temporary file %s left behind", e.Name())
		}
	}
}

func TestSaveIntoMissingFolderIsWriteError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no", "such", "p.wbproj")
	err := Save(New("x"), path)
	if !errors.Is(err, ErrWrite) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Save = %v, want ErrWrite wrapping not-exist", err)
	}
	if !strings.Contains(err.Error(), "previous file is unchanged") {
		t.Fatalf("message %q", err)
	}
}

func TestSaveOverFolderIsRefused(t *testing.T) {
	dir := t.TempDir()
	err := Save(New("x"), dir)
	if !errors.Is(err, ErrWrite) {
		t.Fatalf("Save over a folder = %v", err)
	}
}

func TestSaveKeepsPermissionsAndFollowsSymlinks(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.wbproj")
	if err := Save(New("one"), real); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(real, 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.wbproj")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("no symlinks here:", err)
	}
	if err := Save(New("two"), link); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a file: %v %v", fi.Mode(), err)
	}
	st, err := os.Stat(real)
	if err != nil || st.Mode().Perm() != 0o640 {
		t.Fatalf("mode = %v, want 0640 (%v)", st.Mode().Perm(), err)
	}
	q, err := Open(real)
	if err != nil || q.Name != "two" {
		t.Fatalf("Open(real) = %v, %v", q, err)
	}
}

func TestOpenMissingFileIsReadError(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope.wbproj"))
	if !errors.Is(err, ErrRead) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open = %v", err)
	}
	_, err = Open(t.TempDir())
	if !errors.Is(err, ErrRead) || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("Open(folder) = %v", err)
	}
}

func TestCloneIsIndependent(t *testing.T) {
	p := richProject()
	q := p.Clone()
	if !reflect.DeepEqual(p, q) {
		t.Fatal("clone differs")
	}
	q.Tensors["weights/c1.weight"].Data[0] = 99
	q.Graph.Nodes[1].Attrs["out"] = 99
	q.Graph.Nodes[1].Inputs[0] = "zz"
	q.Runs[0].Losses[0] = 99
	q.Runs[0].Epochs[0].Epoch = 99
	q.Runs[1].Adversarial.Eps = 99
	q.Hyper.Augment[0] = "zz"
	q.Inspect.Numbers["x"] = 99
	q.Dataset.Classes[0] = "zz"
	if !reflect.DeepEqual(p, richProject()) {
		t.Fatal("changing the clone changed the original")
	}
}

func TestGroupsAndDeleteRun(t *testing.T) {
	p := richProject()
	best := p.Group(RunGroup("r1", "best"))
	if len(best) != 1 || best["weights/c1.bias"].Data[3] != 4 {
		t.Fatalf("Group = %v", best)
	}
	p.SetGroup("optim", map[string]Tensor{"m": {Shape: []int{1}, Data: []float32{1}}})
	if _, ok := p.Tensors["optim/step"]; ok {
		t.Fatal("SetGroup kept an old tensor of the group")
	}
	if _, ok := p.Tensors["optim/m"]; !ok {
		t.Fatal("SetGroup did not add optim/m")
	}
	if !p.DeleteRun("r1") || p.Run("r1") != nil || p.Run("r2") == nil {
		t.Fatal("DeleteRun did not delete r1 only")
	}
	for _, name := range p.TensorNames() {
		if strings.HasPrefix(name, "runs/r1/") {
			t.Fatalf("tensor %s of a deleted run remains", name)
		}
	}
	if p.DeleteRun("r1") {
		t.Fatal("deleting twice reported success")
	}
}

func TestAddLossStaysBoundedAndEvenlySpaced(t *testing.T) {
	var r Run
	const n = 3*MaxLosses + 17
	for i := range n {
		r.AddLoss(float32(i))
	}
	if len(r.Losses) > MaxLosses || len(r.Losses) < MaxLosses/2 {
		t.Fatalf("kept %d losses", len(r.Losses))
	}
	if r.Iterations != n {
		t.Fatalf("iterations = %d", r.Iterations)
	}
	for i, l := range r.Losses {
		if int(l) != i*r.LossEvery {
			t.Fatalf("losses[%d] = %v, want iteration %d (every %d)", i, l, i*r.LossEvery, r.LossEvery)
		}
	}
	if last := int(r.Losses[len(r.Losses)-1]); n-1-last >= r.LossEvery {
		t.Fatalf("history stops at %d of %d", last, n)
	}
}
