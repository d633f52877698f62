package onnx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
)

// Limits on what a file may ask for. Weights must be backed by bytes in the
// file, so memory stays proportional to the file's size; these bound the
// rest (folded shape constants, node counts, image sizes).
const (
	MaxFileBytes    = 2<<30 - 1 // protobuf's own limit
	maxTensorElems  = 1 << 31
	maxFoldedElems  = 1 << 22
	maxNodes        = 200000
	maxDims         = 8
	maxInputChannel = 4096
	maxInputSide    = 8192
)

// ErrInput marks problems with the file itself (not an ONNX model, corrupt
// or hostile contents); the CLI reports them as bad input.
var ErrInput = errors.New("bad ONNX file")

func inputErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInput, fmt.Sprintf(format, args...))
}

// Decode parses an ONNX model file.
func Decode(data []byte) (*onnxpb.ModelProto, error) {
	if len(data) > MaxFileBytes {
		return nil, inputErrorf("the file is %d bytes, more than ONNX's 2 GiB protobuf limit", len(data))
	}
	m := &onnxpb.ModelProto{}
	if err := (proto.UnmarshalOptions{RecursionLimit: 64}).Unmarshal(data, m); err != nil {
		return nil, inputErrorf("not an ONNX model (protobuf: %v); export it again with torch.onnx.export or onnx.save", err)
	}
	if m.GetGraph() == nil {
		return nil, inputErrorf("the file has no graph: not an ONNX model, or an empty one")
	}
	if len(m.GetGraph().GetNode()) > maxNodes {
		return nil, inputErrorf("the graph has %d nodes, more than the %d this importer reads", len(m.GetGraph().GetNode()), maxNodes)
	}
	return m, nil
}

// constant is a tensor known at import time: an initializer, a Constant
// node, or a folded shape computation. Exactly one of f and i is set.
type constant struct {
	shape []int
	f     []float32
	i     []int64
}

func (c *constant) numel() int {
	if c.f != nil {
		return len(c.f)
	}
	return len(c.i)
}

func (c *constant) isInt() bool { return c.i != nil }

// ints returns the values as integers (floats must be whole).
func (c *constant) ints() ([]int64, bool) {
	if c.i != nil {
		return c.i, true
	}
	out := make([]int64, len(c.f))
	for k, v := range c.f {
		if float32(int64(v)) != v {
			return nil, false
		}
		out[k] = int64(v)
	}
	return out, true
}

// floats returns the values as float32.
func (c *constant) floats() []float32 {
	if c.f != nil {
		return c.f
	}
	out := make([]float32, len(c.i))
	for k, v := range c.i {
		out[k] = float32(v)
	}
	return out
}

func checkedNumel(dims []int64, what string) (int, error) {
	if len(dims) > maxDims {
		return 0, inputErrorf("%s has %d dimensions; at most %d are read", what, len(dims), maxDims)
	}
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, inputErrorf("%s has a negative dimension in %v", what, dims)
		}
		if d > 0 && n > maxTensorElems/d {
			return 0, inputErrorf("%s has dimensions %v: more than %d elements", what, dims, int64(maxTensorElems))
		}
		n *= d
	}
	if n > maxTensorElems {
		return 0, inputErrorf("%s has dimensions %v: more than %d elements", what, dims, int64(maxTensorElems))
	}
	return int(n), nil
}

