package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/projects"
)

// TestTrainTorchrunRecordsTheRunAndEvalAgrees: train --backend torchrun
// with 2 gloo processes records a run whose weights `eval` scores exactly
// as PyTorch did, with the epoch streamed as an event.
func TestTrainTorchrunRecordsTheRunAndEvalAgrees(t *testing.T) {
	if err := exec.Command(pythonWithTorch(), "-c", "import torch.distributed.run").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PyTorch is missing (%v): CI needs python3-torch", err)
		}
		t.Skipf("PyTorch is missing: %v", err)
	}
	if testing.Short() {
		t.Skip("short: starts torchrun")
	}
	proj := filepath.Join(t.TempDir(), "ddp.wbproj")
	code, out, errs := call(t, "train", "--data", "sample", "--limit-train", "600", "--limit-test", "200", "--epochs", "1",
		"--backend", "torchrun", "--nproc", "2", "--threads", "1", "--save", proj, "--json")
	if code != 0 {
		t.Fatalf("train --backend torchrun: exit %d: %s", code, errs)
	}
	if !strings.Contains(out, `"event":"epoch"`) || !strings.Contains(out, `"world_size":2`) {
		t.Fatalf("no epoch event from 2 processes in %s", out)
	}
	done := lastJSON(t, out)
	acc, torchAcc := done["test_acc"].(float64), done["torch_test_acc"].(float64)
	if math.Abs(acc-torchAcc) > 0.001 || done["backend"] != "torchrun" {
		t.Fatalf("our test accuracy %.4f of PyTorch's weights differs from PyTorch's %.4f (done %v)", acc, torchAcc, done)
	}
	code, out, errs = call(t, "eval", "--project", proj, "--json")
	if code != 0 {
		t.Fatalf("eval: exit %d: %s", code, errs)
	}
	if got := lastJSON(t, out)["test_acc"].(float64); math.Abs(got-torchAcc) > 0.001 {
		t.Fatalf("eval of the saved project gives %.4f, PyTorch reported %.4f", got, torchAcc)
	}
	p, err := projects.Open(proj)
	if err != nil {
		t.Fatal(err)
	}
	r := p.Runs[len(p.Runs)-1]
	if len(r.Epochs) != 1 || !strings.Contains(r.Device, "torchrun") {
		t.Fatalf("run recorded as %+v", r)
	}
	code, _, errs = call(t, "train", "--data", "sample", "--backend", "torchrun", "--nnodes", "2")
	if code != 2 || !strings.Contains(errs, "--rdzv") {
		t.Fatalf("--nnodes 2 without --rdzv: exit %d, %q", code, errs)
	}
}

func pythonWithTorch() string {
	if p := os.Getenv("WORKBENCH_PYTHON"); p != "" {
		return p
	}
	return "/usr/bin/python3"
}
