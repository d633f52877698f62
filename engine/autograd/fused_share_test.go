package autograd_test

import (
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// TestAddReLUSharedGradient checks the residual sum's backward, whose two
// inputs share one gradient buffer where both are intermediates: a chain of
// residual blocks (the block input also feeds the branch, which adds to its
// gradient after the sum's backward) gives the same gradients, to the bit,
// as ReLU(Add(a, b)), with Backward and with BackwardRelease (which fails
// on a buffer used after it went back to the pool).
func TestAddReLUSharedGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	data := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(r.NormFloat64())
		}
		return s
	}
	shape := []int{2, 3, 4, 5}
	xd, wd, vd := data(120), data(120), data(120)
	type result struct{ x, w, v []float32 }
	run := func(fused, release bool) result {
		x := autograd.Param(tensor.FromData(be, append([]float32(nil), xd...), shape...), "x")
		w := autograd.Param(tensor.FromData(be, append([]float32(nil), wd...), shape...), "w")
		v := autograd.Param(tensor.FromData(be, append([]float32(nil), vd...), shape...), "v")
		add := func(a, b *autograd.Var) *autograd.Var {
			if fused {
				return autograd.AddReLU(a, b)
			}
			return autograd.ReLU(autograd.Add(a, b))
		}
		h := autograd.Tanh(x)
		for range 3 {
			branch := autograd.Mul(autograd.Scale(h, 1.5), w)
			h = add(branch, h)
		}
		h = add(h, v) // a leaf input: no sharing
		h = add(autograd.Tanh(h), autograd.Scale(h, -0.5))
		loss := autograd.Sum(autograd.Square(h))
		if release {
			loss.BackwardRelease()
		} else {
			loss.Backward()
		}
		return result{x.Grad.Data(), w.Grad.Data(), v.Grad.Data()}
	}
	want := run(false, false)
	for _, release := range []bool{false, true} {
		got := run(true, release)
		for name, p := range map[string][2][]float32{"x": {got.x, want.x}, "w": {got.w, want.w}, "v": {got.v, want.v}} {
			for i := range p[1] {
				if p[0][i] != p[1][i] {
					t.Fatalf("release=%v: d%s[%d] = %v, unfused %v", release, name, i, p[0][i], p[1][i])
				}
			}
		}
	}
}
