package models

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// cliNames are the --model names of CLI.md.
var cliNames = []string{"linear", "mlp2", "ref-cnn", "lenet5", "alexnet", "zfnet", "vgg11", "vgg13", "vgg16",
	"vgg19", "vgg11_bn", "vgg16_bn", "googlenet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
	"wide_resnet50_2", "resnext50_32x4d", "densenet121", "mobilenet_v1", "mobilenet_v2", "convnetjs-cifar",
	"squeezenet1_1", "shufflenet_v2_x1_0", "mobilenet_v3_large", "efficientnet_b0", "mnasnet1_0", "inception_v3"}

func TestNamesCoverTheCLI(t *testing.T) {
	names := Names()
	if !sort.StringsAreSorted(names) {
		t.Errorf("Names() not sorted: %v", names)
	}
	for _, n := range cliNames {
		if !slices.Contains(names, n) {
			t.Errorf("zoo lacks %q", n)
		}
		if Doc(n) == "" {
			t.Errorf("%s has no description", n)
		}
	}
	for _, n := range []string{"vgg13_bn", "vgg19_bn"} {
		if !slices.Contains(names, n) {
			t.Errorf("zoo lacks %q", n)
		}
	}
}

// paramSpecs lists a graph's parameters as "node.param" -> shape, without
// allocating them.
func paramSpecs(t *testing.T, g graph.Graph) map[string][]int {
	a := nn.Analyze(g, nil)
	if !a.OK() {
		t.Fatal(a.Err())
	}
	out := map[string][]int{}
	for _, id := range a.Order {
		n := g.Find(id)
		op, _ := nn.Lookup(n.Op)
		if op.Params == nil {
			continue
		}
		for _, p := range op.Params(n, a.Nodes[id].In) {
			out[id+"."+p.Name] = p.Shape
		}
	}
	return out
}

// Must-show 1: at 3x224x224 and 1000 classes, every zoo model torchvision
// has counts torchvision's parameters, under torchvision's names and shapes.
func TestTorchvisionParameterCounts(t *testing.T) {
	var names []string
	for _, n := range Names() {
		if Torchvision(n) {
			names = append(names, n)
		}
	}
	want := []string{"alexnet", "densenet121", "efficientnet_b0", "googlenet", "inception_v3", "mnasnet1_0",
		"mobilenet_v2", "mobilenet_v3_large", "resnet101", "resnet152", "resnet18", "resnet34", "resnet50",
		"resnext50_32x4d", "shufflenet_v2_x1_0", "squeezenet1_1", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
		"vgg16_bn", "vgg19", "vgg19_bn", "wide_resnet50_2"}
	if !slices.Equal(names, want) {
		t.Fatalf("models marked as torchvision's: %v, want %v", names, want)
	}
	tv := torchvisionModels(t, names)
	for _, n := range names {
		g, err := Graph(n, []int{3, 224, 224}, 1000)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		s, err := Summarize(g, nil)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		ref, ok := tv[n]
		if !ok {
			t.Fatalf("python gave nothing for %s", n)
		}
		if s.Params != ref.Params {
			t.Errorf("%s: %d parameters, torchvision %d", n, s.Params, ref.Params)
		}
		ours := paramSpecs(t, g)
		for k, shape := range ref.Shapes {
			if got, ok := ours[k]; !ok {
				t.Errorf("%s: no parameter %s %v", n, k, shape)
			} else if !slices.Equal(got, shape) {
				t.Errorf("%s: %s has shape %v, torchvision %v", n, k, got, shape)
			}
		}
		for k := range ours {
			if _, ok := ref.Shapes[k]; !ok {
				t.Errorf("%s: parameter %s is not torchvision's", n, k)
			}
		}
		t.Logf("%-16s %11d parameters (torchvision %d), %6.2f GMACs", n, s.Params, ref.Params, float64(s.MACs)/1e9)
	}
}

