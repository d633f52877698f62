package nn

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// PyTorch parity of every layer of the catalogue as nn.Build makes it
// (attributes, defaults, parameter layouts and names), and of the ref-cnn
// model: outputs, input gradients, parameter gradients and batch-norm
// running statistics.

type layerCase struct {
	name string
	// nodes follow an input node with ID "x"; the last one is the output.
	nodes []graph.Node
	input []int // per example
	batch int
	train bool
	// gen fills the input (default: normal, nudged 0.01 away from 0).
	gen func(rng *rand.Rand, v []float32)
	// torch computes out from x and T['<param name>'].
	torch string
	// labels: the gradient is that of CrossEntropy(out, labels) (torch:
	// the code must set loss) rather than of sum(out*gy).
	labels []int32
}

func node(id, op string, in []string, attrs ...any) graph.Node {
	n := graph.Node{ID: id, Op: op, Inputs: in, Attrs: map[string]float64{}}
	for i := 0; i+1 < len(attrs); i += 2 {
		n.Attrs[attrs[i].(string)] = toF(attrs[i+1])
	}
	return n
}

func toF(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("attr %v", v))
}

// one is a case of a single layer "l" fed by the input.
func one(name, op string, input []int, torch string, attrs ...any) layerCase {
	return layerCase{name: name, nodes: []graph.Node{node("l", op, []string{"x"}, attrs...)}, input: input, batch: 3, train: true, torch: torch}
}

func (c layerCase) eval() layerCase { c.train = false; return c }

func (c layerCase) gen_(g func(rng *rand.Rand, v []float32)) layerCase { c.gen = g; return c }

func distinctValues(rng *rand.Rand, v []float32) {
	for i, p := range rng.Perm(len(v)) {
		v[i] = float32(p-len(v)/2) * 0.05
	}
}

func bnTorch(training bool, affine bool) string {
	wb := "T['l.weight'], T['l.bias']"
	if !affine {
		wb = "None, None"
	}
	return fmt.Sprintf(`rm, rv = T['l.running_mean'].clone(), T['l.running_var'].clone()
out = F.batch_norm(x, rm, rv, %s, training=%v, momentum=0.1, eps=1e-5)
extra['l.running_mean'], extra['l.running_var'] = rm, rv`, wb, map[bool]string{true: "True", false: "False"}[training])
}

