package autograd_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// A profile attributes forward time to the layer that ran and backward
// time to the layer that made each op; a convolution names its path.
func TestProfileAttributesLayersAndConvPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	rnd := func(shape ...int) *tensor.Tensor {
		v := make([]float32, tensor.Numel(shape))
		for i := range v {
			v[i] = float32(rng.NormFloat64())
		}
		return tensor.FromData(be, v, shape...)
	}
	x := autograd.Const(rnd(2, 64, 9, 9))
	w := autograd.Param(rnd(64, 64, 3, 3), "w") // enough weights for the whole-batch path
	p := autograd.StartProfile()
	end := autograd.ProfileBegin("conv")
	y := autograd.Conv2d(x, w, nil, autograd.ConvOpts{Pad: [2]int{1, 1}})
	end()
	end = autograd.ProfileBegin("relu")
	r := autograd.ReLU(y)
	end()
	autograd.Sum(r).Backward()
	p.Stop()
	if autograd.Profiling() {
		t.Fatal("autograd.Profiling() after Stop")
	}
	rows := map[string]autograd.ProfileRow{}
	for _, row := range p.Rows() {
		rows[row.Kind] = row
	}
	conv, ok := rows["conv 3x3 batched im2col"]
	if !ok {
		t.Fatalf("no row for the convolution's path in %+v", p.Rows())
	}
	if conv.Calls != 1 || !(conv.Forward > 0) || !(conv.Backward > 0) {
		t.Errorf("conv row %+v: want 1 call with forward and backward time", conv)
	}
	if rl := rows["relu"]; rl.Calls != 1 || !(rl.Backward > 0) {
		t.Errorf("relu row %+v: want 1 call with backward time", rl)
	}
	if _, ok := rows["conv"]; ok {
		t.Errorf("the generic conv label survived the path's: %+v", p.Rows())
	}
	if tab := p.Table(); !strings.Contains(tab, "conv 3x3 batched im2col") || !strings.Contains(tab, "total") {
		t.Errorf("table:\n%s", tab)
	}
	// Nothing is recorded once stopped.
	end = autograd.ProfileBegin("relu")
	autograd.ReLU(y)
	end()
	for _, row := range p.Rows() {
		if row.Kind == "relu" && row.Calls != 1 {
			t.Errorf("a stopped profile recorded a call: %+v", row)
		}
	}
}
