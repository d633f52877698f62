package models

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// The wider zoo computes what torchvision computes, with copied weights and
// BatchNorm statistics, in evaluation mode: the mobile networks at 64x64
// (hard-swish, hard-sigmoid, SiLU, squeeze-and-excitation as 1x1
// convolutions, channel split and shuffle; SqueezeNet's ceil-mode pools
// meet odd sides there, so they agree with these floor-mode ones), and
// Inception v3 at 75x75, the smallest input it takes (factorised 1x7/7x1
// and 1x3/3x1 kernels, the unpadded reductions).
func TestWiderZooMatchesTorchvision(t *testing.T) {
	matchTorchvision(t, []string{"squeezenet1_1", "shufflenet_v2_x1_0", "mobilenet_v3_large", "efficientnet_b0", "mnasnet1_0"},
		[]int{3, 64, 64}, 10)
	if testing.Short() {
		t.Log("inception_v3 (writes 95 MB of weights for python) skipped with -short")
		return
	}
	matchTorchvision(t, []string{"inception_v3"}, []int{3, 75, 75}, 10)
}

// torchvision's inception_v3 has, by default, an auxiliary classifier on
// Mixed_6e that only training uses (aux_logits=True); a Workbench graph has
// one output, so the zoo's model is torchvision's with aux_logits=False.
// The difference from the default count is exactly the AuxLogits head.
func TestInceptionV3AuxLogitsAccounted(t *testing.T) {
	out := runPython(t, `
m = M.inception_v3(weights=None, init_weights=False)
json.dump({"default": sum(p.numel() for p in m.parameters()),
           "aux": sum(p.numel() for p in m.AuxLogits.parameters())}, sys.stdout)
`, nil)
	var ref struct{ Default, Aux int64 }
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatalf("python output: %v: %.200s", err, out)
	}
	g, err := Graph("inception_v3", []int{3, 299, 299}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Summarize(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Params != ref.Default-ref.Aux {
		t.Errorf("inception_v3: %d parameters; torchvision's default %d less AuxLogits %d is %d", s.Params, ref.Default, ref.Aux, ref.Default-ref.Aux)
	}
	t.Logf("inception_v3: %d parameters = torchvision default %d - AuxLogits %d", s.Params, ref.Default, ref.Aux)
}

// The mobile squeeze-and-excitation blocks of the palette: torchvision's
// SqueezeExcitation shapes, wired between a layer and its consumers.
func TestMobileSEBlock(t *testing.T) {
	for _, c := range []struct {
		style   string
		squeeze int
		act     string
		gate    string
	}{{"mobilenet_v3", 24, "relu", "hardsigmoid"}, {"efficientnet", 18, "silu", "sigmoid"}} {
		g, err := Graph("ref-cnn", []int{1, 28, 28}, 10)
		if err != nil {
			t.Fatal(err)
		}
		// conv1 has 32 channels; give it 72 (mobilenet_v3's 72/4 = 18 rounds up to 24).
		g.Find("conv1").Attrs["out"] = 72
		out, err := MobileSEBlock(&g, "conv1", c.style, "se1")
		if err != nil {
			t.Fatalf("%s: %v", c.style, err)
		}
		a := nn.Analyze(g, nil)
		if !a.OK() {
			t.Fatalf("%s: %v", c.style, a.Err())
		}
		if w := a.Nodes["se1.fc1"].Out; w[0] != c.squeeze {
			t.Errorf("%s: squeezed to %v, want %d", c.style, w, c.squeeze)
		}
		if g.Find("se1.activation").Op != c.act || g.Find("se1.scale_activation").Op != c.gate {
			t.Errorf("%s: activation %s, gate %s", c.style, g.Find("se1.activation").Op, g.Find("se1.scale_activation").Op)
		}
		if out != "se1.scale" || g.Find("relu1").Inputs[0] != out {
			t.Errorf("%s: relu1 reads %v, want the scaled volume %s", c.style, g.Find("relu1").Inputs, out)
		}
		if p := a.Nodes["se1.fc1"].Params; p != int64(c.squeeze*72+c.squeeze) {
			t.Errorf("%s: fc1 has %d parameters", c.style, p)
		}
	}
	g, _ := Graph("ref-cnn", []int{1, 28, 28}, 10)
	if _, err := MobileSEBlock(&g, "fc1", "mobilenet_v3", ""); err == nil {
		t.Error("an SE block after a fully connected layer was accepted")
	}
	if _, err := MobileSEBlock(&g, "conv1", "senet", ""); err == nil {
		t.Error("an unknown style was accepted")
	}
}

// One training step through each new model: every parameter gets a finite,
// non-zero gradient (stochastic depth and dropout active), and a second
// step with the same seed and step number draws the same masks.
func TestWiderZooTrainingStep(t *testing.T) {
	b := cpu.New()
	rng := rand.New(rand.NewPCG(5, 6))
	for _, name := range []string{"squeezenet1_1", "shufflenet_v2_x1_0", "mobilenet_v3_large", "efficientnet_b0", "mnasnet1_0", "inception_v3"} {
		in := []int{3, 16, 16}
		g, err := Graph(name, in, 5)
		if err != nil {
			t.Fatal(err)
		}
		m, err := nn.Build(g, nil, b, 3, "he")
		if err != nil {
			t.Fatal(err)
		}
		x := make([]float32, 4*tensor.Numel(in))
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		loss := func() float32 {
			for _, p := range m.Params {
				p.V.ZeroGrad()
			}
			y := m.Forward(&nn.Ctx{Training: true, Seed: 11, Step: 4}, autograd.Const(tensor.FromData(b, x, append([]int{4}, in...)...)))
			l := autograd.CrossEntropy(y, autograd.OneHot(b, []int32{0, 1, 2, 3}, 5, 0))
			l.Backward()
			return l.Item()
		}
		start := time.Now()
		l1 := loss()
		zero := 0
		for _, p := range m.Params {
			if p.V.Grad == nil {
				t.Errorf("%s: %s has no gradient", name, p.Name)
				continue
			}
			var sum float64
			for _, v := range p.V.Grad.Data() {
				if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
					t.Fatalf("%s: %s has a gradient of %v", name, p.Name, v)
				}
				sum += math.Abs(float64(v))
			}
			if sum == 0 {
				zero++
			}
		}
		// A dropped stochastic-depth branch legitimately gets no gradient;
		// the rest of the network must.
		if zero > len(m.Params)/10 {
			t.Errorf("%s: %d of %d parameters have an all-zero gradient", name, zero, len(m.Params))
		}
		t.Logf("%-18s %v per step", name, time.Since(start).Round(time.Millisecond))
		if l2 := loss(); l2 != l1 {
			t.Errorf("%s: the same seed and step gave losses %v and %v", name, l1, l2)
		}
	}
}
