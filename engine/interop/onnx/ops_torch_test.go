package onnx

import (
	"testing"

	"github.com/workbench-cv/workbench/engine/autograd"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
	"github.com/workbench-cv/workbench/engine/internal/torchref"
	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
	"github.com/workbench-cv/workbench/engine/nn"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// Hand-built ONNX graphs for what PyTorch does not export as single ops
// (LRN, auto_pad, asymmetric Conv pads, Gemm's alpha/beta/transB=0,
// MatMul+Add, Conv+Mul+Add, count_include_pad=0 with asymmetric pads, Clip
// attributes of opset 7, Pad with a value, Pad mode=reflect), each checked against PyTorch
// code written from the ONNX operator specification.

type graphCase struct {
	name  string
	input []int // per example
	model func(b *mb) *mb
	// params are initializers, also handed to PyTorch as T[name].
	params map[string][]int
	torch  string
	ops    []string // engine ops the import must use
}

func graphCases() []graphCase {
	return []graphCase{
		{name: "lrn", input: []int{7, 4, 5}, ops: []string{"lrn"},
			model: func(b *mb) *mb {
				return b.node("LRN", []string{"x"}, []string{"y"}, aInt("size", 5), aFloat("alpha", 0.02), aFloat("beta", 0.6), aFloat("bias", 1.3))
			},
			torch: "out = F.local_response_norm(x, 5, alpha=0.02, beta=0.6, k=1.3)"},
		{name: "conv-same-upper-rect", input: []int{3, 7, 8}, ops: []string{"conv2d"},
			params: map[string][]int{"w": {4, 3, 3, 2}, "b": {4}},
			model: func(b *mb) *mb {
				return b.node("Conv", []string{"x", "w", "b"}, []string{"y"}, aStr("auto_pad", "SAME_UPPER"), aInts("strides", 2, 2))
			},
			// H 7: out 4, total (4-1)*2+3-7 = 2 → 1, 1; W 8: out 4, total (4-1)*2+2-8 = 0.
			torch: "out = F.conv2d(F.pad(x, (0, 0, 1, 1)), T['w'], T['b'], stride=2)"},
		{name: "conv-same-lower", input: []int{2, 8, 8}, ops: []string{"pad2d", "conv2d"},
			params: map[string][]int{"w": {3, 2, 3, 3}},
			model: func(b *mb) *mb {
				return b.node("Conv", []string{"x", "w"}, []string{"y"}, aStr("auto_pad", "SAME_LOWER"), aInts("strides", 2, 2))
			},
			// 8: out 4, total (4-1)*2+3-8 = 1 → begin 1, end 0.
			torch: "out = F.conv2d(F.pad(x, (1, 0, 1, 0)), T['w'], stride=2)"},
		{name: "conv-asym-pads-groups", input: []int{4, 6, 7}, ops: []string{"pad2d", "conv2d"},
			params: map[string][]int{"w": {6, 2, 3, 2}, "b": {6}},
			model: func(b *mb) *mb {
				return b.node("Conv", []string{"x", "w", "b"}, []string{"y"}, aInts("pads", 0, 1, 2, 1), aInts("strides", 2, 1), aInt("group", 2))
			},
			torch: "out = F.conv2d(F.pad(x, (1, 1, 0, 2)), T['w'], T['b'], stride=(2, 1), groups=2)"},
		{name: "conv-rect-sym", input: []int{2, 6, 7}, ops: []string{"conv2d"},
			params: map[string][]int{"w": {3, 2, 1, 3}},
			model: func(b *mb) *mb {
				return b.node("Conv", []string{"x", "w"}, []string{"y"}, aInts("pads", 0, 1, 0, 1), aInts("strides", 1, 2))
			},
			torch: "out = F.conv2d(x, T['w'], padding=(0, 1), stride=(1, 2))"},
		{name: "conv-mul-add", input: []int{3, 5, 5}, ops: []string{"conv2d"},
			params: map[string][]int{"w": {4, 3, 3, 3}, "s": {4, 1, 1}, "c": {1, 4, 1, 1}},
			model: func(b *mb) *mb {
				return b.node("Conv", []string{"x", "w"}, []string{"h"}).node("Mul", []string{"h", "s"}, []string{"m"}).
					node("Add", []string{"c", "m"}, []string{"y"})
			},
			torch: "out = F.conv2d(x, T['w']) * T['s'] + T['c']"},
		{name: "gemm-alpha-beta", input: []int{6}, ops: []string{"linear"},
			params: map[string][]int{"B": {6, 4}, "C": {1, 4}},
			model: func(b *mb) *mb {
				return b.node("Gemm", []string{"x", "B", "C"}, []string{"y"}, aFloat("alpha", 0.5), aFloat("beta", 2))
			},
			torch: "out = 0.5 * x @ T['B'] + 2 * T['C']"},
		{name: "matmul-add", input: []int{5}, ops: []string{"linear"},
			params: map[string][]int{"B": {5, 3}, "c": {3}},
			model: func(b *mb) *mb {
				return b.node("MatMul", []string{"x", "B"}, []string{"h"}).node("Add", []string{"h", "c"}, []string{"y"})
			},
			torch: "out = x @ T['B'] + T['c']"},
		{name: "maxpool-same-upper", input: []int{2, 7, 8}, ops: []string{"pool2d"},
			model: func(b *mb) *mb {
				return b.node("MaxPool", []string{"x"}, []string{"y"}, aInts("kernel_shape", 3, 3), aInts("strides", 2, 2), aStr("auto_pad", "SAME_UPPER"))
			},
			// H 7: total 2 → 1, 1; W 8: total 1 → 0, 1.
			torch: "out = F.max_pool2d(F.pad(x, (0, 1, 1, 1), value=-math.inf), 3, 2)"},
		{name: "avgpool-asym-nocount", input: []int{2, 5, 6}, ops: []string{"pool2d"},
			model: func(b *mb) *mb {
				return b.node("AveragePool", []string{"x"}, []string{"y"}, aInts("kernel_shape", 2, 3), aInts("pads", 1, 0, 0, 2))
			},
			torch: `p = (0, 2, 1, 0)
s = F.avg_pool2d(F.pad(x, p), (2, 3), 1) * 6
cnt = F.avg_pool2d(F.pad(torch.ones_like(x), p), (2, 3), 1) * 6
out = s / cnt`},
		{name: "globalmaxpool-flatten", input: []int{3, 4, 5}, ops: []string{"pool2d", "flatten"},
			model: func(b *mb) *mb {
				return b.node("GlobalMaxPool", []string{"x"}, []string{"g"}).node("Flatten", []string{"g"}, []string{"y"})
			},
			torch: "out = x.amax((2, 3))"},
		{name: "clip-opset7-softmax", input: []int{6}, ops: []string{"clip", "softmax"},
			model: func(b *mb) *mb {
				b.m.OpsetImport[0].Version = 7
				return b.node("Clip", []string{"x"}, []string{"c"}, aFloat("min", -0.3), aFloat("max", 0.4)).
					node("Softmax", []string{"c"}, []string{"y"}, aInt("axis", 1))
			},
			torch: "out = torch.softmax(torch.clamp(x, -0.3, 0.4), 1)"},
		{name: "dropout-identity-sum", input: []int{5}, ops: []string{"add", "sigmoid"},
			model: func(b *mb) *mb {
				b.init("ratio", []int{}, []float32{0.4})
				return b.node("Dropout", []string{"x", "ratio"}, []string{"d", ""}).node("Identity", []string{"d"}, []string{"i"}).
					node("Sigmoid", []string{"i"}, []string{"s"}).node("Sum", []string{"s", "x", "i"}, []string{"y"})
			},
			torch: "out = torch.sigmoid(x) + x + x"},
		{name: "pad-value", input: []int{2, 3, 4}, ops: []string{"pad2d"},
			model: func(b *mb) *mb {
				b.init("v", []int{}, []float32{0.5})
				return b.ints("pads", 0, 0, 1, 0, 0, 0, 2, 3).node("Pad", []string{"x", "pads", "v"}, []string{"y"})
			},
			torch: "out = F.pad(x, (0, 3, 1, 2), value=0.5)"},
		{name: "pad-reflect", input: []int{2, 4, 5}, ops: []string{"reflectpad2d"},
			model: func(b *mb) *mb {
				return b.ints("pads", 0, 0, 3, 0, 0, 0, 1, 4).node("Pad", []string{"x", "pads"}, []string{"y"}, aStr("mode", "reflect"))
			},
			torch: "out = F.pad(x, (0, 4, 3, 1), mode='reflect')"},
		{name: "pad-reflect-opset10", input: []int{3, 5, 4}, ops: []string{"reflectpad2d"},
			model: func(b *mb) *mb {
				b.m.OpsetImport[0].Version = 10
				return b.node("Pad", []string{"x"}, []string{"y"}, aStr("mode", "reflect"), aInts("pads", 0, 0, 2, 1, 0, 0, 4, 3))
			},
			torch: "out = F.pad(x, (1, 3, 2, 4), mode='reflect')"},
	}
}

func TestHandBuiltGraphsMatchPyTorch(t *testing.T) {
	cases := graphCases()
	var refs []torchref.Case
	models := map[string]*Model{}
	xs := map[string][]float32{}
	const batch = 2
	for k, c := range cases {
		b := newMB(13)
		for _, d := range c.input {
			b.m.Graph.Input[0].Type.GetTensorType().Shape.Dim = append(b.m.Graph.Input[0].Type.GetTensorType().Shape.Dim,
				&onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
		}
		shape := append([]int{batch}, c.input...)
		x := torchref.Normal(uint64(100+k), numel(shape), 1)
		xs[c.name] = x
		inputs := []torchref.Input{{Name: "x", Shape: shape, Data: x}}
		for name, s := range c.params {
			v := torchref.Normal(uint64(200+k+len(name)), numel(s), 0.5)
			b.init(name, s, v)
			inputs = append(inputs, torchref.Input{Name: name, Shape: s, Data: v})
		}
		c.model(b).out("y")
		m, err := Import(b.bytes())
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		models[c.name] = m
		refs = append(refs, torchref.Case{Name: c.name, Inputs: inputs, Code: c.torch, Float32: true})
	}
	res := torchref.Run(t, refs)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := models[c.name]
			have := map[string]bool{}
			for _, n := range m.Graph.Nodes {
				have[n.Op] = true
			}
			for _, op := range c.ops {
				if !have[op] {
					t.Errorf("the import does not use %s: %v", op, m.Graph.Nodes)
				}
			}
			b := cpu.New()
			nm, err := m.Build(b)
			if err != nil {
				t.Fatal(err)
			}
			shape := append([]int{batch}, c.input...)
			out := nm.Forward(&nn.Ctx{NoGrad: true}, autograd.Const(tensor.FromData(b, xs[c.name], shape...)))
			r := res[c.name]
			if r == nil {
				t.Fatal("no PyTorch result")
			}
			torchref.Compare(t, "output", out.Value.Data(), out.Shape(), r.Out, torchref.Forward)
		})
	}
}
