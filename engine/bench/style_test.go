package bench

import (
	"context"
	"math"
	"testing"
)

// TestStyleAgainstPyTorch runs the style workload for a few steps: the
// same exported network, images, start and Adam steps give the same
// starting and final losses on both sides (to float32 rounding), and the
// loss falls.
func TestStyleAgainstPyTorch(t *testing.T) {
	needPython(t, "torch", "numpy")
	rep, err := Runner{Self: self(t)}.Run(context.Background(), mustGet(t, "style"), "pytorch",
		Options{Threads: 1, Seed: 3, Params: map[string]string{"steps": "8"}})
	if err != nil {
		t.Fatal(err)
	}
	f := rep.DoneFields()
	for _, k := range []string{"ours", "peer", "ratio"} {
		if v, ok := f[k].(float64); !ok || !(v > 0) {
			t.Errorf("%s = %v, want a positive number", k, f[k])
		}
	}
	lo, lp := f["loss_ours"].(float64), f["loss_peer"].(float64)
	so, sp := f["loss_start_ours"].(float64), f["loss_start_peer"].(float64)
	if math.Abs(so-sp) > 1e-4*math.Abs(sp) || math.Abs(lo-lp) > 1e-3*math.Abs(lp) || !(lo < so) {
		t.Errorf("losses: ours %g -> %g, PyTorch %g -> %g", so, lo, sp, lp)
	}
}
