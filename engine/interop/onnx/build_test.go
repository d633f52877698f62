package onnx

import (
	"encoding/binary"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
)

// mb builds small ONNX models by hand for the tests.
type mb struct{ m *onnxpb.ModelProto }

func newMB(opset int64, input ...int64) *mb {
	dims := []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: "N"}}}
	for _, d := range input {
		dims = append(dims, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: d}})
	}
	vi := &onnxpb.ValueInfoProto{Name: "x", Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{
		ElemType: int32(onnxpb.TensorProto_FLOAT), Shape: &onnxpb.TensorShapeProto{Dim: dims}}}}}
	return &mb{m: &onnxpb.ModelProto{IrVersion: 7, OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: opset}},
		Graph: &onnxpb.GraphProto{Name: "test", Input: []*onnxpb.ValueInfoProto{vi}}}}
}

func floatTensor(name string, shape []int, data []float32) *onnxpb.TensorProto {
	t := &onnxpb.TensorProto{Name: name, DataType: int32(onnxpb.TensorProto_FLOAT)}
	for _, d := range shape {
		t.Dims = append(t.Dims, int64(d))
	}
	t.RawData = make([]byte, 4*len(data))
	for k, v := range data {
		binary.LittleEndian.PutUint32(t.RawData[4*k:], math.Float32bits(v))
	}
	return t
}

func (b *mb) init(name string, shape []int, data []float32) *mb {
	b.m.Graph.Initializer = append(b.m.Graph.Initializer, floatTensor(name, shape, data))
	return b
}

func (b *mb) ints(name string, v ...int64) *mb {
	b.m.Graph.Initializer = append(b.m.Graph.Initializer, &onnxpb.TensorProto{Name: name,
		DataType: int32(onnxpb.TensorProto_INT64), Dims: []int64{int64(len(v))}, Int64Data: v})
	return b
}

func (b *mb) node(op string, ins, outs []string, at ...*onnxpb.AttributeProto) *mb {
	b.m.Graph.Node = append(b.m.Graph.Node, &onnxpb.NodeProto{OpType: op, Input: ins, Output: outs, Attribute: at, Name: outs[0]})
	return b
}

func (b *mb) out(name string) *mb {
	b.m.Graph.Output = append(b.m.Graph.Output, &onnxpb.ValueInfoProto{Name: name})
	return b
}

func (b *mb) bytes() []byte {
	data, err := proto.Marshal(b.m)
	if err != nil {
		panic(err)
	}
	return data
}

func aInts(name string, v ...int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INTS, Ints: v}
}

func aInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_INT, I: v}
}

func aFloat(name string, v float32) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_FLOAT, F: v}
}

func aStr(name, v string) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: name, Type: onnxpb.AttributeProto_STRING, S: []byte(v)}
}
