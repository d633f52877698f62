package onnx

import (
	"fmt"
	"math"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/workbench-cv/workbench/engine/graph"
	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
	"github.com/workbench-cv/workbench/engine/nn"
)

// ExportOpset is the ONNX operator set exported models use (17: it has
// LayerNormalization and HardSwish as single ops).
const ExportOpset = 17

// OutputName is the name of an exported model's output ("logits_output"
// when a layer already has that name).
const OutputName = "logits"

// exporter writes one graph.
type exporter struct {
	g *onnxpb.GraphProto
	a *nn.Analysis
	w map[string]Tensor
}

// Export writes g (with per-example input shape input and the weights and
// running statistics named as nn.Model.State names them) as an ONNX model:
// opset 17, a batch dimension "N", every intermediate shape in value_info.
// An op with no exact ONNX form gives an error naming it.
func Export(g graph.Graph, input []int, weights map[string]Tensor, producer string) ([]byte, error) {
	a := nn.Analyze(g, input)
	if err := a.Err(); err != nil {
		return nil, fmt.Errorf("the model does not check: %v", err)
	}
	e := &exporter{g: &onnxpb.GraphProto{Name: "workbench"}, a: a, w: weights}
	nodes := map[string]*graph.Node{}
	for i := range g.Nodes {
		nodes[g.Nodes[i].ID] = &g.Nodes[i]
	}
	var missing []string
	for _, id := range a.Order {
		n := nodes[id]
		if err := e.node(n); err != nil {
			if _, ok := err.(unsupported); ok {
				missing = append(missing, fmt.Sprintf("%s (%s: %v)", n.Op, n.ID, err))
				continue
			}
			return nil, fmt.Errorf("node %s (%s): %w", n.ID, n.Op, err)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("these layers have no exact ONNX form: %s", strings.Join(missing, ", "))
	}
	out := OutputName
	if _, taken := a.Nodes[out]; taken {
		out += "_output" // a layer is called "logits"
	}
	e.g.Node = append(e.g.Node, &onnxpb.NodeProto{OpType: "Identity", Name: out, Input: []string{a.Output}, Output: []string{out}})
	e.g.Output = []*onnxpb.ValueInfoProto{valueInfo(out, a.Nodes[a.Output].Out)}
	// value_info lists the intermediate values, not the graph's input.
	var infos []*onnxpb.ValueInfoProto
	for _, vi := range e.g.ValueInfo {
		if vi.GetName() != a.Input {
			infos = append(infos, vi)
		}
	}
	e.g.ValueInfo = infos
	m := &onnxpb.ModelProto{IrVersion: 8, ProducerName: producer, Graph: e.g,
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Domain: "", Version: ExportOpset}}}
	return proto.Marshal(m)
}

func valueInfo(name string, perExample []int) *onnxpb.ValueInfoProto {
	dims := []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}}
	for _, d := range perExample {
		dims = append(dims, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
	}
	return &onnxpb.ValueInfoProto{Name: name, Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
		ElemType: int32(onnxpb.TensorProto_FLOAT), Shape: &onnxpb.TensorShapeProto{Dim: dims}}}}}
}

// op appends an ONNX node computing out (per-example shape shape).
func (e *exporter) op(typ string, ins []string, out string, shape []int, at ...*onnxpb.AttributeProto) string {
	e.g.Node = append(e.g.Node, &onnxpb.NodeProto{OpType: typ, Name: out, Input: ins, Output: []string{out}, Attribute: at})
	e.g.ValueInfo = append(e.g.ValueInfo, valueInfo(out, shape))
	return out
}

func (e *exporter) floats(name string, shape []int, data []float32) string {
	e.g.Initializer = append(e.g.Initializer, floatInit(name, shape, data))
	return name
}

func (e *exporter) int64s(name string, v ...int64) string {
	e.g.Initializer = append(e.g.Initializer, &onnxpb.TensorProto{Name: name, DataType: int32(onnxpb.TensorProto_INT64),
		Dims: []int64{int64(len(v))}, Int64Data: v})
	return name
}

func floatInit(name string, shape []int, data []float32) *onnxpb.TensorProto {
	t := &onnxpb.TensorProto{Name: name, DataType: int32(onnxpb.TensorProto_FLOAT), RawData: make([]byte, 4*len(data))}
	for _, d := range shape {
		t.Dims = append(t.Dims, int64(d))
	}
	for k, v := range data {
		b := math.Float32bits(v)
		t.RawData[4*k], t.RawData[4*k+1], t.RawData[4*k+2], t.RawData[4*k+3] = byte(b), byte(b>>8), byte(b>>16), byte(b>>24)
	}
	return t
}

// param adds the node's parameter as an initializer (reshaped to shape
// when given) and returns its name; fill supplies a constant when the
// layer has none (batch norm without affine).
func (e *exporter) param(n *graph.Node, name string, shape []int, fill float32) (string, error) {
	t, ok := e.w[n.ID+"."+name]
	if !ok {
		if math.IsNaN(float64(fill)) {
			return "", fmt.Errorf("the weights have no %s.%s", n.ID, name)
		}
		d := make([]float32, numel(shape))
		for k := range d {
			d[k] = fill
		}
		return e.floats(n.ID+"."+name, shape, d), nil
	}
	if shape == nil {
		shape = t.Shape
	}
	if numel(shape) != len(t.Data) {
		return "", fmt.Errorf("%s.%s has %d values, the layer needs %v", n.ID, name, len(t.Data), shape)
	}
	return e.floats(n.ID+"."+name, shape, t.Data), nil
}

// num reads an attribute with the op's default.
func num(n *graph.Node, name string) float64 {
	o, _ := nn.Lookup(n.Op)
	for _, a := range o.Attrs {
		if a.Name == name {
			return n.Attr(name, a.Default)
		}
	}
	return n.Attr(name, 0)
}

func inum(n *graph.Node, name string) int64 { return int64(num(n, name)) }

// axisNum reads a per-axis window attribute (kernel_h ...) falling back to
// the square one, as engine/nn does.
func axisNum(n *graph.Node, square string, hw int) int64 {
	if v := inum(n, square+[2]string{"_h", "_w"}[hw]); v != 0 {
		return v
	}
	return inum(n, square)
}

func ints(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
}

func intA(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: v}
}

func floatA(name string, v float64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOAT, F: float32(v)}
}

func strA(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_STRING, S: []byte(v)}
}