// tensorConst decodes a TensorProto's values.
func tensorConst(t *onnxpb.TensorProto) (*constant, error) {
	what := fmt.Sprintf("tensor %q", t.GetName())
	if t.GetDataLocation() == onnxpb.TensorProto_EXTERNAL || len(t.GetExternalData()) > 0 {
		return nil, inputErrorf("%s keeps its data in an external file, which is not read (no paths outside the model); save the model with its weights inside (onnx.save_model(m, path, save_as_external_data=False))", what)
	}
	n, err := checkedNumel(t.GetDims(), what)
	if err != nil {
		return nil, err
	}
	shape := make([]int, len(t.GetDims()))
	for k, d := range t.GetDims() {
		shape[k] = int(d)
	}
	c := &constant{shape: shape}
	raw := t.GetRawData()
	dt := onnxpb.TensorProto_DataType(t.GetDataType())
	size := map[onnxpb.TensorProto_DataType]int{onnxpb.TensorProto_FLOAT: 4, onnxpb.TensorProto_DOUBLE: 8,
		onnxpb.TensorProto_INT64: 8, onnxpb.TensorProto_INT32: 4, onnxpb.TensorProto_INT16: 2, onnxpb.TensorProto_UINT16: 2,
		onnxpb.TensorProto_INT8: 1, onnxpb.TensorProto_UINT8: 1, onnxpb.TensorProto_BOOL: 1, onnxpb.TensorProto_UINT32: 4,
		onnxpb.TensorProto_UINT64: 8, onnxpb.TensorProto_FLOAT16: 2}[dt]
	if size == 0 {
		return nil, inputErrorf("%s has element type %s, which is not imported (float, double, float16 and integer tensors are)", what, dt)
	}
	count := func(have int) error {
		if have != n {
			return inputErrorf("%s has %d values for dimensions %v (%d elements): the file is truncated or corrupt", what, have, t.GetDims(), n)
		}
		return nil
	}
	if len(raw) > 0 || n == 0 && typedLen(t) == 0 {
		if len(raw) != n*size {
			return nil, inputErrorf("%s has %d bytes of raw data for dimensions %v (%d bytes needed): the file is truncated or corrupt", what, len(raw), t.GetDims(), n*size)
		}
		le := binary.LittleEndian
		switch dt {
		case onnxpb.TensorProto_FLOAT, onnxpb.TensorProto_DOUBLE, onnxpb.TensorProto_FLOAT16:
			c.f = make([]float32, n)
			for k := range c.f {
				switch dt {
				case onnxpb.TensorProto_FLOAT:
					c.f[k] = math.Float32frombits(le.Uint32(raw[4*k:]))
				case onnxpb.TensorProto_DOUBLE:
					c.f[k] = float32(math.Float64frombits(le.Uint64(raw[8*k:])))
				default:
					c.f[k] = half(le.Uint16(raw[2*k:]))
				}
			}
		default:
			c.i = make([]int64, n)
			for k := range c.i {
				switch size {
				case 8:
					c.i[k] = int64(le.Uint64(raw[8*k:]))
				case 4:
					if dt == onnxpb.TensorProto_INT32 {
						c.i[k] = int64(int32(le.Uint32(raw[4*k:])))
					} else {
						c.i[k] = int64(le.Uint32(raw[4*k:]))
					}
				case 2:
					if dt == onnxpb.TensorProto_INT16 {
						c.i[k] = int64(int16(le.Uint16(raw[2*k:])))
					} else {
						c.i[k] = int64(le.Uint16(raw[2*k:]))
					}
				default:
					if dt == onnxpb.TensorProto_INT8 {
						c.i[k] = int64(int8(raw[k]))
					} else {
						c.i[k] = int64(raw[k])
					}
				}
			}
		}
		return c, nil
	}
	switch dt {
	case onnxpb.TensorProto_FLOAT:
		if err := count(len(t.GetFloatData())); err != nil {
			return nil, err
		}
		c.f = append([]float32(nil), t.GetFloatData()...)
	case onnxpb.TensorProto_DOUBLE:
		if err := count(len(t.GetDoubleData())); err != nil {
			return nil, err
		}
		c.f = make([]float32, n)
		for k, v := range t.GetDoubleData() {
			c.f[k] = float32(v)
		}
	case onnxpb.TensorProto_FLOAT16:
		if err := count(len(t.GetInt32Data())); err != nil {
			return nil, err
		}
		c.f = make([]float32, n)
		for k, v := range t.GetInt32Data() {
			c.f[k] = half(uint16(v))
		}
	case onnxpb.TensorProto_INT64:
		if err := count(len(t.GetInt64Data())); err != nil {
			return nil, err
		}
		c.i = append([]int64(nil), t.GetInt64Data()...)
	case onnxpb.TensorProto_UINT32, onnxpb.TensorProto_UINT64:
		if err := count(len(t.GetUint64Data())); err != nil {
			return nil, err
		}
		c.i = make([]int64, n)
		for k, v := range t.GetUint64Data() {
			c.i[k] = int64(v)
		}
	default: // int32, int16, int8, uint16, uint8, bool live in int32_data
		if err := count(len(t.GetInt32Data())); err != nil {
			return nil, err
		}
		c.i = make([]int64, n)
		for k, v := range t.GetInt32Data() {
			c.i[k] = int64(v)
		}
	}
	return c, nil
}

func typedLen(t *onnxpb.TensorProto) int {
	return len(t.GetFloatData()) + len(t.GetDoubleData()) + len(t.GetInt32Data()) + len(t.GetInt64Data()) + len(t.GetUint64Data())
}

// half converts an IEEE 754 binary16 value.
func half(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := int(h>>10) & 0x1f
	frac := uint32(h & 0x3ff)
	switch {
	case exp == 0:
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	case exp == 31:
		return math.Float32frombits(sign | 0x7f800000 | frac<<13)
	}
	return math.Float32frombits(sign | uint32(exp-15+127)<<23 | frac<<13)
}