// Models torchvision does not have, against counts worked out by hand or
// published.
func TestOwnModelsKnownCounts(t *testing.T) {
	for _, c := range []struct {
		name    string
		input   []int
		classes int
		params  int64
	}{
		// Keras' MobileNet (alpha 1.0, 224) trainable parameters.
		{"mobilenet_v1", []int{3, 224, 224}, 1000, 4231976},
		// conv1 14,208 + conv2 614,656 + conv3 885,120 + conv4 1,327,488 +
		// conv5 884,992 + fc6 37,752,832 + fc7 16,781,312 + fc8 4,097,000.
		{"zfnet", []int{3, 224, 224}, 1000, 62357608},
		// C1 156 + C3 2,416 + C5 48,120 + F6 10,164 + output 850.
		{"lenet5", []int{1, 32, 32}, 10, 61706},
		// The 28x28 digits padded to 32 by C1: the same network.
		{"lenet5", []int{1, 28, 28}, 10, 61706},
		// The engine's own test of the reference CNN.
		{"ref-cnn", []int{1, 28, 28}, 10, 421642},
		// conv 1,216 + conv 8,020 + conv 10,020 + fc 3,210.
		{"convnetjs-cifar", []int{3, 32, 32}, 10, 22466},
		{"linear", []int{3, 32, 32}, 10, 30730},
		{"linear", []int{784}, 10, 7850},
		{"mlp2", []int{3, 32, 32}, 10, 3072*100 + 100 + 100*10 + 10},
	} {
		g, err := Graph(c.name, c.input, c.classes)
		if err != nil {
			t.Fatalf("%s %v: %v", c.name, c.input, err)
		}
		s, err := Summarize(g, nil)
		if err != nil {
			t.Fatal(err)
		}
		if s.Params != c.params {
			t.Errorf("%s %v: %d parameters, want %d", c.name, c.input, s.Params, c.params)
		}
		if !slices.Equal(s.Output, []int{c.classes}) {
			t.Errorf("%s: output %v", c.name, s.Output)
		}
	}
	// ZFNet's map sizes are the paper's figure 3.
	g, _ := Graph("zfnet", []int{3, 224, 224}, 1000)
	a := nn.Analyze(g, nil)
	for id, side := range map[string]int{"features.0": 110, "features.2": 55, "features.4": 26, "features.6": 13,
		"features.12": 13, "features.14": 6} {
		if info := a.Nodes[id]; info == nil {
			t.Errorf("zfnet has no node %s", id)
		} else if out := info.Out; out == nil || out[1] != side || out[2] != side {
			t.Errorf("zfnet %s: %v, want %dx%d", id, out, side, side)
		}
	}
}

// Every model gives a valid graph across the input sizes people use, ending
// in the classes.
func TestAdaptsToInputSizes(t *testing.T) {
	sizes := [][]int{{3, 1, 1}, {1, 2, 3}, {1, 28, 28}, {3, 32, 32}, {1, 16, 16}, {3, 8, 8}, {3, 48, 64}, {3, 64, 64}, {3, 96, 96},
		{3, 227, 227}, {3, 256, 256}}
	for _, n := range Names() {
		for _, in := range sizes {
			g, err := Graph(n, in, 7)
			if err != nil {
				t.Errorf("%s at %v: %v", n, in, err)
				continue
			}
			a := nn.Analyze(g, nil)
			if !a.OK() {
				t.Errorf("%s at %v: %v", n, in, a.Err())
				continue
			}
			if out := a.Nodes[a.Output].Out; !slices.Equal(out, []int{7}) {
				t.Errorf("%s at %v: output %v, want [7]", n, in, out)
			}
		}
	}
	// The small-input variants: ResNet at 32 keeps 32x32 maps into layer1
	// and ends at 4x4; AlexNet at 32 no longer uses 11x11 stride 4.
	g, _ := Graph("resnet18", []int{3, 32, 32}, 10)
	a := nn.Analyze(g, nil)
	if s := a.Nodes["layer1.0.conv1"].In[0]; !slices.Equal(s, []int{64, 32, 32}) {
		t.Errorf("resnet18 at 32: layer1 input %v, want [64 32 32]", s)
	}
	if s := a.Nodes["layer4.1.relu"].Out; !slices.Equal(s, []int{512, 4, 4}) {
		t.Errorf("resnet18 at 32: layer4 output %v, want [512 4 4]", s)
	}
	g, _ = Graph("alexnet", []int{3, 32, 32}, 10)
	if c := g.Find("features.0"); c.Attrs["kernel"] != 5 || c.Attrs["stride"] != 1 {
		t.Errorf("alexnet at 32: conv1 %v", c.Attrs)
	}
	// VGG at 28: the fifth pool would shrink a 1x1 map and is left out.
	g, _ = Graph("vgg11", []int{1, 28, 28}, 10)
	if g.Find("features.20") != nil || g.Find("features.2") == nil {
		t.Errorf("vgg11 at 28: want pools 1-4 and no fifth pool")
	}
}

func TestBadRequests(t *testing.T) {
	for _, c := range []struct {
		name    string
		input   []int
		classes int
		want    string
	}{
		{"resnet9000", []int{3, 32, 32}, 10, "unknown model"},
		{"resnet18", []int{3, 32, 32}, 0, "at least 1 class"},
		{"resnet18", []int{3, 32}, 10, "C,H,W"},
		{"resnet18", []int{784}, 10, "C,H,W"},
		{"vgg16", []int{3, 0, 32}, 10, "between 1 and 8192"},
	} {
		_, err := Graph(c.name, c.input, c.classes)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Graph(%s, %v, %d) = %v, want an error with %q", c.name, c.input, c.classes, err, c.want)
		}
	}
	if in, k, ok := Defaults("resnet50"); !ok || !slices.Equal(in, []int{3, 224, 224}) || k != 1000 {
		t.Errorf("Defaults(resnet50) = %v %d %v", in, k, ok)
	}
}

