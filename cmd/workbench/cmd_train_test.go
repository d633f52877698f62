package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/workbench-cv/workbench/engine/train"
	"github.com/workbench-cv/workbench/projects"
)

// trainChildEnv carries the arguments of a training run to execute in a
// child process (the re-executed test binary), and killAtEnv the iteration
// after which that child SIGKILLs itself.
const (
	trainChildEnv = "WORKBENCH_TEST_TRAIN_ARGS"
	killAtEnv     = "WORKBENCH_TEST_KILL_AT"
)

// TestTrainChildProcess is not a test of its own: it is the child process
// of TestTrainSIGKILLThenResumeIsExact.
func TestTrainChildProcess(t *testing.T) {
	raw := os.Getenv(trainChildEnv)
	if raw == "" {
		t.Skip("runs only as the child of TestTrainSIGKILLThenResumeIsExact")
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		t.Fatal(err)
	}
	killAt, _ := strconv.Atoi(os.Getenv(killAtEnv))
	trainIterationHook = func(it train.IterationInfo) {
		if it.Iteration == killAt {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {} // the signal is on its way
		}
	}
	os.Exit(run(context.Background(), args, os.Stdout, os.Stderr))
}

func sameTensors(t *testing.T, what string, a, b map[string]projects.Tensor) {
	t.Helper()
	if len(a) == 0 || len(a) != len(b) {
		t.Fatalf("%s: %d tensors vs %d", what, len(a), len(b))
	}
	for k, ta := range a {
		tb, ok := b[k]
		if !ok || len(tb.Data) != len(ta.Data) {
			t.Fatalf("%s: %s missing or resized", what, k)
		}
		for i := range ta.Data {
			if math.Float32bits(ta.Data[i]) != math.Float32bits(tb.Data[i]) {
				t.Fatalf("%s: %s[%d] = %v after resuming, %v uninterrupted", what, k, i, tb.Data[i], ta.Data[i])
			}
		}
	}
}

// TestTrainSIGKILLThenResumeIsExact kills a training process with SIGKILL in
// the middle of its second epoch, resumes it from the project file, and
// compares the final weights and optimizer state with an uninterrupted run
// of the same seed, bit for bit.
func TestTrainSIGKILLThenResumeIsExact(t *testing.T) {
	dir := t.TempDir()
	full, part := filepath.Join(dir, "full.wbproj"), filepath.Join(dir, "part.wbproj")
	args := func(save string) []string {
		return []string{"train", "--data", "sample", "--limit-train", "400", "--val", "100", "--limit-test", "100",
			"--model", "ref-cnn", "--epochs", "2", "--batch", "40", "--optim", "momentum", "--lr", "0.05",
			"--schedule", "cosine", "--warmup", "1", "--augment", "flip,crop:2", "--seed", "7", "--threads", "1",
			"--device", "cpu", "--checkpoint-every", "4", "--json", "--save", save}
	}
	code, out, errs := call(t, args(full)...)
	if code != 0 {
		t.Fatalf("uninterrupted run: exit %d: %s", code, errs)
	}
	want := lastJSON(t, out)

	// 10 iterations per epoch: the child dies after iteration 17, having
	// saved its checkpoint at iteration 16.
	enc, _ := json.Marshal(args(part))
	cmd := exec.Command(os.Args[0], "-test.run=^TestTrainChildProcess$")
	cmd.Env = append(os.Environ(), trainChildEnv+"="+string(enc), killAtEnv+"=17")
	outb, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errorsAs(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child should die of SIGKILL, got %v: %s", err, outb)
	}
	if strings.Contains(string(outb), `"event":"done"`) {
		t.Fatal("the child finished before it was killed")
	}
	p, err := projects.Open(part)
	if err != nil {
		t.Fatalf("the killed run's project: %v", err)
	}
	if r := p.Runs[0]; r.Status != projects.RunRunning || r.Iterations != 16 || len(r.Epochs) != 1 {
		t.Fatalf("killed run: status %s, %d iterations, %d epochs", r.Status, r.Iterations, len(r.Epochs))
	}

	code, out, errs = call(t, "train", "--resume", part, "--threads", "1", "--device", "cpu", "--json")
	if code != 0 {
		t.Fatalf("resumed run: exit %d: %s", code, errs)
	}
	got := lastJSON(t, out)
	pf, err := projects.Open(full)
	if err != nil {
		t.Fatal(err)
	}
	pp, err := projects.Open(part)
	if err != nil {
		t.Fatal(err)
	}
	sameTensors(t, "weights", pf.Group(projects.GroupWeights), pp.Group(projects.GroupWeights))
	sameTensors(t, "optimizer state", pf.Group(projects.GroupOptim), pp.Group(projects.GroupOptim))
	sameTensors(t, "best checkpoint", pf.Group("runs/r1/best"), pp.Group("runs/r1/best"))
	if got["test_acc"] != want["test_acc"] || got["test_loss"] != want["test_loss"] {
		t.Errorf("test figures differ: resumed %v/%v, uninterrupted %v/%v", got["test_acc"], got["test_loss"], want["test_acc"], want["test_loss"])
	}
	rf, rp := pf.Runs[0], pp.Runs[0]
	if rp.Status != projects.RunFinished || rp.Iterations != rf.Iterations || len(rp.Losses) != len(rf.Losses) {
		t.Fatalf("resumed run: %s, %d iterations, %d losses; uninterrupted %d, %d", rp.Status, rp.Iterations, len(rp.Losses), rf.Iterations, len(rf.Losses))
	}
	for i := range rf.Losses {
		if rf.Losses[i] != rp.Losses[i] {
			t.Fatalf("loss %d: %v resumed, %v uninterrupted", i, rp.Losses[i], rf.Losses[i])
		}
	}
	if rp.Epochs[1].TrainLoss != rf.Epochs[1].TrainLoss || rp.Epochs[1].ValAcc != rf.Epochs[1].ValAcc {
		t.Errorf("epoch 2: %+v resumed, %+v uninterrupted", rp.Epochs[1], rf.Epochs[1])
	}
}

