package style_test

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/style"
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
