package bench

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/workbench-cv/workbench/engine/data"
)

// TestSpeedrunAgainstPyTorch runs cifar-speedrun end to end on a tiny
// class-balanced cut of CIFAR-10 (4 steps of batch 32): both sides train
// the same number of images, evaluate with flip TTA and report images/s,
// accuracy and peak memory.
func TestSpeedrunAgainstPyTorch(t *testing.T) {
	needPython(t, "torch", "numpy")
	if _, err := data.Locate(data.SpecCIFAR10); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and CIFAR-10 is missing: %v", err)
		}
		t.Skip(err)
	}
	rep, err := Runner{Self: self(t)}.Run(context.Background(), mustGet(t, "cifar-speedrun"), "pytorch",
		Options{Threads: 1, Seed: 3, Params: map[string]string{"limit-train": "128", "limit-test": "100", "batch": "32", "epochs": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.DoneFields()
	if f["workload"] != "cifar-speedrun" || f["unit"] != "images/s" || f["against"] != "pytorch" {
		t.Errorf("done fields %v", f)
	}
	for _, k := range []string{"ours", "peer", "ratio", "epoch_seconds_ours", "epoch_seconds_peer"} {
		if v, ok := f[k].(float64); !ok || !(v > 0) {
			t.Errorf("%s = %v, want a positive number", k, f[k])
		}
	}
	for _, k := range []string{"acc_ours", "acc_peer"} {
		if v, ok := f[k].(float64); !ok || v < 0 || v > 1 {
			t.Errorf("%s = %v, want an accuracy", k, f[k])
		}
	}
	for _, k := range []string{"rss_ours", "rss_peer"} {
		if v, ok := f[k].(int64); !ok || v <= 0 {
			t.Errorf("%s = %v, want the peak memory in bytes", k, f[k])
		}
	}
	for _, side := range []*Result{&rep.Ours, rep.PeerRes} {
		if side.Fields["images"] != float64(128) || side.Fields["steps"] != float64(4) || side.Fields["test_images"] != float64(100) {
			t.Errorf("images %v, steps %v, test images %v: want 128, 4 and 100 on both sides",
				side.Fields["images"], side.Fields["steps"], side.Fields["test_images"])
		}
	}
}

func TestSpeedrunRejectsBadParams(t *testing.T) {
	for _, p := range []map[string]string{
		{"epochs": "0"}, {"epochs": "many"}, {"act": "tanh"}, {"limit-train": "-1"},
		{"limit-train": "100"}, // less than one batch of 1024
	} {
		if err := validateSpeedrun(Options{Params: p}); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: %v, want a usage error", p, err)
		}
	}
	if err := validateSpeedrun(Options{Params: map[string]string{"epochs": "9.9", "act": "relu", "limit-train": "5000"}}); err != nil {
		t.Errorf("airbench's settings rejected: %v", err)
	}
}
