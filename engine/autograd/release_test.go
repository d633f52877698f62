package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// TestBackwardReleaseMatchesBackward runs one small conv / BatchNorm /
// GELU / pool / reshape / linear step twice, once with Backward + Release
// and once with BackwardRelease: the parameter gradients must be
// identical, the frozen weight and the input must survive, and the
// intermediates must be freed.
func TestBackwardReleaseMatchesBackward(t *testing.T) {
	b := cpu.New()
	r := rand.New(rand.NewPCG(7, 8))
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	xd, w0d, w1d, fcd := rnd(2*3*6*6), rnd(4*3*2*2), rnd(5*4*3*3), rnd(3*5*2*2)
	run := func(fused bool) (grads [][]float32, x, w0 *Var, mid *Var) {
		x = Const(tensor.FromData(b, xd, 2, 3, 6, 6))
		w0 = Const(tensor.FromData(b, w0d, 4, 3, 2, 2)) // frozen, like airbench's whitening
		w1 := Param(tensor.FromData(b, w1d, 5, 4, 3, 3), "w1")
		fc := Param(tensor.FromData(b, fcd, 3, 5*2*2), "fc")
		gamma := Param(tensor.Full(b, 1, 5), "gamma")
		beta := Param(tensor.New(b, 5), "beta")
		st := &BatchNormState{Mean: tensor.New(b, 5), Var: tensor.Full(b, 1, 5), Momentum: 0.4}
		h := GELU(Conv2d(x, w0, nil, ConvOpts{Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Groups: 1}))
		h = Conv2d(h, w1, nil, ConvOpts{Stride: [2]int{1, 1}, Pad: [2]int{1, 1}, Dilation: [2]int{1, 1}, Groups: 1})
		mid = h
		h = GELU(BatchNorm(MaxPool2d(h, PoolOpts{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}), gamma, beta, st, true))
		logits := Scale(Linear(Flatten(h), fc, nil), 1.0/9)
		loss := Scale(CrossEntropy(logits, OneHot(b, []int32{0, 2}, 3, 0.2)), 2)
		if fused {
			loss.BackwardRelease()
		} else {
			loss.Backward()
			Release(loss)
		}
		for _, p := range []*Var{w1, fc, gamma, beta} {
			grads = append(grads, p.Grad.Data())
		}
		return grads, x, w0, mid
	}
	want, _, _, _ := run(false)
	got, x, w0, mid := run(true)
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Fatalf("gradient %d[%d]: BackwardRelease %g, Backward %g", i, j, got[i][j], want[i][j])
			}
		}
	}
	if d := x.Value.Data(); d[5] != xd[5] {
		t.Error("the input batch was freed")
	}
	if d := w0.Value.Data(); d[3] != w0d[3] {
		t.Error("the frozen weight was freed")
	}
	if buf := mid.Value.Buf.(*cpu.Buf); buf.D != nil {
		t.Error("an intermediate activation was not freed")
	}
}
