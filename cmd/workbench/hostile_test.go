package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/engine/data/npy"
	"github.com/workbench-cv/workbench/projects"
)

// The hostile-input suite of issue 13: every case runs the command line in a
// child process (the test binary running cliMain, signals and all) in a
// folder of files made at test time, and checks the exit code, that stderr
// is one line naming the problem without a Go trace, and that no file the
// command was not asked to write changed.

// cliChildEnv carries the arguments the child runs.
const cliChildEnv = "WORKBENCH_TEST_CLI_ARGS"

// TestCLIChild is not a test of its own: it is the child process of the
// hostile-input suite.
func TestCLIChild(t *testing.T) {
	raw := os.Getenv(cliChildEnv)
	if raw == "" {
		t.Skip("runs only as the child of the hostile-input suite")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	os.Exit(cliMain(args))
}

// cliCommand is the child running args in dir.
func cliCommand(ctx context.Context, dir string, args ...string) *exec.Cmd {
	enc, _ := json.Marshal(args)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCLIChild$")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), cliChildEnv+"="+string(enc))
	return cmd
}

// runCLI runs args in dir and returns the exit code, stdout and stderr; a
// child still running after limit fails the test (a hang).
func runCLI(t *testing.T, dir string, limit time.Duration, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := cliCommand(ctx, dir, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%v hangs (killed after %v); stderr %q", args, limit, errb.String())
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

// snapshot hashes every file under dir (without following links).
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if !d.Type().IsRegular() {
			m[rel] = d.Type().String()
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			m[rel] = "unreadable"
			return nil
		}
		m[rel] = fmt.Sprintf("%x", sha256.Sum256(b))
		return nil
	})
	return m
}

// unchanged fails if a file of before changed, vanished or appeared, except
// those in allowed.
func unchanged(t *testing.T, what string, before, after map[string]string, allowed ...string) {
	t.Helper()
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for k, v := range before {
		if !ok[k] && after[k] != v {
			t.Errorf("%s: %s changed or vanished", what, k)
		}
	}
	for k := range after {
		if _, was := before[k]; !was && !ok[k] {
			t.Errorf("%s: %s appeared", what, k)
		}
	}
}

// hostileCase is one command on prepared files.
type hostileCase struct {
	name  string
	setup func(t *testing.T, dir string)
	args  []string
	code  int
	want  []string // substrings of the one stderr line
	wrote []string // files the command may change
	limit time.Duration
}

func runHostile(t *testing.T, cases []hostileCase) {
	for _, hc := range cases {
		t.Run(hc.name, func(t *testing.T) {
			dir := t.TempDir()
			if hc.setup != nil {
				hc.setup(t, dir)
			}
			before := snapshot(t, dir)
			limit := hc.limit
			if limit == 0 {
				limit = 2 * time.Minute
			}
			code, out, errs := runCLI(t, dir, limit, hc.args...)
			if code != hc.code {
				t.Fatalf("%v: exit %d, want %d; stderr %q", hc.args, code, hc.code, errs)
			}
			if hc.code != 0 {
				oneErrorLine(t, errs, hc.want...)
				if strings.Contains(out, "map[") {
					t.Errorf("stdout shows a Go map: %q", out)
				}
			}
			unchanged(t, strings.Join(hc.args, " "), before, snapshot(t, dir), hc.wrote...)
		})
	}
}

// quick is a training run of a few seconds on the embedded sample.
var quick = []string{"--data", "sample", "--limit-train", "200", "--limit-test", "50", "--epochs", "1", "--device", "cpu", "--threads", "1"}

func withQuick(args ...string) []string { return append(append([]string{}, args...), quick...) }

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// npzBytes is an .npz dataset of n random 1x8x8 images per split, labels
// 0 and 1.
func npzBytes(t *testing.T, n int) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, split := range []string{"train", "test"} {
		x := make([]uint8, n*64)
		for i := range x {
			x[i] = uint8(i * 7)
		}
		y := make([]uint8, n)
		for i := range y {
			y[i] = uint8(i % 2)
		}
		for name, a := range map[string]*npy.Array{"x_" + split: npy.FromUint8([]int{n, 8, 8}, x), "y_" + split: npy.FromUint8([]int{n}, y)} {
			w, err := zw.Create(name + ".npy")
			if err != nil {
				t.Fatal(err)
			}
			if err := npy.Write(w, a); err != nil {
				t.Fatal(err)
			}
		}
	}
	zw.Close()
	return b.Bytes()
}

// saveQuickProject trains the sample quickly into dir/name.
func saveQuickProject(t *testing.T, dir, name string, extra ...string) {
	t.Helper()
	args := append(withQuick("train", "--save", name), extra...)
	if code, _, errs := runCLI(t, dir, 2*time.Minute, args...); code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errs)
	}
}