func errorsAs(err error, target **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*target = e
	}
	return ok
}

// TestTrainExplodingLRKeepsTheLastGoodCheckpoint: the run stops with the
// message, and the project it leaves opens and evaluates.
func TestTrainExplodingLRKeepsTheLastGoodCheckpoint(t *testing.T) {
	proj := filepath.Join(t.TempDir(), "boom.wbproj")
	code, _, errs := call(t, "train", "--data", "sample", "--limit-train", "300", "--limit-test", "100", "--model", "mlp2",
		"--optim", "sgd", "--lr", "300", "--epochs", "2", "--batch", "30", "--checkpoint-every", "1", "--threads", "1",
		"--device", "cpu", "--save", proj)
	if code != 1 {
		t.Fatalf("exit %d, want 1: %s", code, errs)
	}
	oneErrorLine(t, errs, "loss ", "at epoch 1 iteration", "the learning rate 300 is probably too high or the initialisation is bad",
		"the last good checkpoint is kept")
	p, err := projects.Open(proj)
	if err != nil {
		t.Fatal(err)
	}
	if r := p.Runs[0]; r.Status != projects.RunFailed || !strings.Contains(r.Notes, "too high") {
		t.Errorf("run status %s, notes %q", r.Status, r.Notes)
	}
	code, out, errs := call(t, "eval", "--project", proj, "--json", "--device", "cpu")
	if code != 0 {
		t.Fatalf("eval of the kept checkpoint: exit %d: %s", code, errs)
	}
	d := lastJSON(t, out)
	if acc, ok := d["test_acc"].(float64); !ok || acc < 0 || acc > 1 || d["test_loss"] == nil {
		t.Fatalf("eval: %v", d)
	}
	if conf, _ := d["confusion"].([]any); len(conf) != 10 {
		t.Fatalf("confusion %v", d["confusion"])
	}
}

func TestTrainJSONEventsAndEval(t *testing.T) {
	proj := filepath.Join(t.TempDir(), "m.wbproj")
	code, out, errs := call(t, "train", "--data", "sample", "--limit-train", "500", "--limit-test", "200", "--val", "100",
		"--model", "mlp2", "--epochs", "2", "--batch", "25", "--lr", "0.003", "--weight-decay", "1e-4", "--preprocess", "channel-std",
		"--threads", "1", "--device", "cpu", "--json", "--save", proj)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 2 epoch events and done, got %q", out)
	}
	for i, l := range lines[:2] {
		var e map[string]any
		json.Unmarshal([]byte(l), &e)
		for _, k := range []string{"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "images_per_sec", "seconds"} {
			if _, ok := e[k]; !ok || e["event"] != "epoch" {
				t.Fatalf("epoch event %d lacks %s: %s", i, k, l)
			}
		}
	}
	d := lastJSON(t, out)
	for _, k := range []string{"test_acc", "test_loss", "train_images_per_sec", "epochs", "device", "params"} {
		if _, ok := d[k]; !ok {
			t.Fatalf("done lacks %s: %v", k, d)
		}
	}
	if d["device"] != "cpu" || d["epochs"] != 2.0 || d["test_acc"].(float64) < 0.6 {
		t.Fatalf("done %v", d)
	}
	// eval reproduces the test figures from the saved project, with the
	// saved preprocessing statistics.
	code, out, errs = call(t, "eval", "--project", proj, "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errs)
	}
	e := lastJSON(t, out)
	if math.Abs(e["test_acc"].(float64)-d["test_acc"].(float64)) > 1e-12 || math.Abs(e["test_loss"].(float64)-d["test_loss"].(float64)) > 1e-6 {
		t.Fatalf("eval %v/%v, train's test %v/%v", e["test_acc"], e["test_loss"], d["test_acc"], d["test_loss"])
	}
	conf := e["confusion"].([]any)
	total := 0.0
	for _, row := range conf {
		for _, v := range row.([]any) {
			total += v.(float64)
		}
	}
	if total != 200 {
		t.Fatalf("confusion counts %v images, want 200", total)
	}
}

func TestTrainAndEvalBadInputExitTwo(t *testing.T) {
	for _, args := range [][]string{
		{"train", "--optim", "lion"},
		{"train", "--schedule", "exp"},
		{"train", "--model", "no-such-net"},
		{"train", "--epochs", "0"},
		{"train", "--augment", "wobble"},
		{"train", "--data", "no-such-dataset"},
		{"train", "--project", "x.wbproj", "--model", "ref-cnn"},
		{"train", "--resume", filepath.Join(t.TempDir(), "missing.wbproj")},
		{"eval"},
		{"eval", "--project", filepath.Join(t.TempDir(), "missing.wbproj")},
	} {
		code, _, errs := call(t, args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errs)
			continue
		}
		oneErrorLine(t, errs)
	}
}