func TestBlocksAndLayout(t *testing.T) {
	counts := map[string]int{"resnet18": 8, "resnet152": 50, "googlenet": 9, "densenet121": 58 + 3,
		"mobilenet_v2": 17, "mobilenet_v1": 13, "vgg16": 0, "squeezenet1_1": 8, "shufflenet_v2_x1_0": 16,
		"mobilenet_v3_large": 15, "efficientnet_b0": 16, "mnasnet1_0": 16, "inception_v3": 11}
	for name, want := range counts {
		g, err := Graph(name, []int{3, 224, 224}, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(g.Blocks) != want {
			t.Errorf("%s: %d blocks, want %d", name, len(g.Blocks), want)
		}
		blocks := map[string]int{}
		for _, b := range g.Blocks {
			blocks[b.Name] = 0
		}
		pos := map[[2]float32]string{}
		for _, n := range g.Nodes {
			if n.Block != "" {
				if _, ok := blocks[n.Block]; !ok {
					t.Errorf("%s: node %s in unknown block %q", name, n.ID, n.Block)
				}
				blocks[n.Block]++
			}
			p := [2]float32{n.X, n.Y}
			if o, dup := pos[p]; dup {
				t.Errorf("%s: %s and %s both at %v", name, o, n.ID, p)
			}
			pos[p] = n.ID
			for _, in := range n.Inputs {
				if src := g.Find(in); src.Y >= n.Y {
					t.Errorf("%s: %s (y %g) is not below its input %s (y %g)", name, n.ID, n.Y, in, src.Y)
				}
			}
		}
		for b, k := range blocks {
			if k == 0 {
				t.Errorf("%s: block %s is empty", name, b)
			}
		}
	}
	g, _ := Graph("resnet18", []int{3, 224, 224}, 1000)
	if n := g.Find("layer2.0.downsample.0"); n == nil || n.Block != "layer2.0" {
		t.Errorf("resnet18: the projection shortcut belongs to block layer2.0, got %+v", n)
	}
	// A graph with a cycle still gets positions.
	cyc := graph.Graph{Nodes: []graph.Node{{ID: "a", Op: "relu", Inputs: []string{"b"}}, {ID: "b", Op: "relu", Inputs: []string{"a"}}}}
	Layout(&cyc)
	if cyc.Nodes[0].X == cyc.Nodes[1].X && cyc.Nodes[0].Y == cyc.Nodes[1].Y {
		t.Error("nodes on a cycle placed on top of each other")
	}
}

// Every model runs a forward pass on a small batch of small images.
func TestForwardSmallInputs(t *testing.T) {
	b := cpu.New()
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range Names() {
		in := []int{3, 32, 32}
		if n == "ref-cnn" || n == "lenet5" {
			in = []int{1, 28, 28}
		}
		start := time.Now()
		g, err := Graph(n, in, 10)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		m, err := nn.Build(g, nil, b, 1, "he")
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		x := make([]float32, 2*in[0]*in[1]*in[2])
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		y := m.Forward(&nn.Ctx{NoGrad: true}, autograd.Const(tensor.FromData(b, x, append([]int{2}, in...)...)))
		if !slices.Equal(y.Shape(), []int{2, 10}) {
			t.Errorf("%s: output shape %v, want [2 10]", n, y.Shape())
			continue
		}
		out := y.Value.Data()
		t.Logf("%-16s %v", n, time.Since(start).Round(time.Millisecond))
		spread := 0.0
		for i, v := range out {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Errorf("%s: output %d is %v", n, i, v)
			}
			spread += math.Abs(float64(v - out[0]))
		}
		if spread == 0 {
			t.Errorf("%s: every logit equal (%v): the input did not reach the output", n, out[0])
		}
		m = nil
		runtime.GC()
	}
}

// Every model builds at 3x224x224 with 1000 classes: the parameters are
// allocated and initialised, and agree with the analysis.
func TestBuildAt224(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates about 1.4 billion parameters in turn; skipped with -short")
	}
	b := cpu.New()
	for _, n := range Names() {
		g, err := Graph(n, []int{3, 224, 224}, 1000)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		m, err := nn.Build(g, nil, b, 1, "default")
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		var total int64
		for _, p := range m.Params {
			total += int64(tensor.Numel(p.V.Shape()))
		}
		if total != m.Analysis.Params {
			t.Errorf("%s: built %d parameters, analysis says %d", n, total, m.Analysis.Params)
		}
		m = nil
		runtime.GC()
	}
}

func ExampleGraph() {
	g, _ := Graph("resnet18", []int{3, 224, 224}, 1000)
	s, _ := Summarize(g, nil)
	fmt.Println(s.Params, s.MACs, s.Output)
	// Output: 11689512 1814073344 [1000]
}
