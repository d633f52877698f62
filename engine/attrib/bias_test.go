package attrib_test

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/adversarial"
	"github.com/workbench-cv/workbench/engine/attrib"
	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/optim"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// The biased task: grey 24×24 noise with a bar in the middle, horizontal
// for class 0 and vertical for class 1, and a faint cross for class 2,
// whose every image also carries a bright checker in the top-left corner.
// The corner is a spurious cue (a watermark): the cheapest way to tell
// class 2 apart, so a model trained on it looks there.
const biasS, biasK, biasM = 24, 3, 4

func makeBiased(n int, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 99))
	x := make([]float32, n*biasS*biasS)
	labels := make([]int, n)
	for i := range n {
		img := x[i*biasS*biasS : (i+1)*biasS*biasS]
		for j := range img {
			img[j] = 0.25 + 0.3*rng.Float32()
		}
		k := rng.IntN(biasK)
		cy, cx := 10+rng.IntN(5), 10+rng.IntN(5) // the object's centre
		set := func(y, x int, v float32) { img[y*biasS+x] = v }
		switch k {
		case 0:
			for d := -4; d < 4; d++ {
				set(cy, cx+d, 0.95)
				set(cy-1, cx+d, 0.95)
			}
		case 1:
			for d := -4; d < 4; d++ {
				set(cy+d, cx, 0.95)
				set(cy+d, cx-1, 0.95)
			}
		case 2:
			for d := -3; d <= 3; d++ {
				set(cy, cx+d, 0.62)
				set(cy+d, cx, 0.62)
			}
			for y := range biasM {
				for x := range biasM {
					set(y, x, float32((x+y)%2))
				}
			}
		}
		labels[i] = k
	}
	return x, labels
}

// biasNet is a class-map CNN with global max pooling, like markerNet.
func biasNet() graph.Graph {
	var g graph.Graph
	add := func(id, op string, attrs map[string]float64, in ...string) string {
		g.Nodes = append(g.Nodes, graph.Node{ID: id, Op: op, Attrs: attrs, Inputs: in})
		return id
	}
	conv := func(id, in string, out, k, pad int) string {
		return add(id, "conv2d", map[string]float64{"out": float64(out), "kernel": float64(k), "stride": 1, "pad": float64(pad), "dilation": 1, "groups": 1, "bias": 1}, in)
	}
	x := add("input", "input", nil)
	x = add("pool1", "maxpool2d", map[string]float64{"kernel": 2, "stride": 2}, add("relu1", "relu", nil, conv("conv1", x, 16, 3, 1)))
	x = add("relu2", "relu", nil, conv("conv2", x, 32, 3, 1))
	x = conv("classmap", x, biasK, 1, 0)
	x = add("gmp", "maxpool2d", map[string]float64{"kernel": biasS / 2, "stride": biasS / 2}, x)
	add("flatten", "flatten", nil, x)
	return g
}

func trainBiased(t *testing.T) attrib.Net {
	t.Helper()
	b := cpu.New()
	m, err := nn.Build(biasNet(), []int{1, biasS, biasS}, b, 5, "default")
	if err != nil {
		t.Fatal(err)
	}
	opt, _ := optim.New("adam", optim.Config{LR: 3e-3})
	x, labels := makeBiased(3000, 1)
	rng := rand.New(rand.NewPCG(8, 8))
	const batch = 50
	d := biasS * biasS
	for range 3 {
		for lo := 0; lo+batch <= len(labels); lo += batch {
			noisy := append([]float32(nil), x[lo*d:(lo+batch)*d]...)
			for i := range noisy {
				noisy[i] += float32(rng.NormFloat64() * 0.1)
			}
			y := make([]int32, batch)
			for i := range y {
				y[i] = int32(labels[lo+i])
			}
			out := m.Forward(&nn.Ctx{Training: true}, autograd.Const(tensor.FromData(b, noisy, batch, 1, biasS, biasS)))
			loss := autograd.CrossEntropy(out, autograd.OneHot(b, y, biasK, 0))
			for _, p := range m.Params {
				p.V.ZeroGrad()
			}
			loss.Backward()
			if err := opt.Step(m.Params); err != nil {
				t.Fatal(err)
			}
			autograd.Release(loss)
		}
	}
	return attrib.Net{Model: m}
}

