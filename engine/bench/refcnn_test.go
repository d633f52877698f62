package bench

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/workbench-cv/workbench/engine/data"
)

// TestRefCNNAgainstPyTorch runs the ref-cnn workload end to end on a small
// class-balanced cut of Fashion-MNIST: both sides train, evaluate and
// report images/s, accuracy and peak memory.
func TestRefCNNAgainstPyTorch(t *testing.T) {
	needPython(t, "torch", "numpy")
	if _, err := data.Locate(data.SpecFashionMNIST); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and Fashion-MNIST is missing: %v", err)
		}
		t.Skip(err)
	}
	rep, err := Runner{Self: self(t)}.Run(context.Background(), mustGet(t, "ref-cnn"), "pytorch",
		Options{Threads: 1, Seed: 3, Params: map[string]string{"limit-train": "640", "limit-test": "500"}})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.DoneFields()
	if f["workload"] != "ref-cnn" || f["unit"] != "images/s" || f["against"] != "pytorch" {
		t.Errorf("done fields %v", f)
	}
	for _, k := range []string{"ours", "peer", "ratio"} {
		if v, ok := f[k].(float64); !ok || !(v > 0) {
			t.Errorf("%s = %v, want a positive number", k, f[k])
		}
	}
	// Ten steps of Adam lift both well above chance (10%).
	for _, k := range []string{"acc_ours", "acc_peer"} {
		if v, ok := f[k].(float64); !ok || v < 0.3 || v > 1 {
			t.Errorf("%s = %v, want an accuracy above chance", k, f[k])
		}
	}
	for _, k := range []string{"cpu_ours", "cpu_peer", "cpu_ratio"} {
		if v, ok := f[k].(float64); !ok || !(v > 0) {
			t.Errorf("%s = %v, want a positive number", k, f[k])
		}
	}
	for _, k := range []string{"rss_ours", "rss_peer"} {
		if v, ok := f[k].(int64); !ok || v <= 0 {
			t.Errorf("%s = %v, want the peak memory in bytes", k, f[k])
		}
	}
	if rep.Ours.Fields["images"] != float64(640) || rep.PeerRes.Fields["images"] != float64(640) {
		t.Errorf("images trained: ours %v, peer %v, want 640 each", rep.Ours.Fields["images"], rep.PeerRes.Fields["images"])
	}
}

func TestRefCNNRejectsBadLimits(t *testing.T) {
	err := validateRefCNN(Options{Params: map[string]string{"limit-train": "lots"}})
	if !errors.Is(err, ErrUsage) {
		t.Errorf("limit-train lots: %v, want a usage error", err)
	}
}