// TestHostileCLIInputs covers the cases of issue 13 items 3, 5, 6 and 7
// that concern the command line.
func TestHostileCLIInputs(t *testing.T) {
	project := func(t *testing.T, dir string) { saveQuickProject(t, dir, "other.wbproj") }
	runHostile(t, []hostileCase{
		// 3: train --save replaced any file.
		{name: "save over a text file", setup: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "notes.txt"), []byte("my notes\n")) },
			args: withQuick("train", "--save", "notes.txt"), code: 2, want: []string{"notes.txt", "not a Workbench project", "--force"}},
		{name: "save over the dataset", setup: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "d.npz"), npzBytes(t, 20)) },
			args: []string{"train", "--data", "d.npz", "--epochs", "1", "--device", "cpu", "--save", "d.npz"}, code: 2, want: []string{"d.npz", "not a Workbench project"}},
		{name: "save over another project", setup: project,
			args: withQuick("train", "--save", "other.wbproj"), code: 2, want: []string{"other.wbproj", "--project other.wbproj", "--force"}},
		{name: "save into a missing folder", args: withQuick("train", "--save", "nodir/x.wbproj"), code: 2, want: []string{"nodir", "does not exist"}},
		{name: "save to a device", args: withQuick("train", "--save", os.DevNull), code: 2, want: []string{"not a regular file"}},
		// Other writers: an output flag given an existing project or text.
		{name: "tsne --out over a project", setup: project,
			args: []string{"tsne", "--project", "other.wbproj", "--layer", "fc1", "--data", "sample", "--limit", "50", "--device", "cpu", "--out", "other.wbproj"},
			code: 2, want: []string{"other.wbproj", "not a CSV file", "--force"}},
		{name: "tsne --png over a text file", setup: func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "notes.txt"), []byte("my notes\n")) },
			args: []string{"tsne", "--features", "nofile.npy", "--png", "notes.txt"}, code: 2, want: []string{"notes.txt", "not a PNG file"}},
		// 5: a batch whose activations cannot fit.
		{name: "batch too big for memory", args: []string{"train", "--data", "sample", "--batch", "20000", "--memory", "1G", "--device", "cpu"},
			code: 2, want: []string{"batch 6000", "GB", "--batch 1024"}},
		{name: "memory flag garbage", args: withQuick("train", "--memory", "lots"), code: 2, want: []string{"--memory"}},
		// 6: NaN in number flags, a missing layer to freeze.
		{name: "NaN label smoothing", args: withQuick("train", "--label-smoothing", "NaN"), code: 2, want: []string{"--label-smoothing", "finite"}},
		{name: "NaN gaussian init", args: withQuick("train", "--init", "gaussian:NaN"), code: 2, want: []string{"--init", "gaussian:NaN"}},
		{name: "Inf learning rate", args: withQuick("train", "--lr", "Inf"), code: 2, want: []string{"--lr"}},
		{name: "freeze a missing layer", args: withQuick("train", "--freeze", "nosuchlayer"), code: 2, want: []string{"nosuchlayer", "conv1", "fc2"}},
		// 7: eval on images of another shape; two datasets for data.
		{name: "eval on another shape", setup: func(t *testing.T, dir string) {
			saveQuickProject(t, dir, "m.wbproj")
			writeImageFolder(t, filepath.Join(dir, "rgb"), 3, 32, 3)
		}, args: []string{"eval", "--project", "m.wbproj", "--data", "rgb", "--device", "cpu"}, code: 2, want: []string{"3x32x32", "expects 1x28x28"}},
		{name: "data with two datasets", args: []string{"data", "sample", "--data", "rgb"}, code: 2, want: []string{"sample", "rgb"}},
		{name: "resume with another seed", setup: func(t *testing.T, dir string) { saveQuickProject(t, dir, "r.wbproj", "--seed", "11") },
			args: []string{"train", "--resume", "r.wbproj", "--seed", "12", "--device", "cpu"}, code: 2, want: []string{"--seed 12", "seed 11"}},
		// Resuming with the run's own seed is fine (it was refused).
		{name: "resume with the same seed", setup: func(t *testing.T, dir string) { saveQuickProject(t, dir, "r.wbproj", "--seed", "11") },
			args: []string{"train", "--resume", "r.wbproj", "--seed", "11", "--epochs", "2", "--device", "cpu", "--threads", "1"}, code: 0,
			wrote: []string{"r.wbproj"}},
	})
}

// TestHostileSaveErrorIsOneLine guards a failed save reported twice ("could
// not save the project: …" then the same again as the error).
func TestHostileSaveErrorIsOneLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "f.txt"), []byte("x"))
	code, _, errs := runCLI(t, dir, time.Minute, withQuick("train", "--save", "f.txt/x.wbproj")...)
	if code != 2 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	oneErrorLine(t, errs, "x.wbproj")
	if strings.Count(errs, "could not save") != 1 {
		t.Fatalf("the error repeats: %q", errs)
	}
}

