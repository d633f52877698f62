package pytorch

import (
	"errors"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/nn"
)

type a = map[string]float64

// chain builds a graph from (id, op, attrs, inputs...) rows; a row with no
// inputs takes the previous row's output.
func chain(rows ...[]any) graph.Graph {
	var g graph.Graph
	prev := ""
	for _, r := range rows {
		n := graph.Node{ID: r[0].(string), Op: r[1].(string)}
		if r[2] != nil {
			n.Attrs = r[2].(a)
		}
		for _, in := range r[3:] {
			n.Inputs = append(n.Inputs, in.(string))
		}
		if len(n.Inputs) == 0 && prev != "" {
			n.Inputs = []string{prev}
		}
		g.Nodes = append(g.Nodes, n)
		prev = n.ID
	}
	return g
}

// everyOpGraph uses every op of the catalogue that the zoo tests do not,
// with node IDs that are not Python identifiers.
func everyOpGraph() graph.Graph {
	return chain(
		[]any{"input", "input", a{"channels": 3, "height": 12, "width": 12}},
		[]any{"conv 1", "conv2d", a{"out": 8, "kernel": 3, "pad": 1, "dilation": 1}},
		[]any{"rect", "conv2d", a{"out": 8, "kernel": 3, "kernel_h": 1, "pad": 1, "pad_h": 0, "stride_w": 1}},
		[]any{"softplus", "softplus", nil},
		[]any{"pmax", "pool2d", a{"max": 1, "kh": 3, "kw": 2, "sh": 2, "sw": 1, "pt": 1, "pb": 2, "pl": 0, "pr": 1, "ceil": 1}},
		[]any{"pavg", "pool2d", a{"max": 0, "kh": 2, "kw": 3, "sh": 1, "sw": 2, "pt": 1, "pb": 0, "pl": 2, "pr": 1, "ceil": 1}},
		[]any{"pavg2", "pool2d", a{"max": 0, "kh": 3, "kw": 3, "sh": 1, "sw": 1, "pt": 1, "pb": 1, "pl": 1, "pr": 1, "count_pad": 1}},
		[]any{"clip", "clip", a{"min": -0.3, "max": 0.8}},
		[]any{"rectpool", "maxpool2d", a{"kernel": 2, "kernel_w": 1, "stride_h": 1}},
		[]any{"bn.1", "batchnorm2d", a{"eps": 1e-3, "momentum": 0.2}},
		[]any{"lrn", "lrn", a{"size": 3, "alpha": 1e-2, "beta": 0.75, "k": 2}},
		[]any{"prelu", "prelu", a{"init": 0.2}},
		[]any{"pad", "pad2d", a{"top": 1, "left": 2, "right": 1, "value": -0.5}},
		[]any{"mirror", "reflectpad2d", a{"top": 2, "bottom": 1, "right": 3}},
		[]any{"pool", "maxpool2d", a{"kernel": 2}},
		[]any{"gn", "groupnorm", a{"groups": 2}},
		[]any{"in", "instancenorm", a{"affine": 1}},
		[]any{"cin", "condinstancenorm", a{"styles": 3, "eps": 1e-4}},
		[]any{"up", "upsample", a{"scale": 2}},
		[]any{"down", "maxpool2d", a{"kernel": 2}},
		[]any{"leaky", "leakyrelu", a{"slope": 0.1}},
		[]any{"shuffle", "channelshuffle", a{"groups": 2}},
		[]any{"left", "channelslice", a{"from": 0, "to": 4}, "shuffle"},
		[]any{"elu", "elu", a{"alpha": 0.7}},
		[]any{"right", "channelslice", a{"from": 4, "to": 8}, "shuffle"},
		[]any{"selu", "selu", nil},
		[]any{"cat", "concat", nil, "elu", "selu"},
		[]any{"gelu", "gelu", nil},
		[]any{"avg", "avgpool2d", a{"kernel": 3, "stride": 1, "pad": 1}},
		[]any{"adaptive", "adaptiveavgpool2d", a{"size": 2}},
		[]any{"maxout", "maxout", a{"pieces": 2}},
		[]any{"hswish", "hardswish", nil},
		[]any{"squeeze", "globalavgpool", nil},
		[]any{"excite", "linear", a{"out": 4}},
		[]any{"gate", "hardsigmoid", nil},
		[]any{"scale", "scale", nil, "hswish", "gate"},
		[]any{"silu", "silu", nil},
		[]any{"drop-path", "stochasticdepth", a{"p": 0.3}},
		[]any{"tanh", "tanh", nil},
		[]any{"same", "identity", nil},
		[]any{"flat", "flatten", nil},
		[]any{"ln", "layernorm", nil},
		[]any{"drop", "dropout", a{"p": 0.4}},
		[]any{"fc1", "linear", a{"out": 6, "dropconnect": 0.1}},
		[]any{"bn1d", "batchnorm1d", nil},
		[]any{"soft", "softmax", nil},
		[]any{"fc2", "linear", a{"out": 6, "bias": 0}, "ln"},
		[]any{"sig", "sigmoid", nil},
		[]any{"sum", "add", nil, "soft", "sig"},
		[]any{"relu6", "relu6", nil},
		[]any{"relu", "relu", nil},
		[]any{"out", "logsoftmax", nil},
	)
}

// TestEveryOpMatchesPyTorch runs a graph holding every other op through
// model.py and compares with our forward pass.
func TestEveryOpMatchesPyTorch(t *testing.T) {
	torchref.Require(t)
	d, s := exportAndRun(t, everyOpGraph(), []int{3, 12, 12}, 3)
	t.Logf("max |ours - PyTorch| = %.3g (scale %.3g)", d, s)
	if d > 1e-4*math.Max(1, s) {
		t.Fatalf("model.py differs from our forward pass by %g", d)
	}
}

// TestEveryCatalogueOpHasATranslation guards the exporter against ops
// added to the catalogue later without a PyTorch translation.
func TestEveryCatalogueOpHasATranslation(t *testing.T) {
	for _, op := range nn.Ops() {
		if !Supported(op.Name) {
			t.Errorf("op %s has no PyTorch translation in engine/interop/pytorch", op.Name)
		}
	}
}

// TestUnsupportedOpIsRefusedWhole: an op without a translation is named and
// nothing is generated.
func TestUnsupportedOpIsRefusedWhole(t *testing.T) {
	delete(translations, "gelu")
	defer func() {
		translations["gelu"] = func(g *node) (string, string) { return "", "F.gelu(" + g.args[0] + ")" }
	}()
	_, err := Generate(everyOpGraph(), []int{3, 12, 12}, "x")
	var u *UnsupportedError
	if !errors.As(err, &u) || len(u.Ops) != 1 || u.Ops[0] != "gelu" {
		t.Fatalf("want an UnsupportedError naming gelu, got %v", err)
	}
}