func layerCases() []layerCase {
	img := []int{3, 7, 9}
	act := func(op, torch string, attrs ...any) layerCase {
		return one(op, op, []int{3, 4, 5}, "out = "+torch, attrs...)
	}
	return append([]layerCase{
		one("conv2d/k3-s2-p1", "conv2d", img, "out = F.conv2d(x, T['l.weight'], T['l.bias'], stride=2, padding=1)", "out", 5, "kernel", 3, "stride", 2, "pad", 1),
		one("conv2d/dilation2", "conv2d", img, "out = F.conv2d(x, T['l.weight'], T['l.bias'], padding=2, dilation=2)", "out", 4, "kernel", 3, "pad", 2, "dilation", 2),
		one("conv2d/groups2", "conv2d", []int{4, 5, 6}, "out = F.conv2d(x, T['l.weight'], T['l.bias'], padding=1, groups=2)", "out", 6, "kernel", 3, "pad", 1, "groups", 2),
		one("conv2d/depthwise", "conv2d", []int{5, 7, 9}, "out = F.conv2d(x, T['l.weight'], T['l.bias'], stride=2, padding=1, groups=5)", "out", 5, "kernel", 3, "stride", 2, "pad", 1, "groups", 5),
		one("conv2d/1x1-nobias", "conv2d", img, "out = F.conv2d(x, T['l.weight'])", "out", 4, "kernel", 1, "bias", 0),
		one("linear", "linear", []int{7}, "out = F.linear(x, T['l.weight'], T['l.bias'])", "out", 5),
		one("linear/nobias", "linear", []int{7}, "out = F.linear(x, T['l.weight'])", "out", 4, "bias", 0),
		one("linear/dropconnect-eval", "linear", []int{7}, "out = F.linear(x, T['l.weight'], T['l.bias'])", "out", 5, "dropconnect", 0.5).eval(),
		one("maxpool2d/default", "maxpool2d", img, "out = F.max_pool2d(x, 2)").gen_(distinctValues),
		one("maxpool2d/k3-s2-p1", "maxpool2d", img, "out = F.max_pool2d(x, 3, 2, 1)", "kernel", 3, "stride", 2, "pad", 1).gen_(distinctValues),
		one("avgpool2d/k3-s2-p1", "avgpool2d", img, "out = F.avg_pool2d(x, 3, 2, 1)", "kernel", 3, "stride", 2, "pad", 1),
		one("avgpool2d/default", "avgpool2d", img, "out = F.avg_pool2d(x, 2)"),
		one("globalavgpool", "globalavgpool", img, "out = x.mean((2, 3))"),
		one("adaptiveavgpool2d/7x9-to-3", "adaptiveavgpool2d", img, "out = F.adaptive_avg_pool2d(x, 3)", "size", 3),
		one("adaptiveavgpool2d/5x5-to-4", "adaptiveavgpool2d", []int{2, 5, 5}, "out = F.adaptive_avg_pool2d(x, 4)", "size", 4),
		one("flatten", "flatten", img, "out = x.flatten(1)"),
		one("dropout/eval", "dropout", img, "out = x", "p", 0.5).eval(),
		one("batchnorm2d/train", "batchnorm2d", []int{3, 4, 5}, bnTorch(true, true)),
		one("batchnorm2d/eval", "batchnorm2d", []int{3, 4, 5}, bnTorch(false, true)).eval(),
		one("batchnorm2d/no-affine", "batchnorm2d", []int{3, 4, 5}, bnTorch(true, false), "affine", 0),
		one("batchnorm2d/momentum", "batchnorm2d", []int{3, 4, 5}, strings.Replace(strings.Replace(bnTorch(true, true), "0.1", "0.3", 1), "1e-5", "1e-3", 1), "momentum", 0.3, "eps", 1e-3),
		one("batchnorm1d/train", "batchnorm1d", []int{6}, bnTorch(true, true)),
		one("batchnorm1d/eval", "batchnorm1d", []int{6}, bnTorch(false, true)).eval(),
		one("layernorm", "layernorm", []int{3, 4, 5}, "out = F.layer_norm(x, x.shape[1:], T['l.weight'], T['l.bias'], 1e-5)"),
		one("groupnorm", "groupnorm", []int{6, 3, 4}, "out = F.group_norm(x, 2, T['l.weight'], T['l.bias'], 1e-5)", "groups", 2),
		one("instancenorm", "instancenorm", []int{3, 4, 5}, "out = F.instance_norm(x, eps=1e-5)"),
		one("instancenorm/affine", "instancenorm", []int{3, 4, 5}, "out = F.instance_norm(x, weight=T['l.weight'], bias=T['l.bias'], eps=1e-5)", "affine", 1),
		one("lrn/alexnet", "lrn", []int{7, 3, 4}, "out = F.local_response_norm(x, 5, alpha=1e-4, beta=0.75, k=2.0)").gen_(func(rng *rand.Rand, v []float32) {
			for i := range v {
				v[i] = float32(rng.NormFloat64() * 30) // large enough for the 1e-4 term to matter
			}
		}),
		one("lrn/size3", "lrn", []int{5, 3, 4}, "out = F.local_response_norm(x, 3, alpha=1.0, beta=0.5, k=1.0)", "size", 3, "alpha", 1, "beta", 0.5, "k", 1),
		act("relu", "F.relu(x)"),
		act("leakyrelu", "F.leaky_relu(x, 0.1)", "slope", 0.1),
		act("elu", "F.elu(x, 1.3)", "alpha", 1.3),
		act("selu", "F.selu(x)"),
		act("gelu", "F.gelu(x)"),
		act("sigmoid", "torch.sigmoid(x)"),
		act("tanh", "torch.tanh(x)"),
		act("relu6", "F.relu6(x)").gen_(func(rng *rand.Rand, v []float32) {
			for i := range v {
				v[i] = float32(rng.NormFloat64()*4 + 2)
				if d := v[i] - 6; d > -0.01 && d < 0.01 || v[i] > -0.01 && v[i] < 0.01 {
					v[i] += 0.05
				}
			}
		}),
		act("prelu", "F.prelu(x, T['l.weight'])"),
		one("prelu/shared", "prelu", []int{3, 4, 5}, "out = F.prelu(x, T['l.weight'])", "shared", 1, "init", 0.1),
		one("maxout", "maxout", []int{6, 3, 4}, "out = x.view(x.shape[0], 3, 2, 3, 4).max(2)[0]", "pieces", 2).gen_(distinctValues),
		one("maxout/features", "maxout", []int{9}, "out = x.view(x.shape[0], 3, 3).max(2)[0]", "pieces", 3).gen_(distinctValues),
		one("softmax", "softmax", []int{7}, "out = F.softmax(x, -1)"),
		one("logsoftmax", "logsoftmax", []int{7}, "out = F.log_softmax(x, -1)"),
		one("identity", "identity", img, "out = x"),
		{name: "add/residual", input: []int{3, 4, 5}, batch: 2, train: true, torch: "out = torch.tanh(x) + torch.sigmoid(x) + x",
			nodes: []graph.Node{node("a", "tanh", []string{"x"}), node("b", "sigmoid", []string{"x"}), node("l", "add", []string{"a", "b", "x"})}},
		{name: "concat", input: []int{3, 4, 5}, batch: 2, train: true, torch: "out = torch.cat([torch.tanh(x), x, torch.sigmoid(x)], 1)",
			nodes: []graph.Node{node("a", "tanh", []string{"x"}), node("b", "sigmoid", []string{"x"}), node("l", "concat", []string{"a", "x", "b"})}},
		{name: "scale/squeeze-excite", input: []int{3, 4, 5}, batch: 2, train: true,
			torch: "s = torch.sigmoid(F.linear(x.mean((2, 3)), T['fc.weight'], T['fc.bias']))\nout = x * s[:, :, None, None]",
			nodes: []graph.Node{node("gap", "globalavgpool", []string{"x"}), node("fc", "linear", []string{"gap"}, "out", 3),
				node("sig", "sigmoid", []string{"fc"}), node("l", "scale", []string{"x", "sig"})}},
		refCNNCase(),
		one("upsample", "upsample", []int{3, 4, 5}, "out = F.interpolate(x, scale_factor=2, mode='nearest')"),
		one("condinstancenorm/style0", "condinstancenorm", []int{3, 4, 5}, "out = F.instance_norm(x, weight=T['l.weight'][0], bias=T['l.bias'][0], eps=1e-5)", "styles", 2),
	}, moreLayerCases...)
}

