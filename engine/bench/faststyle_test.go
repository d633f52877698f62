package bench

import (
	"context"
	"math"
	"testing"
)

// TestFastStyleAgainstPyTorch runs the fast-style workload at small sizes:
// PyTorch's network built from our exported weights stylises the same
// image to within 1e-4 of ours, and the first training step's loss (same
// weights, batch, style image, perceptual network) agrees to float32
// rounding; both sides report throughputs.
func TestFastStyleAgainstPyTorch(t *testing.T) {
	needPython(t, "torch", "numpy")
	rep, err := Runner{Self: self(t), Rounds: 1}.Run(context.Background(), mustGet(t, "fast-style"), "pytorch",
		Options{Threads: 1, Seed: 3, Sizes: []int{32, 16}, MinTime: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.DoneFields()
	for _, k := range []string{"ours", "peer", "ratio", "train_ratio", "train_steps_per_sec_ours", "train_steps_per_sec_peer"} {
		if v, ok := f[k].(float64); !ok || !(v > 0) {
			t.Errorf("%s = %v, want a positive number", k, f[k])
		}
	}
	if d, ok := f["max_pixel_diff"].(float64); !ok || d > 1e-4 {
		t.Errorf("stylised images differ by %v", f["max_pixel_diff"])
	}
	lo, lp := f["loss_first_ours"].(float64), f["loss_first_peer"].(float64)
	if !(lo > 0) || math.Abs(lo-lp) > 1e-4*math.Abs(lp) {
		t.Errorf("first-step losses: ours %g, PyTorch %g", lo, lp)
	}
	// After one Adam step from the same weights: the gradients agreed.
	// (Adam's first step moves every weight by about the learning rate
	// whatever the gradient's size, so tiny gradients of either sign
	// still agree only to a looser tolerance.)
	t.Logf("first-step losses differ by %v, second-step by %v (relative)", f["loss_first_rel_diff"], f["loss_second_rel_diff"])
	if d, ok := f["loss_second_rel_diff"].(float64); !ok || d > 1e-3 {
		t.Errorf("second-step losses differ by %v (relative)", f["loss_second_rel_diff"])
	}
	if err := validateFastStyle(Options{Sizes: []int{30}}); err == nil {
		t.Error("a size of 30 was accepted")
	}
}
