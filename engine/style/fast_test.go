package style_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/style"
	"github.com/workbench-cv/workbench/engine/tensor"
)

func tinyFast(t *testing.T, styles int) *style.FastNet {
	t.Helper()
	names := []string{"stripes", "dots", "third"}[:styles]
	f, err := style.NewFastNet(be, style.FastConfig{Width: 8, Residual: 1, Styles: styles}, names, 7)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// dots is a second procedural style: bright dots on dark blue.
func dots(h, w int) style.Image {
	x := make([]float32, 3*h*w)
	for y := range h {
		for xx := range w {
			v := float32(0)
			if (y%6-3)*(y%6-3)+(xx%6-3)*(xx%6-3) < 4 {
				v = 1
			}
			x[y*w+xx], x[h*w+y*w+xx], x[2*h*w+y*w+xx] = v, v, 0.5+0.5*v
		}
	}
	return style.Image{Pix: x, Shape: []int{3, h, w}}
}

// TestTrainFastLowersThePerceptualLoss: two styles trained in turns on the
// ref-cnn perceptual network lower the loss by a fifth (random crops:
// the mean of the last steps against the first); the
// checkpoint hook runs; the trained network stylises in one pass into
// [0, 1], different styles and a blend give different images; the
// weights round-trip through LoadFastNet to the same output; a cancelled
// run stops.
func TestTrainFastLowersThePerceptualLoss(t *testing.T) {
	per := refNet(t)
	net := tinyFast(t, 2)
	content := []style.Image{stripes(30, 36), dots(28, 28)}
	for i := range content[0].Pix {
		content[0].Pix[i] = float32(i%17) / 17
	}
	var ckpts, last int
	r, err := style.TrainFast(context.Background(), per, net, []style.Image{stripes(24, 24), dots(24, 24)}, content, style.FastTrainOptions{
		Size: 24, Steps: 150, Batch: 2, LR: 0.02, ContentLayer: "relu2", StyleLayers: []style.LayerWeight{{Layer: "relu1", Weight: 1}, {Layer: "relu2", Weight: 1}},
		StyleWeight: 1e3, TV: 1e-3, Every: 50, Checkpoint: func(int) error { ckpts++; return nil }, Progress: func(s style.FastStep) { last = s.Step }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("loss %.4g -> %.4g in %.1fs", r.LossStart, r.Loss, r.Seconds)
	if !(r.Loss < 0.8*r.LossStart) || ckpts != 3 || last != 150 {
		t.Errorf("loss %.4g -> %.4g, %d checkpoints, last step %d", r.LossStart, r.Loss, ckpts, last)
	}
	img := stripes(20, 28)
	outs := map[string][]float32{}
	for name, bl := range map[string][]float64{"first": nil, "second": {0, 1}, "blend": {1, 1}} {
		o, err := net.Stylise(img, bl)
		if err != nil {
			t.Fatal(err)
		}
		inUnit(t, o.Pix)
		if o.Shape[1] != 20 || o.Shape[2] != 28 {
			t.Fatalf("stylised shape %v", o.Shape)
		}
		outs[name] = o.Pix
	}
	if d := maxDiff(outs["first"], outs["second"]); d < 1e-3 {
		t.Errorf("the two styles give the same image (max difference %g)", d)
	}
	if maxDiff(outs["blend"], outs["first"]) < 1e-4 || maxDiff(outs["blend"], outs["second"]) < 1e-4 {
		t.Error("a 50/50 blend equals one of the styles")
	}
	back, err := style.LoadFastNet(be, net.Model.Graph, net.Weights(), style.FastStyleNames(map[string]string{style.FastStyleKey: style.FastStyleString(net.Styles)}))
	if err != nil {
		t.Fatal(err)
	}
	o, err := back.Stylise(img, []float64{0, 1})
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(o.Pix, outs["second"]); d != 0 || back.Styles[1] != "dots" {
		t.Errorf("reloaded network differs by %g; styles %v", d, back.Styles)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := style.TrainFast(ctx, per, net, []style.Image{stripes(24, 24), dots(24, 24)}, content, style.FastTrainOptions{Size: 24, Steps: 5,
		ContentLayer: "relu2", StyleLayers: []style.LayerWeight{{Layer: "relu1", Weight: 1}}}); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled run returned %v", err)
	}
}

// TestFastRejectsBadInput: wrong blends, sizes and layers are refused
// with an error, not a panic.
func TestFastRejectsBadInput(t *testing.T) {
	net := tinyFast(t, 2)
	img := stripes(20, 20)
	for _, bl := range [][]float64{{1}, {-1, 2}, {0, 0}, {math.NaN(), 1}} {
		if _, err := net.Stylise(img, bl); err == nil {
			t.Errorf("blend %v accepted", bl)
		}
	}
	if _, err := net.Stylise(stripes(21, 20), nil); err == nil {
		t.Error("a 21-pixel side accepted")
	}
	per := refNet(t)
	if _, err := style.TrainFast(context.Background(), per, net, []style.Image{stripes(24, 24), dots(24, 24)}, []style.Image{dots(24, 24)},
		style.FastTrainOptions{Size: 24, Steps: 1, ContentLayer: "nope", StyleLayers: []style.LayerWeight{{Layer: "relu1", Weight: 1}}}); err == nil {
		t.Error("an unknown content layer accepted")
	}
	if _, err := style.LoadFastNet(be, per.Model.Graph, nil, []string{"x"}); err == nil {
		t.Error("a classifier loaded as a fast-style network")
	}
}

func maxDiff(a, b []float32) float64 {
	var m float64
	for i := range a {
		m = max(m, math.Abs(float64(a[i]-b[i])))
	}
	return m
}

// spread is the largest difference between two pixels of the same channel.
func spread(img style.Image) float64 {
	hw := img.Shape[1] * img.Shape[2]
	var m float64
	for c := range img.Shape[0] {
		ch := img.Pix[c*hw : (c+1)*hw]
		lo, hi := ch[0], ch[0]
		for _, v := range ch {
			lo, hi = min(lo, v), max(hi, v)
		}
		m = max(m, float64(hi-lo))
	}
	return m
}

// TestFastNetPadsByReflection: a new network pads every convolution by
// reflection, so on a flat grey photo the first convolution's output is
// flat to the rounding (zero padding makes its borders differ from its
// middle, and the stylised image shows it); a network with zero-padded
// convolutions (saved before reflection padding) reloads from its graph
// as it was, giving the same pixels; sides under 8 are refused.
//
// The stylised image itself is not flat to the rounding with either
// padding: an instance norm over a plane that is constant but for one
// ulp divides that ulp by sqrt(eps) (about 300x), and five of them in a
// row make it order one. Whether the first convolution's output is
// constant to the last bit depends on the library's kernels (with
// OpenBLAS's Haswell kernels on a Zen 5, its two column blocks differ by
// one ulp), so the test looks at it with a tolerance.
func TestFastNetPadsByReflection(t *testing.T) {
	net := tinyFast(t, 1)
	pads, convs := 0, 0
	for _, n := range net.Model.Graph.Nodes {
		switch n.Op {
		case "reflectpad2d":
			pads++
		case "conv2d":
			convs++
			if n.IntAttr("pad", -1) != 0 {
				t.Errorf("%s pads by %d with zeros", n.ID, n.IntAttr("pad", -1))
			}
		}
	}
	if pads != convs || convs != 8 || net.Config.Padding != style.PadReflect {
		t.Fatalf("%d reflection pads for %d convolutions, padding %q", pads, convs, net.Config.Padding)
	}
	old, err := style.NewFastNet(be, style.FastConfig{Width: 8, Residual: 1, Styles: 1, Padding: style.PadZeros}, []string{"stripes"}, 7)
	if err != nil {
		t.Fatal(err)
	}
	// The same weights (the parameters have the same names).
	back, err := style.LoadFastNet(be, net.Model.Graph, old.Weights(), []string{"stripes"})
	if err != nil {
		t.Fatal(err)
	}
	grey := style.Image{Pix: make([]float32, 3*24*24), Shape: []int{3, 24, 24}}
	for i := range grey.Pix {
		grey.Pix[i] = 0.5
	}
	a, err := back.Stylise(grey, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := old.Stylise(grey, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("flat grey: reflection-padded output spread %.3g, zero-padded %.3g", spread(a), spread(b))
	if spread(b) < 1e-2 {
		t.Errorf("flat grey stylises to a spread of %.3g with zero padding: no border to see", spread(b))
	}
	// The first convolution's output, relative to its size.
	firstConv := func(f *style.FastNet) float64 {
		x := autograd.Const(tensor.FromData(be, slices.Clone(grey.Pix), 1, 3, 24, 24))
		y := f.Model.Forward(&nn.Ctx{NoGrad: true, Style: []float32{1}, Stop: "conv1"}, x)
		d := y.Value.Data()
		size := 0.0
		for _, v := range d {
			size = max(size, math.Abs(float64(v)))
		}
		return spread(style.Image{Pix: d, Shape: y.Shape()[1:]}) / size
	}
	r, z := firstConv(back), firstConv(old)
	t.Logf("flat grey: the first convolution's output spreads by %.3g of its size with reflection padding, %.3g with zeros", r, z)
	if r > 1e-5 || z < 1e-2 {
		t.Errorf("on flat grey the first convolution's output spreads by %.3g of its size with reflection padding (want rounding only), %.3g with zeros", r, z)
	}
	// A zero-padded network reloads as it was saved.
	reloaded, err := style.LoadFastNet(be, old.Model.Graph, old.Weights(), []string{"stripes"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := reloaded.Stylise(grey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if reloaded.Config.Padding != style.PadZeros || maxDiff(c.Pix, b.Pix) != 0 {
		t.Errorf("the zero-padded network reloads with %q padding, differing by %g", reloaded.Config.Padding, maxDiff(c.Pix, b.Pix))
	}
	if _, err := net.Stylise(style.Image{Pix: make([]float32, 3*4*8), Shape: []int{3, 4, 8}}, nil); err == nil || !strings.Contains(err.Error(), "at least 8") {
		t.Errorf("a 4-pixel side: %v", err)
	}
	if _, err := reloaded.Stylise(style.Image{Pix: make([]float32, 3*4*8), Shape: []int{3, 4, 8}}, nil); err != nil {
		t.Errorf("the zero-padded network refuses a 4-pixel side: %v", err)
	}
}
