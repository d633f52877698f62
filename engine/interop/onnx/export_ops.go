package onnx

import (
	"math"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
)

// simpleOps are engine activations with an ONNX op of the same meaning
// and no attributes.
var simpleOps = map[string]string{"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus",
	"hardswish": "HardSwish", "selu": "Selu", "identity": "Identity", "dropout": "Identity", "stochasticdepth": "Identity",
	"flatten": "Flatten"}

// node writes the ONNX nodes of one engine node; their last output is
// named after the node.
func (e *exporter) node(n *graph.Node) error {
	info := e.a.Nodes[n.ID]
	out, in := info.Out, n.Inputs
	id := n.ID
	if n.Op == "input" {
		e.g.Input = append(e.g.Input, valueInfo(id, out))
		return nil
	}
	if typ, ok := simpleOps[n.Op]; ok {
		e.op(typ, in, id, out)
		return nil
	}
	switch n.Op {
	case "conv2d":
		ins, err := e.weightAndBias(n, in[0])
		if err != nil {
			return err
		}
		ph, pw := axisNum(n, "pad", 0), axisNum(n, "pad", 1)
		d := inum(n, "dilation")
		e.op("Conv", ins, id, out, ints("kernel_shape", axisNum(n, "kernel", 0), axisNum(n, "kernel", 1)),
			ints("strides", axisNum(n, "stride", 0), axisNum(n, "stride", 1)), ints("pads", ph, pw, ph, pw),
			ints("dilations", d, d), intA("group", inum(n, "groups")))
	case "linear":
		// dropconnect acts in training only: inference is the plain product.
		ins, err := e.weightAndBias(n, in[0])
		if err != nil {
			return err
		}
		e.op("Gemm", ins, id, out, intA("transB", 1))
	case "maxpool2d", "avgpool2d":
		k := [2]int64{axisNum(n, "kernel", 0), axisNum(n, "kernel", 1)}
		s := [2]int64{axisNum(n, "stride", 0), axisNum(n, "stride", 1)}
		for i := range s {
			if s[i] == 0 {
				s[i] = k[i]
			}
		}
		ph, pw := axisNum(n, "pad", 0), axisNum(n, "pad", 1)
		at := []*onnxpb.AttributeProto{ints("kernel_shape", k[0], k[1]), ints("strides", s[0], s[1]), ints("pads", ph, pw, ph, pw)}
		if n.Op == "maxpool2d" {
			e.op("MaxPool", in, id, out, at...)
		} else {
			e.op("AveragePool", in, id, out, append(at, intA("count_include_pad", 1))...)
		}
	case "pool2d":
		at := []*onnxpb.AttributeProto{ints("kernel_shape", inum(n, "kh"), inum(n, "kw")), ints("strides", inum(n, "sh"), inum(n, "sw")),
			ints("pads", inum(n, "pt"), inum(n, "pl"), inum(n, "pb"), inum(n, "pr")), intA("ceil_mode", inum(n, "ceil"))}
		if inum(n, "max") == 1 {
			e.op("MaxPool", in, id, out, at...)
		} else {
			e.op("AveragePool", in, id, out, append(at, intA("count_include_pad", inum(n, "count_pad")))...)
		}
	case "globalavgpool":
		c := e.a.Nodes[in[0]].Out[0]
		g := e.op("GlobalAveragePool", in, id+"/pool", []int{c, 1, 1})
		e.op("Flatten", []string{g}, id, out)
	case "adaptiveavgpool2d":
		src := e.a.Nodes[in[0]].Out
		sz := inum(n, "size")
		if int64(src[1])%sz != 0 || int64(src[2])%sz != 0 {
			return notMapped("windows of %dx%d to %d are uneven", src[1], src[2], sz)
		}
		kh, kw := int64(src[1])/sz, int64(src[2])/sz
		e.op("AveragePool", in, id, out, ints("kernel_shape", kh, kw), ints("strides", kh, kw))
	case "batchnorm2d", "batchnorm1d", "instancenorm":
		c := out[0]
		affine := inum(n, "affine") == 1
		sc, err := e.param(n, "weight", []int{c}, fillIf(!affine, 1))
		if err != nil {
			return err
		}
		b, err := e.param(n, "bias", []int{c}, fillIf(!affine, 0))
		if err != nil {
			return err
		}
		if n.Op == "instancenorm" {
			e.op("InstanceNormalization", []string{in[0], sc, b}, id, out, floatA("epsilon", num(n, "eps")))
			return nil
		}
		mean, err := e.param(n, "running_mean", []int{c}, float32(math.NaN()))
		if err != nil {
			return err
		}
		v, err := e.param(n, "running_var", []int{c}, float32(math.NaN()))
		if err != nil {
			return err
		}
		e.op("BatchNormalization", []string{in[0], sc, b, mean, v}, id, out,
			floatA("epsilon", num(n, "eps")), floatA("momentum", 1-num(n, "momentum")))
	case "layernorm":
		affine := inum(n, "affine") == 1
		sc, err := e.param(n, "weight", out, fillIf(!affine, 1))
		if err != nil {
			return err
		}
		b, err := e.param(n, "bias", out, fillIf(!affine, 0))
		if err != nil {
			return err
		}
		e.op("LayerNormalization", []string{in[0], sc, b}, id, out, intA("axis", 1), floatA("epsilon", num(n, "eps")))
	case "groupnorm":
		return e.groupNorm(n, out)
	case "lrn":
		e.op("LRN", in, id, out, intA("size", inum(n, "size")), floatA("alpha", num(n, "alpha")),
			floatA("beta", num(n, "beta")), floatA("bias", num(n, "k")))
	case "leakyrelu":
		e.op("LeakyRelu", in, id, out, floatA("alpha", num(n, "slope")))
	case "elu":
		e.op("Elu", in, id, out, floatA("alpha", num(n, "alpha")))
	case "gelu":
		// 0.5·x·(1 + erf(x/√2)), exact GELU (ONNX has Gelu only from opset 20).
		r := e.op("Div", []string{in[0], e.floats(id+"/sqrt2", nil, []float32{float32(math.Sqrt2)})}, id+"/scaled", out)
		r = e.op("Erf", []string{r}, id+"/erf", out)
		r = e.op("Add", []string{r, e.floats(id+"/one", nil, []float32{1})}, id+"/plus1", out)
		r = e.op("Mul", []string{in[0], r}, id+"/times_x", out)
		e.op("Mul", []string{r, e.floats(id+"/half", nil, []float32{0.5})}, id, out)
	case "hardsigmoid":
		e.op("HardSigmoid", in, id, out, floatA("alpha", 1.0/6), floatA("beta", 0.5))
	case "silu":
		s := e.op("Sigmoid", in, id+"/sigmoid", out)
		e.op("Mul", []string{in[0], s}, id, out)
	case "relu6", "clip":
		lo, hi := 0.0, 6.0
		if n.Op == "clip" {
			lo, hi = num(n, "min"), num(n, "max")
		}
		e.op("Clip", []string{in[0], e.floats(id+"/min", nil, []float32{float32(lo)}), e.floats(id+"/max", nil, []float32{float32(hi)})}, id, out)
	case "prelu":
		shape := []int{out[0]}
		if inum(n, "shared") == 1 {
			shape = []int{1}
		} else if len(out) == 3 {
			shape = []int{out[0], 1, 1}
		}
		sl, err := e.param(n, "weight", shape, float32(math.NaN()))
		if err != nil {
			return err
		}
		e.op("PRelu", []string{in[0], sl}, id, out)
	case "softmax", "logsoftmax":
		if len(out) != 1 {
			return notMapped("over a %v map", out)
		}
		e.op(map[string]string{"softmax": "Softmax", "logsoftmax": "LogSoftmax"}[n.Op], in, id, out, intA("axis", -1))
	case "add":
		if len(in) == 2 {
			e.op("Add", in, id, out)
		} else {
			e.op("Sum", in, id, out)
		}
	case "concat":
		e.op("Concat", in, id, out, intA("axis", 1))
	case "scale":
		s := e.op("Reshape", []string{in[1], e.int64s(id+"/shape", 0, int64(out[0]), 1, 1)}, id+"/gate", []int{out[0], 1, 1})
		e.op("Mul", []string{in[0], s}, id, out)
	case "pad2d":
		p := e.int64s(id+"/pads", 0, 0, inum(n, "top"), inum(n, "left"), 0, 0, inum(n, "bottom"), inum(n, "right"))
		e.op("Pad", []string{in[0], p, e.floats(id+"/value", nil, []float32{float32(num(n, "value"))})}, id, out)
	case "reflectpad2d":
		p := e.int64s(id+"/pads", 0, 0, inum(n, "top"), inum(n, "left"), 0, 0, inum(n, "bottom"), inum(n, "right"))
		e.op("Pad", []string{in[0], p}, id, out, strA("mode", "reflect"))
	case "maxout":
		k := inum(n, "pieces")
		src := e.a.Nodes[in[0]].Out
		c := int64(src[0]) / k
		r := e.op("Reshape", []string{in[0], e.int64s(id+"/split_shape", 0, c, k, -1)}, id+"/split", []int{int(c), int(k), numel(src[1:])})
		r = e.op("ReduceMax", []string{r}, id+"/max", []int{int(c), numel(src[1:])}, ints("axes", 2), intA("keepdims", 0))
		shape := []int64{0}
		for _, d := range out {
			shape = append(shape, int64(d))
		}
		e.op("Reshape", []string{r, e.int64s(id+"/shape", shape...)}, id, out)
	case "channelshuffle":
		g := inum(n, "groups")
		src := e.a.Nodes[in[0]].Out
		c := int64(src[0])
		inner := int64(numel(src[1:]))
		r := e.op("Reshape", []string{in[0], e.int64s(id+"/split_shape", 0, g, c/g, inner)}, id+"/split", []int{int(g), int(c / g), int(inner)})
		r = e.op("Transpose", []string{r}, id+"/swap", []int{int(c / g), int(g), int(inner)}, ints("perm", 0, 2, 1, 3))
		shape := []int64{0}
		for _, d := range out {
			shape = append(shape, int64(d))
		}
		e.op("Reshape", []string{r, e.int64s(id+"/shape", shape...)}, id, out)
	case "condinstancenorm":
		// One style: an instance norm with that style's gamma and beta.
		if k := inum(n, "styles"); k != 1 {
			return notMapped("its gamma and beta are blended from %d styles by weights given at run time, and an ONNX model has no such input; train a single-style network to export it", k)
		}
		sc, err := e.param(n, "weight", []int{out[0]}, float32(math.NaN()))
		if err != nil {
			return err
		}
		b, err := e.param(n, "bias", []int{out[0]}, float32(math.NaN()))
		if err != nil {
			return err
		}
		e.op("InstanceNormalization", []string{in[0], sc, b}, id, out, floatA("epsilon", num(n, "eps")))
	case "upsample":
		// What PyTorch writes for F.interpolate(scale_factor=s,
		// mode='nearest'): output pixel i reads input pixel floor(i/s).
		s := float32(inum(n, "scale"))
		e.op("Resize", []string{in[0], "", e.floats(id+"/scales", []int{4}, []float32{1, 1, s, s})}, id, out,
			strA("mode", "nearest"), strA("coordinate_transformation_mode", "asymmetric"), strA("nearest_mode", "floor"))
	case "channelslice":
		e.op("Slice", []string{in[0], e.int64s(id+"/starts", inum(n, "from")), e.int64s(id+"/ends", inum(n, "to")),
			e.int64s(id+"/axes", 1)}, id, out)
	default:
		return notMapped("no ONNX form")
	}
	return nil
}

