package style_test

import (
	"context"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/data"
	"github.com/workbench-cv/workbench/engine/models"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/style"
)

// refNet is ref-cnn with seeded random weights and ImageNet-like channel
// statistics, built for 3×24×24 images.
func refNet(t *testing.T) attrib.Net {
	t.Helper()
	in := []int{3, 24, 24}
	g, err := models.Graph("ref-cnn", in, 10)
	if err != nil {
		t.Fatal(err)
	}
	m, err := nn.Build(g, in, be, 3, "default")
	if err != nil {
		t.Fatal(err)
	}
	st := &data.Stats{Norm: data.NormChannelStd, C: 3, H: 24, W: 24, Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}}
	return attrib.Net{Model: m, Stats: st}
}

// stripes is a procedural texture: coloured diagonal stripes.
func stripes(h, w int) style.Image {
	x := make([]float32, 3*h*w)
	for y := range h {
		for xx := range w {
			v := float32(0.5 + 0.5*math.Sin(float64(xx+y)*0.9))
			x[y*w+xx], x[h*w+y*w+xx], x[2*h*w+y*w+xx] = v, 1-v, 0.3
		}
	}
	return style.Image{Pix: x, Shape: []int{3, h, w}}
}

func inUnit(t *testing.T, x []float32) {
	t.Helper()
	for _, v := range x {
		if v < 0 || v > 1 || math.IsNaN(float64(v)) {
			t.Fatalf("pixel %v outside [0, 1]", v)
		}
	}
}

// TestTextureLowersGramLoss: Gram matching from noise, at a size other than
// the model's, lowers the style loss at least tenfold with Adam and with
// L-BFGS, and hands back iterates.
func TestTextureLowersGramLoss(t *testing.T) {
	net := refNet(t)
	layers := []style.LayerWeight{{Layer: "relu1", Weight: 1}, {Layer: "relu2", Weight: 1}}
	steps, lr := map[bool]int{false: 150, true: 30}, map[bool]float64{false: 0.02, true: 1}
	for _, lb := range []bool{false, true} {
		var frames int
		r, err := style.Texture(context.Background(), net, stripes(24, 24), []int{3, 20, 20}, layers, style.SynthOptions{
			Options: style.Options{Steps: steps[lb], LR: lr[lb], Every: steps[lb] / 3, Iterate: func(int, []float32, []int) { frames++ }}, LBFGS: lb})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("L-BFGS %v: loss %.4g -> %.4g", lb, r.LossStart, r.Loss)
		if !(r.Loss*10 < r.LossStart) {
			t.Errorf("L-BFGS %v: Gram loss %.4g -> %.4g, want a tenfold drop", lb, r.LossStart, r.Loss)
		}
		if frames != 4 || len(r.Image) != 3*20*20 {
			t.Errorf("%d iterates, image of %d values", frames, len(r.Image))
		}
		inUnit(t, r.Image)
	}
}

// TestInvertAndTransferLowerTheirLosses: inversion from noise with TV and
// style transfer from the content image both lower their loss.
func TestInvertAndTransferLowerTheirLosses(t *testing.T) {
	net := refNet(t)
	content := stripes(24, 24)
	for i := range content.Pix[:24*24] {
		content.Pix[i] = float32(i%24) / 24
	}
	r, err := style.Invert(context.Background(), net, content, "relu2", style.SynthOptions{Options: style.Options{Steps: 60}, TV: 0.01})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("invert: %.4g -> %.4g", r.LossStart, r.Loss)
	if !(r.Loss*5 < r.LossStart) {
		t.Errorf("inversion loss %.4g -> %.4g, want a fivefold drop", r.LossStart, r.Loss)
	}
	sty := []style.Image{stripes(24, 24), stripes(20, 20)}
	r, err = style.Transfer(context.Background(), net, content, sty, style.TransferOptions{SynthOptions: style.SynthOptions{Options: style.Options{Steps: 100}, TV: 0.01},
		ContentLayer: "relu2", StyleLayers: []style.LayerWeight{{Layer: "relu1", Weight: 1}, {Layer: "relu2", Weight: 0.5}}, Blend: []float64{0.7, 0.3}})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("transfer: %.4g -> %.4g", r.LossStart, r.Loss)
	if !(r.Loss < 0.7*r.LossStart) {
		t.Errorf("transfer loss %.4g -> %.4g, want a drop of 30%%", r.LossStart, r.Loss)
	}
	inUnit(t, r.Image)
	if _, err := style.Transfer(context.Background(), net, content, sty, style.TransferOptions{ContentLayer: "nope", StyleLayers: []style.LayerWeight{{Layer: "relu1", Weight: 1}}}); err == nil {
		t.Error("an unknown content layer was accepted")
	}
}

// TestDreamRaisesTheEnergy: DeepDream over two octaves raises the layer's
// energy, keeps the image's shape and reports progress to the end.
func TestDreamRaisesTheEnergy(t *testing.T) {
	net := refNet(t)
	img := stripes(28, 28)
	last := 0
	r, err := style.Dream(context.Background(), net, img.Pix, img.Shape, style.DreamOptions{Options: style.Options{Steps: 10, LR: 0.02, Jitter: 2,
		Progress: func(d, total int) { last = d }}, Layer: "relu2", Octaves: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("dream: %.4g -> %.4g", r.LossStart, r.Loss)
	if !(r.Loss > 1.5*r.LossStart) || len(r.Image) != len(img.Pix) || last != 20 || r.Steps != 20 {
		t.Errorf("energy %.4g -> %.4g, %d values, progress %d, steps %d", r.LossStart, r.Loss, len(r.Image), last, r.Steps)
	}
	inUnit(t, r.Image)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := style.Dream(ctx, net, img.Pix, img.Shape, style.DreamOptions{Layer: "relu2"}); err == nil {
		t.Error("a cancelled dream finished")
	}
}

// TestLossHearsEveryStep: Options.Loss gets one loss per step, the first
// equal to the loss before any step for descent (the start is evaluated
// once more) and rising for DeepDream.
func TestLossHearsEveryStep(t *testing.T) {
	net := refNet(t)
	var steps []int
	var losses []float64
	o := style.Options{Steps: 12, LR: 0.05, Loss: func(s int, l float64) { steps = append(steps, s); losses = append(losses, l) }}
	r, err := style.Texture(context.Background(), net, stripes(24, 24), []int{3, 16, 16},
		[]style.LayerWeight{{Layer: "relu1", Weight: 1}}, style.SynthOptions{Options: o})
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 12 || steps[0] != 1 || steps[11] != 12 || losses[0] != r.LossStart || !(losses[11] < losses[0]) {
		t.Fatalf("steps %v losses %v (start %v)", steps, losses, r.LossStart)
	}
	steps, losses = nil, nil
	d, err := style.Dream(context.Background(), net, stripes(24, 24).Pix, []int{3, 24, 24},
		style.DreamOptions{Options: o, Layer: "relu2", Octaves: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(losses) != 24 || steps[23] != 24 || !(losses[11] > losses[0]) || d.Steps != 24 {
		t.Fatalf("dream: steps %v losses %v", steps, losses)
	}
}