// moreLayerCases are the parity cases of ops kept in their own files
// (appended by those files' tests).
var moreLayerCases []layerCase

func refCNNCase() layerCase {
	g := refCNN(10)
	var nodes []graph.Node
	for _, n := range g.Nodes[1:] {
		for i, in := range n.Inputs {
			if in == "input" {
				n.Inputs[i] = "x"
			}
		}
		nodes = append(nodes, n)
	}
	return layerCase{name: "ref-cnn", nodes: nodes, input: []int{1, 28, 28}, batch: 4, train: true,
		labels: []int32{3, 7, 0, 9},
		torch: `h = F.max_pool2d(F.relu(F.conv2d(x, T['conv1.weight'], T['conv1.bias'], padding=1)), 2)
h = F.max_pool2d(F.relu(F.conv2d(h, T['conv2.weight'], T['conv2.bias'], padding=1)), 2)
h = F.relu(F.linear(h.flatten(1), T['fc1.weight'], T['fc1.bias']))
out = F.linear(h, T['fc2.weight'], T['fc2.bias'])
loss = F.cross_entropy(out, y.long())
extra['loss'] = loss`}
}

// built is a case's model with perturbed parameters and running stats.
type built struct {
	m     *Model
	x     []float32
	shape []int
}

func buildCase(t testing.TB, c layerCase, seed uint64) built {
	t.Helper()
	g := graph.Graph{Nodes: append([]graph.Node{node("x", "input", nil)}, c.nodes...)}
	b := cpu.New()
	m, err := Build(g, c.input, b, seed, "default")
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	rng := rand.New(rand.NewPCG(seed, 77))
	// Perturb every parameter and running statistic so that none is
	// trivially 0 or 1 (batch-norm gamma, PReLU slopes, running var > 0).
	// In name order: a map's order changes from run to run, and so would
	// the weights (and whether a case sits on a kink of ReLU or max pool).
	state := m.State()
	names := make([]string, 0, len(state))
	for name := range state {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		tt := state[name]
		v := tt.Data()
		for i := range v {
			d := float32(rng.NormFloat64() * 0.2)
			if strings.HasSuffix(name, "running_var") {
				d = d * d
			}
			v[i] += d
		}
		tt.Set(v)
	}
	shape := append([]int{c.batch}, c.input...)
	x := make([]float32, tensor.Numel(shape))
	gen := c.gen
	if gen == nil {
		gen = func(rng *rand.Rand, v []float32) {
			for i := range v {
				v[i] = float32(rng.NormFloat64())
				if v[i] > -0.01 && v[i] < 0.01 {
					v[i] += 0.03
				}
			}
		}
	}
	gen(rng, x)
	return built{m: m, x: x, shape: shape}
}

