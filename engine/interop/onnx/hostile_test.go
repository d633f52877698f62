package onnx

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/workbench-cv/workbench/engine/interop"
	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
)

// What cannot be mapped is listed by op name and nothing is returned.
func TestUnsupportedOpsAreListedAndNothingLoads(t *testing.T) {
	b := newMB(13, 3, 8, 8).init("w", []int{4, 3, 3, 3}, make([]float32, 108)).
		node("Conv", []string{"x", "w"}, []string{"c"}).
		node("LSTM", []string{"c"}, []string{"l"}).
		node("Slice", []string{"c"}, []string{"s"}).
		node("Relu", []string{"l"}, []string{"r"}).
		node("Add", []string{"r", "s"}, []string{"y"}).out("y")
	b.m.Graph.Node = append(b.m.Graph.Node, &onnxpb.NodeProto{OpType: "FusedConv", Domain: "com.microsoft", Input: []string{"c"}, Output: []string{"f"}})
	m, err := Import(b.bytes())
	var u *interop.UnsupportedError
	if !errors.As(err, &u) || m != nil {
		t.Fatalf("got %v, %v; want an UnsupportedError and no model", m, err)
	}
	if want := []string{"LSTM", "Slice", "com.microsoft:FusedConv"}; !reflect.DeepEqual(u.Ops, want) {
		t.Errorf("unsupported %v, want %v", u.Ops, want)
	}
	if !strings.Contains(err.Error(), "nothing was imported") {
		t.Errorf("message %q", err)
	}
}

// hostile returns small malformed models, each with a fragment its error
// must contain.
func hostile() map[string]struct {
	data []byte
	want string
} {
	out := map[string]struct {
		data []byte
		want string
	}{}
	add := func(name, want string, b *mb) {
		out[name] = struct {
			data []byte
			want string
		}{b.bytes(), want}
	}
	huge := newMB(13, 3, 8, 8)
	huge.m.Graph.Initializer = append(huge.m.Graph.Initializer, &onnxpb.TensorProto{Name: "w", DataType: 1, Dims: []int64{1 << 40, 1 << 40, 3, 3}})
	add("huge-dims", "elements", huge.node("Conv", []string{"x", "w"}, []string{"y"}).out("y"))
	short := newMB(13, 3, 8, 8)
	w := floatTensor("w", []int{4, 3, 3, 3}, make([]float32, 100))
	short.m.Graph.Initializer = append(short.m.Graph.Initializer, w)
	add("raw-data-short", "truncated", short.node("Conv", []string{"x", "w"}, []string{"y"}).out("y"))
	add("cycle", "cycle", newMB(13, 4).node("Relu", []string{"b"}, []string{"a"}).node("Relu", []string{"a"}, []string{"b"}).
		node("Add", []string{"x", "b"}, []string{"y"}).out("y"))
	add("undefined-input", "no node", newMB(13, 4).node("Relu", []string{"nowhere"}, []string{"y"}).out("y"))
	ext := newMB(13, 3, 8, 8)
	ext.m.Graph.Initializer = append(ext.m.Graph.Initializer, &onnxpb.TensorProto{Name: "w", DataType: 1, Dims: []int64{4, 3, 3, 3},
		DataLocation: onnxpb.TensorProto_EXTERNAL, ExternalData: []*onnxpb.StringStringEntryProto{{Key: "location", Value: "../../etc/passwd"}}})
	add("external-data", "external", ext.node("Conv", []string{"x", "w"}, []string{"y"}).out("y"))
	big := newMB(13, 3, 1<<20, 8)
	add("huge-input", "fixed sizes", big.node("Relu", []string{"x"}, []string{"y"}).out("y"))
	fold := newMB(13, 4).ints("s", 1<<20, 1<<20)
	add("huge-folded", "larger than", fold.node("ConstantOfShape", []string{"s"}, []string{"c"}).node("Add", []string{"x", "c"}, []string{"y"}).out("y"))
	add("old-opset", "opset 5", newMB(5, 4).node("Relu", []string{"x"}, []string{"y"}).out("y"))
	out["not-protobuf"] = struct {
		data []byte
		want string
	}{[]byte("this is not a model\x00\xff"), "not an ONNX model"}
	return out
}

func TestHostileFilesGiveOneClearError(t *testing.T) {
	for name, h := range hostile() {
		t.Run(name, func(t *testing.T) {
			m, err := Import(h.data)
			if err == nil || m != nil {
				t.Fatalf("imported (%v); want an error", m)
			}
			if !errors.Is(err, ErrInput) {
				t.Errorf("error %q is not marked as bad input", err)
			}
			if !strings.Contains(err.Error(), h.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line mentioning %q", err, h.want)
			}
		})
	}
}
