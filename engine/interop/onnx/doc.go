// Package onnx imports ONNX models into Workbench graphs and exports
// Workbench models to ONNX.
//
// Import maps an ONNX graph (opset 7 and later, as PyTorch, Keras converters
// and others write it) onto the layers of engine/nn, exactly as the ONNX
// operator specification defines them: Conv with its groups, dilations,
// auto_pad and asymmetric pads, pooling with ceil_mode and
// count_include_pad, normalisations, Gemm/MatMul, the activations,
// nearest-neighbour Resize/Upsample by a whole factor (checked pixel by
// pixel under the node's coordinate transform and rounding), and the
// constant shape arithmetic (Shape, Gather, Unsqueeze, Concat feeding
// Reshape) that exporters emit, folded away. What cannot be mapped is
// reported by op name in an *UnsupportedError and nothing is returned:
// a model is imported whole or not at all.
//
// Export writes a model that engine/nn builds as an ONNX file (opset 17)
// with every intermediate shape in value_info. Fast style networks export
// too (upsample as Resize, a one-style conditional instance norm as
// InstanceNormalization); a layer with no exact ONNX form is named in the
// error, with the reason.
//
// The protobuf types come from onnxpb, generated from a minimal onnx.proto
// written from the specification's field numbers.
package onnx