// fillIf returns v when the parameter is absent by design, else NaN (which
// makes a missing parameter an error).
func fillIf(absent bool, v float32) float32 {
	if absent {
		return v
	}
	return float32(math.NaN())
}

// groupNorm writes GroupNormalization as InstanceNormalization over the
// groups (a reshape to [N, G, rest]) followed by the per-channel affine.
func (e *exporter) groupNorm(n *graph.Node, out []int) error {
	id, g := n.ID, inum(n, "groups")
	c := int64(out[0])
	rest := int64(numel(out)) / g
	r := e.op("Reshape", []string{n.Inputs[0], e.int64s(id+"/groups", 0, g, rest)}, id+"/grouped", []int{int(g), int(rest)})
	ones := make([]float32, g)
	for k := range ones {
		ones[k] = 1
	}
	r = e.op("InstanceNormalization", []string{r, e.floats(id+"/ones", []int{int(g)}, ones), e.floats(id+"/zeros", []int{int(g)}, make([]float32, g))},
		id+"/normed", []int{int(g), int(rest)}, floatA("epsilon", num(n, "eps")))
	shape := []int64{0}
	for _, d := range out {
		shape = append(shape, int64(d))
	}
	r = e.op("Reshape", []string{r, e.int64s(id+"/shape", shape...)}, id+"/back", out)
	bshape := []int{int(c), 1, 1}
	if len(out) != 3 {
		return notMapped("over a %v input", out)
	}
	w, err := e.param(n, "weight", bshape, float32(math.NaN()))
	if err != nil {
		return err
	}
	b, err := e.param(n, "bias", bshape, float32(math.NaN()))
	if err != nil {
		return err
	}
	r = e.op("Mul", []string{r, w}, id+"/scaled", out)
	e.op("Add", []string{r, b}, id, out)
	return nil
}

// weightAndBias returns the inputs of a convolution or linear node: x, its
// weight and, when the node has one, its bias.
func (e *exporter) weightAndBias(n *graph.Node, x string) ([]string, error) {
	w, err := e.param(n, "weight", nil, float32(math.NaN()))
	if err != nil {
		return nil, err
	}
	ins := []string{x, w}
	if inum(n, "bias") == 1 {
		b, err := e.param(n, "bias", nil, float32(math.NaN()))
		if err != nil {
			return nil, err
		}
		ins = append(ins, b)
	}
	return ins, nil
}