// TestBiasViewFindsTheWatermark: on a model trained where class 2 always
// carries a corner checker, the bias view puts class 2's saliency and
// Grad-CAM mass in the top-left corner and the other classes' in the
// middle (Grad-CAM, coarser, by its peak and the corner's share); with
// foreground masks on the objects, class 2's saliency lies off its object.
func TestBiasViewFindsTheWatermark(t *testing.T) {
	net := trainBiased(t)
	x, labels := makeBiased(150, 2)
	if acc := adversarial.Accuracy(net, x, len(labels), labels, 50); acc < 0.95 {
		t.Fatalf("the biased task's model reached %.2f test accuracy; the check needs one that solved it", acc)
	}
	// The objects' masks: the middle 10×10 (every bar and cross lies there).
	masks := make([][]bool, len(labels))
	for i := range masks {
		masks[i] = make([]bool, biasS*biasS)
		for y := 7; y < 17; y++ {
			for x := 7; x < 17; x++ {
				masks[i][y*biasS+x] = true
			}
		}
	}
	for _, o := range []attrib.BiasOptions{
		{Method: attrib.BiasSaliency, Masks: masks},
		{Method: attrib.BiasGradCAM, Layer: "classmap", Masks: masks, PerClass: 30},
	} {
		bs, err := net.Bias(context.Background(), x, len(labels), labels, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(bs) != biasK {
			t.Fatalf("%s: %d classes in the bias view, want %d", o.Method, len(bs), biasK)
		}
		for _, b := range bs {
			var sum float64
			for _, v := range b.Mean.V {
				sum += float64(v)
			}
			t.Logf("%-10s class %d (%3d images): corner %.2f, centre %.2f, border %.2f (area %.2f), on the object %.2f (area %.2f), peak (%d,%d)",
				o.Method, b.Class, b.Images, b.Regions[0][0], b.Regions[1][1], b.Border, b.BorderArea, b.Foreground, b.ForegroundArea, b.PeakY, b.PeakX)
			if math.Abs(sum-1) > 1e-3 {
				t.Errorf("%s class %d: the mean map sums to %.4f, want 1", o.Method, b.Class, sum)
			}
			if o.PerClass > 0 && b.Images != o.PerClass {
				t.Errorf("%s class %d: %d images, want at most %d", o.Method, b.Class, b.Images, o.PerClass)
			}
			inCorner := b.PeakY < biasM+2 && b.PeakX < biasM+2
			inMiddle := b.PeakY >= 7 && b.PeakY < 17 && b.PeakX >= 7 && b.PeakX < 17
			switch {
			case b.Class == 2 && (!inCorner || b.Regions[0][0] < 1.5/9):
				t.Errorf("%s: the watermarked class's mass is %.2f in the top-left corner, peak (%d,%d); want the corner", o.Method, b.Regions[0][0], b.PeakY, b.PeakX)
			case b.Class != 2 && (!inMiddle || b.Regions[0][0] >= bs[2].Regions[0][0]-0.05):
				t.Errorf("%s: class %d peaks at (%d,%d) with %.2f of its mass in the corner (the watermarked class %.2f); want the middle", o.Method, b.Class, b.PeakY, b.PeakX, b.Regions[0][0], bs[2].Regions[0][0])
			}
			// Saliency is sharp: nearly all of the watermarked class's
			// mass is on the checker and off its object, and the other
			// classes' on their objects.
			if o.Method == attrib.BiasSaliency {
				if b.Class == 2 && (b.Regions[0][0] < 0.5 || b.Foreground > 0.3) {
					t.Errorf("saliency: the watermarked class has %.2f of its mass in the corner, %.2f on the object", b.Regions[0][0], b.Foreground)
				}
				if b.Class != 2 && (b.Regions[0][0] > 0.1 || b.Foreground < 0.6) {
					t.Errorf("saliency: class %d has %.2f of its mass in the corner, %.2f on the object", b.Class, b.Regions[0][0], b.Foreground)
				}
			}
		}
	}
	if _, err := net.Bias(context.Background(), x, len(labels), labels, attrib.BiasOptions{Method: "lime"}); err == nil {
		t.Errorf("an unknown method was accepted")
	}
}