func TestTorchParityLayers(t *testing.T) {
	cases := layerCases()
	models := make([]built, len(cases))
	refs := make([]torchref.Case, len(cases))
	for i, c := range cases {
		models[i] = buildCase(t, c, uint64(i+1))
		bc := models[i]
		inputs := []torchref.Input{{Name: "x", Shape: bc.shape, Data: bc.x, Grad: true}}
		if c.labels != nil {
			y := make([]float32, len(c.labels))
			for j, l := range c.labels {
				y[j] = float32(l)
			}
			inputs = append(inputs, torchref.Input{Name: "y", Shape: []int{len(y)}, Data: y})
		}
		state := bc.m.State()
		names := make([]string, 0, len(state))
		for name := range state {
			names = append(names, name)
		}
		sort.Strings(names)
		grads := map[string]bool{}
		for _, p := range bc.m.Params {
			grads[p.Name] = true
		}
		for _, name := range names {
			tt := state[name]
			inputs = append(inputs, torchref.Input{Name: name, Shape: tt.Shape, Data: tt.Data(), Grad: grads[name]})
		}
		refs[i] = torchref.Case{Name: c.name, Inputs: inputs, Code: c.torch}
	}
	initCases, checkInit := initScaleCases(t)
	res := torchref.Run(t, append(refs, initCases...))
	t.Run("init-scales", func(t *testing.T) { checkInit(t, res) })
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := res[c.name]
			if r == nil {
				t.Fatal("no reference result")
			}
			bc := models[i]
			b := bc.m.B
			x := autograd.Param(tensor.FromData(b, bc.x, bc.shape...), "x")
			out := bc.m.Forward(&Ctx{Training: c.train}, x)
			torchref.Compare(t, "forward", out.Value.Data(), out.Shape(), r.Out, torchref.Forward)
			state := bc.m.State()
			for name, want := range r.Extra {
				if name == "loss" {
					continue
				}
				got := state[name]
				if got == nil {
					t.Errorf("model has no %s", name)
					continue
				}
				torchref.Compare(t, name, got.Data(), got.Shape, want, torchref.Forward)
			}
			if c.labels != nil {
				loss := autograd.CrossEntropy(out, autograd.OneHot(b, c.labels, out.Shape()[1], 0))
				torchref.Compare(t, "loss", loss.Value.Data(), loss.Shape(), r.Extra["loss"], torchref.Forward)
				loss.Backward()
			} else {
				out.BackwardWith(tensor.FromData(b, torchref.Upstream(out.Value.Len()), out.Shape()...))
			}
			torchref.Compare(t, "grad x", x.Grad.Data(), x.Grad.Shape, r.Grad["x"], torchref.Gradient)
			for _, p := range bc.m.Params {
				want, ok := r.Grad[p.Name]
				if !ok {
					t.Errorf("PyTorch has no gradient for %s", p.Name)
					continue
				}
				if p.V.Grad == nil {
					t.Errorf("%s has no gradient", p.Name)
					continue
				}
				torchref.Compare(t, "grad "+p.Name, p.V.Grad.Data(), p.V.Grad.Shape, want, torchref.Gradient)
			}
		})
	}
}

// Every op of the catalogue has a parity case (or is the input).
func TestTorchParityCoversTheCatalogue(t *testing.T) {
	covered := map[string]bool{"input": true}
	for _, c := range layerCases() {
		for _, n := range c.nodes {
			covered[n.Op] = true
		}
	}
	for _, o := range Ops() {
		if !covered[o.Name] {
			t.Errorf("op %s has no PyTorch parity case", o.Name)
		}
	}
}
