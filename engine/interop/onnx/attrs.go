package onnx

import (
	"strings"

	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
)

// attrs gives a node's attributes by name with the specification's
// defaults.
type attrs map[string]*onnxpb.AttributeProto

func attrsOf(n *onnxpb.NodeProto) attrs {
	a := attrs{}
	for _, at := range n.GetAttribute() {
		a[at.GetName()] = at
	}
	return a
}

func (a attrs) has(name string) bool { return a[name] != nil }

func (a attrs) int(name string, def int64) int64 {
	if at := a[name]; at != nil {
		return at.GetI()
	}
	return def
}

func (a attrs) float(name string, def float32) float32 {
	if at := a[name]; at != nil {
		return at.GetF()
	}
	return def
}

func (a attrs) str(name, def string) string {
	if at := a[name]; at != nil {
		return string(at.GetS())
	}
	return def
}

func (a attrs) ints(name string, def []int64) []int64 {
	if at := a[name]; at != nil {
		return at.GetInts()
	}
	return def
}

// hint names the engine node made from n: the prefix of its weights'
// initializer when PyTorch named it ("layer1.0.conv1" from
// "layer1.0.conv1.weight"), else the node's name, else its first output.
func hint(n *onnxpb.NodeProto, weight int) string {
	if weight >= 0 && weight < len(n.GetInput()) {
		w := n.GetInput()[weight]
		for _, suf := range []string{".weight", ".bias"} {
			if p, ok := strings.CutSuffix(w, suf); ok && p != "" && !strings.Contains(p, "::") {
				return p
			}
		}
	}
	if n.GetName() != "" {
		return n.GetName()
	}
	if len(n.GetOutput()) > 0 && n.GetOutput()[0] != "" {
		return strings.ToLower(n.GetOpType()) + "_" + n.GetOutput()[0]
	}
	return strings.ToLower(n.GetOpType())
}

func (a attrs) floats(name string) []float32 {
	if at := a[name]; at != nil {
		return at.GetFloats()
	}
	return nil
}
