package style_test

import (
	"context"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// TestSmoothMatchesPyTorch: the softmax-smoothed activations (at T=1 and
// T=2) and the style loss on them, and their gradients, equal PyTorch's
// written from the paper (softmax over the whole map, times its size).
func TestSmoothMatchesPyTorch(t *testing.T) {
	f1s, f2s := []int{1, 5, 7, 6}, []int{1, 3, 4, 5}
	f1, f2 := torchref.Normal(11, 5*7*6, 1.5), torchref.Normal(12, 3*4*5, 1.5)
	a1, a2 := torchref.Normal(13, 25, 0.3), torchref.Normal(14, 9, 0.3)
	for i := range a1 {
		a1[i] += 2
	}
	in := func(name string, shape []int, d []float32, g bool) torchref.Input {
		return torchref.Input{Name: name, Shape: shape, Data: d, Grad: g}
	}
	const smooth = torchLosses + `
def smooth(f, t=1.0):
    return (f.numel() * torch.softmax(f.reshape(-1) / t, 0)).reshape(f.shape)
`
	cases := []torchref.Case{
		{Name: "smooth", Inputs: []torchref.Input{in("f1", f1s, f1, true)}, Code: smooth + "out = smooth(f1)"},
		{Name: "smooth2", Inputs: []torchref.Input{in("f1", f1s, f1, true)}, Code: smooth + "out = smooth(f1, 2.0)"},
		{Name: "style", Inputs: []torchref.Input{in("f1", f1s, f1, true), in("f2", f2s, f2, true), in("a1", []int{5, 5}, a1, false), in("a2", []int{3, 3}, a2, false)},
			Code: smooth + "loss = 0.7*((gram(smooth(f1)) - a1)**2).mean() + 2.5*((gram(smooth(f2)) - a2)**2).mean(); out = loss.reshape(1)"},
	}
	res := torchref.Run(t, cases)
	param := func(d []float32, shape []int) *autograd.Var {
		return autograd.Param(tensor.FromData(be, append([]float32(nil), d...), shape...), "")
	}
	check := func(name string, out *autograd.Var, seed []float32, leaves map[string]*autograd.Var) {
		t.Helper()
		r := res[name]
		if r == nil {
			t.Fatalf("%s: no reference", name)
		}
		torchref.Compare(t, name, out.Value.Data(), []int{len(r.Out.Data)}, torchref.Array{Shape: []int{len(r.Out.Data)}, Data: r.Out.Data}, torchref.Forward)
		out.BackwardWith(tensor.FromData(be, seed, out.Shape()...))
		for k, v := range leaves {
			torchref.Compare(t, name+" d/d"+k, v.Grad.Data(), v.Shape(), r.Grad[k], torchref.Gradient)
		}
	}
	v1 := param(f1, f1s)
	check("smooth", style.Smooth(v1, 1), torchref.Upstream(len(f1)), map[string]*autograd.Var{"f1": v1})
	v1 = param(f1, f1s)
	check("smooth2", style.Smooth(v1, 2), torchref.Upstream(len(f1)), map[string]*autograd.Var{"f1": v1})
	v1, v2 := param(f1, f1s), param(f2, f2s)
	check("style", style.StyleLoss([]*autograd.Var{style.Smooth(v1, 1), style.Smooth(v2, 1)}, []*tensor.Tensor{tensor.FromData(be, a1, 5, 5), tensor.FromData(be, a2, 3, 3)}, []float32{0.7, 2.5}),
		[]float32{1}, map[string]*autograd.Var{"f1": v1, "f2": v2})
}

// TestSmoothFiniteDifferences: the gradient of the style loss on smoothed
// features equals central differences (float64 arithmetic on the loss
// written out by hand, so the check does not lean on autograd), and the
// smoothed map keeps its shape, is positive and has mean 1.
func TestSmoothFiniteDifferences(t *testing.T) {
	const c, hw = 3, 8
	f := torchref.Normal(21, c*hw, 1)
	tgt := torchref.Normal(22, c*c, 0.5)
	loss := func(x []float64) float64 {
		mx := math.Inf(-1)
		for _, v := range x {
			mx = math.Max(mx, v)
		}
		var z float64
		for _, v := range x {
			z += math.Exp(v - mx)
		}
		s := make([]float64, len(x))
		for i, v := range x {
			s[i] = float64(len(x)) * math.Exp(v-mx) / z
		}
		var l float64
		for i := range c {
			for j := range c {
				var g float64
				for k := range hw {
					g += s[i*hw+k] * s[j*hw+k]
				}
				d := g/float64(c*hw) - float64(tgt[i*c+j])
				l += d * d
			}
		}
		return 0.9 * l / float64(c*c)
	}
	v := autograd.Param(tensor.FromData(be, append([]float32(nil), f...), 1, c, 2, 4), "f")
	sm := style.Smooth(v, 1)
	var mean float64
	for _, x := range sm.Value.Data() {
		if x <= 0 {
			t.Fatalf("smoothed value %g", x)
		}
		mean += float64(x) / float64(c*hw)
	}
	if s := sm.Shape(); len(s) != 4 || s[1] != c || s[3] != 4 || math.Abs(mean-1) > 1e-5 {
		t.Fatalf("smoothed shape %v, mean %g", s, mean)
	}
	l := style.StyleLoss([]*autograd.Var{sm}, []*tensor.Tensor{tensor.FromData(be, tgt, c, c)}, []float32{0.9})
	x := make([]float64, len(f))
	for i, v := range f {
		x[i] = float64(v)
	}
	if d := math.Abs(float64(l.Item()) - loss(x)); d > 1e-5*math.Max(1, loss(x)) {
		t.Fatalf("loss %g, by hand %g", l.Item(), loss(x))
	}
	l.Backward()
	g := v.Grad.Data()
	const h = 1e-5
	for i := range x {
		x0 := x[i]
		x[i] = x0 + h
		lp := loss(x)
		x[i] = x0 - h
		lm := loss(x)
		x[i] = x0
		fd := (lp - lm) / (2 * h)
		if math.Abs(float64(g[i])-fd) > 1e-4+1e-3*math.Abs(fd) {
			t.Errorf("d/df[%d]: autograd %g, central differences %g", i, g[i], fd)
		}
	}
}

// TestSmoothTexture: Gram matching on smoothed activations, at the
// paper's T=1 and at 3 standard deviations of the style's activations,
// lowers its loss tenfold and differs from the plain one; a negative scale
// is an error.
func TestSmoothTexture(t *testing.T) {
	net := refNet(t)
	layers := []style.LayerWeight{{Layer: "relu1", Weight: 1}, {Layer: "relu2", Weight: 1}}
	var imgs [][]float32
	for _, o := range []style.SynthOptions{{}, {Smooth: true}, {Smooth: true, SmoothScale: 3}} {
		o.Options = style.Options{Steps: 150, LR: 0.02}
		r, err := style.Texture(context.Background(), net, stripes(24, 24), []int{3, 20, 20}, layers, o)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("smooth %v scale %g: loss %.4g -> %.4g", o.Smooth, o.SmoothScale, r.LossStart, r.Loss)
		if !(r.Loss*10 < r.LossStart) {
			t.Errorf("smooth %v scale %g: Gram loss %.4g -> %.4g, want a tenfold drop", o.Smooth, o.SmoothScale, r.LossStart, r.Loss)
		}
		imgs = append(imgs, r.Image)
	}
	for k := 1; k < len(imgs); k++ {
		var diff float64
		for i, v := range imgs[0] {
			diff += math.Abs(float64(v - imgs[k][i]))
		}
		if diff/float64(len(imgs[0])) < 1e-3 {
			t.Errorf("smoothing %d did not change the texture", k)
		}
	}
	if _, err := style.Texture(context.Background(), net, stripes(24, 24), []int{3, 20, 20}, layers, style.SynthOptions{Smooth: true, SmoothScale: -1}); err == nil {
		t.Error("a negative smoothing scale was accepted")
	}
}