// TestHostileStaleTempFilesAreCleaned: a save killed midway leaves
// .NAME.tmp-*; the next save removes it.
func TestHostileStaleTempFilesAreCleaned(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, ".x.wbproj.tmp-00112233aabbccdd")
	writeFile(t, stale, []byte("half a project"))
	saveQuickProject(t, dir, "x.wbproj")
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Fatalf("the stale temporary file is still there (%v)", err)
	}
	if _, err := projects.Open(filepath.Join(dir, "x.wbproj")); err != nil {
		t.Fatal(err)
	}
}

// startTraining starts a long training run saving to dir/name and waits
// for its first epoch event.
func startTraining(t *testing.T, dir, name string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := cliCommand(context.Background(), dir, "train", "--data", "sample", "--limit-train", "1000", "--limit-test", "50",
		"--epochs", "200", "--device", "cpu", "--threads", "1", "--json", "--save", name)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"event":"epoch"`) {
			go func() {
				for sc.Scan() {
				}
			}()
			return cmd, &errb
		}
	}
	t.Fatalf("the training run ended before its first epoch: %s", errb.String())
	return nil, nil
}

// TestHostileSecondWriterFailsAtOnce guards two `train --save same.wbproj`
// at once, which both reported success with one run lost: the second fails
// before training, naming the first's process, and the first goes on.
// SIGHUP then stops the first as Ctrl-C does: it saves and exits.
func TestHostileSecondWriterFailsAtOnce(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	dir := t.TempDir()
	first, firstErr := startTraining(t, dir, "same.wbproj")

	start := time.Now()
	code, out, errs := runCLI(t, dir, time.Minute, withQuick("train", "--save", "same.wbproj")...)
	if code != 2 || strings.Contains(out, `"event":"epoch"`) || strings.Contains(out, "epoch") {
		t.Fatalf("second writer: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	oneErrorLine(t, errs, "same.wbproj", fmt.Sprintf("process %d", first.Process.Pid), "save to another file")
	t.Logf("the second writer failed after %v: %s", time.Since(start).Round(time.Millisecond), strings.TrimSpace(errs))

	// SIGHUP (the terminal closed): stop, save, exit 1.
	if err := first.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	err := first.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != 1 {
		t.Fatalf("after SIGHUP the run ended with %v (stderr %q), want exit 1", err, firstErr.String())
	}
	if s := firstErr.String(); strings.Contains(s, "goroutine") || strings.Contains(s, "panic") {
		t.Fatalf("stderr %q", s)
	}
	p, err := projects.Open(filepath.Join(dir, "same.wbproj"))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Runs) != 1 || p.Runs[0].Status != projects.RunStopped || len(p.Runs[0].Epochs) < 1 {
		t.Fatalf("after SIGHUP the project holds %d runs, status %q", len(p.Runs), p.Runs[0].Status)
	}
	if _, err := os.Stat(filepath.Join(dir, ".same.wbproj.lock")); !os.IsNotExist(err) {
		t.Fatalf("the lock file stays after the run: %v", err)
	}
	// The lock is free again.
	saveQuickProject(t, dir, "same2.wbproj", "--project", "same.wbproj")
}

// TestHostileTablesShowNoGoMaps runs eval and knn for people (no --json)
// and checks that no Go map reaches the terminal.
func TestHostileTablesShowNoGoMaps(t *testing.T) {
	dir := t.TempDir()
	saveQuickProject(t, dir, "m.wbproj")
	for _, args := range [][]string{
		{"eval", "--project", "m.wbproj", "--device", "cpu", "--mistakes", "3"},
		{"knn", "--data", "sample", "--limit-train", "300", "--limit-test", "30", "--k", "1,3", "--folds", "2"},
	} {
		code, out, errs := runCLI(t, dir, time.Minute, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errs)
		}
		if strings.Contains(out, "map[") || !strings.Contains(out, "test_acc") {
			t.Errorf("%v printed:\n%s", args, out)
		}
	}
}

// TestHostileSoftwareGLWarns: --device gl on a software rasteriser warns
// once (stderr, or a JSON "warning" event); skipped where GL cannot open
// or is a real GPU.
func TestHostileSoftwareGLWarns(t *testing.T) {
	dir := t.TempDir()
	args := []string{"train", "--data", "sample", "--limit-train", "40", "--limit-test", "10", "--batch", "20", "--epochs", "1", "--device", "gl", "--json"}
	code, out, errs := runCLI(t, dir, 2*time.Minute, args...)
	if code != 0 {
		t.Skipf("no OpenGL compute here: %s", strings.TrimSpace(errs))
	}
	warnings := strings.Count(out, `"event":"warning"`)
	var done map[string]any
	json.Unmarshal([]byte(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]), &done)
	name, _ := done["device_name"].(string)
	soft := false
	for _, s := range []string{"llvmpipe", "softpipe", "swrast", "SwiftShader"} {
		soft = soft || strings.Contains(strings.ToLower(name), strings.ToLower(s))
	}
	if soft != (warnings == 1) {
		t.Fatalf("renderer %q: %d warning events in %s", name, warnings, out)
	}
	if !soft {
		t.Skipf("a hardware renderer (%s): nothing to warn about", name)
	}
}
