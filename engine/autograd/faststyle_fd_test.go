package autograd_test

import (
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// fdCheck compares the gradient of L = Σ f(inputs)·w (w fixed) with respect
// to every input with central finite differences, in float32 with a step
// large enough for its resolution.
func fdCheck(t *testing.T, name string, f func(v []*autograd.Var) *autograd.Var, shapes ...[]int) {
	t.Helper()
	data := make([][]float32, len(shapes))
	for i, s := range shapes {
		data[i] = torchref.Normal(uint64(100+i), tensor.Numel(s), 1)
	}
	loss := func(grad bool) (float64, []*autograd.Var) {
		vs := make([]*autograd.Var, len(shapes))
		for i, s := range shapes {
			vs[i] = autograd.Param(tensor.FromData(be, append([]float32(nil), data[i]...), s...), "")
		}
		out := f(vs)
		w := torchref.Upstream(out.Value.Len())
		var l float64
		for j, v := range out.Value.Data() {
			l += float64(v) * float64(w[j])
		}
		if grad {
			out.BackwardWith(tensor.FromData(be, w, out.Shape()...))
		}
		return l, vs
	}
	_, vs := loss(true)
	const h = 1e-2
	for i := range shapes {
		g := vs[i].Grad.Data()
		for _, j := range []int{0, len(g) / 3, len(g) / 2, len(g) - 1} {
			old := data[i][j]
			data[i][j] = old + h
			up, _ := loss(false)
			data[i][j] = old - h
			down, _ := loss(false)
			data[i][j] = old
			fd := (up - down) / (2 * h)
			if math.Abs(fd-float64(g[j])) > 2e-3+2e-2*math.Abs(fd) {
				t.Errorf("%s: d/d input %d [%d]: gradient %.5g, finite difference %.5g", name, i, j, g[j], fd)
			}
		}
	}
}

// TestFastStyleOpsFiniteDifferences: the fused instance norm (shared and
// per-image affine), nearest upsampling and the batched Gram matrix have
// the gradients central differences give.
func TestFastStyleOpsFiniteDifferences(t *testing.T) {
	fdCheck(t, "instancenormaffine", func(v []*autograd.Var) *autograd.Var {
		return autograd.InstanceNormAffine(v[0], v[1], v[2], 1e-5)
	}, []int{2, 3, 4, 5}, []int{3}, []int{3})
	fdCheck(t, "instancenormaffine/per-image", func(v []*autograd.Var) *autograd.Var {
		return autograd.InstanceNormAffine(v[0], v[1], v[2], 1e-5)
	}, []int{2, 3, 4, 5}, []int{2, 3}, []int{2, 3})
	fdCheck(t, "upsamplenearest2d", func(v []*autograd.Var) *autograd.Var { return autograd.UpsampleNearest2d(v[0], 3) }, []int{1, 2, 3, 4})
	fdCheck(t, "batchgram", func(v []*autograd.Var) *autograd.Var { return autograd.BatchGram(v[0]) }, []int{3, 4, 5, 6})
}

// TestConv2dFewOutMatchesConv2d: the kn2row convolution gives Conv2d's
// values and gradients (batch of 3, odd sizes, asymmetric padding), and
// FewOutputs picks only the cases it handles.
func TestConv2dFewOutMatchesConv2d(t *testing.T) {
	xs, ws := []int{3, 8, 9, 7}, []int{2, 8, 3, 5}
	o := autograd.ConvOpts{Pad: [2]int{1, 0}}
	run := func(f func(x, w, b *autograd.Var) *autograd.Var) (out []float32, grads [][]float32) {
		x := autograd.Param(tensor.FromData(be, torchref.Normal(1, tensor.Numel(xs), 1), xs...), "x")
		w := autograd.Param(tensor.FromData(be, torchref.Normal(2, tensor.Numel(ws), 0.3), ws...), "w")
		b := autograd.Param(tensor.FromData(be, torchref.Normal(3, 2, 1), 2), "b")
		y := f(x, w, b)
		y.BackwardWith(tensor.FromData(be, torchref.Upstream(y.Value.Len()), y.Shape()...))
		return y.Value.Data(), [][]float32{x.Grad.Data(), w.Grad.Data(), b.Grad.Data()}
	}
	want, wg := run(func(x, w, b *autograd.Var) *autograd.Var { return autograd.Conv2d(x, w, b, o) })
	got, gg := run(func(x, w, b *autograd.Var) *autograd.Var { return autograd.Conv2dFewOut(x, w, b, o) })
	cmp := func(what string, a, b []float32) {
		for i := range a {
			if math.Abs(float64(a[i]-b[i])) > 1e-4+1e-4*math.Abs(float64(b[i])) {
				t.Fatalf("%s[%d]: %g, Conv2d %g", what, i, a[i], b[i])
			}
		}
	}
	cmp("output", got, want)
	for i, name := range []string{"dx", "dw", "db"} {
		cmp(name, gg[i], wg[i])
	}
	if !autograd.FewOutputs(xs, ws, o) || autograd.FewOutputs(xs, []int{4, 8, 3, 3}, o) ||
		autograd.FewOutputs(xs, ws, autograd.ConvOpts{Stride: [2]int{2, 2}}) || autograd.FewOutputs(xs, []int{2, 8, 1, 1}, o) {
		t.Error("FewOutputs chose wrongly")
	}
}
