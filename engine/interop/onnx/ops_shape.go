package onnx

import (
	"math"

	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
)

// Mappers of the shape ops, the elementwise merges and the ops with
// constant operands (Clip bounds, PRelu slopes, Pad amounts).

// reshapeTo maps a per-example reshape of x to the engine: a flatten to one
// vector, or nothing when the shape does not change.
func (im *importer) reshapeTo(n *onnxpb.NodeProto, x *value, to []int) (*value, error) {
	switch {
	case numel(to) != numel(x.shape):
		return nil, inputErrorf("%s to %v does not keep the %d values of %v", n.GetOpType(), to, numel(x.shape), x.shape)
	case sameInts(to, x.shape):
		return x, nil
	case len(to) == 1:
		return im.add("flatten", hint(n, -1), nil, x)
	}
	return nil, notMapped("reshape of %v to %v (Workbench reshapes only to one vector per example)", x.shape, to)
}

func mapFlatten(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 0, "input")
	if err != nil {
		return nil, err
	}
	axis := attrsOf(n).int("axis", 1)
	if axis < 0 {
		axis += int64(len(x.shape) + 1)
	}
	if axis != 1 {
		return nil, notMapped("axis %d (only the batch axis stays apart)", axis)
	}
	return im.reshapeTo(n, x, []int{numel(x.shape)})
}

func mapReshape(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 0, "data")
	if err != nil {
		return nil, err
	}
	sc, err := constIn(in, 1, "shape")
	if err != nil || sc == nil {
		return nil, orMissing(err, "Reshape shape")
	}
	t, ok := sc.ints()
	if !ok || len(t) == 0 || len(t) > maxDims {
		return nil, inputErrorf("Reshape shape %v is not a list of 1 to %d whole numbers", sc.floats(), maxDims)
	}
	allowZero := attrsOf(n).int("allowzero", 0) == 1
	per := numel(x.shape)
	to := make([]int, 0, len(t)-1)
	infer := -1
	for k, v := range t[1:] {
		switch {
		case v == 0 && !allowZero:
			if k >= len(x.shape) {
				return nil, inputErrorf("Reshape shape %v copies dimension %d, which the input lacks", t, k+1)
			}
			to = append(to, x.shape[k])
		case v == -1 && infer < 0:
			infer = len(to)
			to = append(to, 1)
		case v < 1 || v > math.MaxInt32:
			return nil, notMapped("shape %v (the batch dimension must stay first)", t)
		default:
			to = append(to, int(v))
		}
	}
	if infer >= 0 {
		rest := numel(to)
		if rest == 0 || per%rest != 0 {
			return nil, inputErrorf("Reshape shape %v does not divide the %d values per example", t, per)
		}
		to[infer] = per / rest
	}
	first := t[0]
	keepsBatch := first == batchSym || first == 0 && !allowZero || im.batch > 0 && first == im.batch ||
		first == -1 && infer < 0 && numel(to) == per
	if !keepsBatch {
		return nil, notMapped("shape %v moves values across the batch dimension", t)
	}
	return im.reshapeTo(n, x, to)
}

// axesOf reads the axes of Squeeze/Unsqueeze: an attribute before opset
// 13, the second input from 13 on.
func axesOf(im *importer, n *onnxpb.NodeProto, in []*value, rank int) ([]int, error) {
	var ax []int64
	if im.opset < 13 {
		ax = attrsOf(n).ints("axes", nil)
	} else if len(in) > 1 && in[1] != nil {
		if in[1].c == nil {
			return nil, notMapped("axes computed at run time")
		}
		v, ok := in[1].c.ints()
		if !ok {
			return nil, inputErrorf("axes are not whole numbers")
		}
		ax = v
	}
	out := make([]int, len(ax))
	for k, a := range ax {
		if a < 0 {
			a += int64(rank)
		}
		if a < 0 || a >= int64(rank) {
			return nil, inputErrorf("axis %d is outside rank %d", ax[k], rank)
		}
		out[k] = int(a)
	}
	return out, nil
}

func mapSqueeze(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 0, "data")
	if err != nil {
		return nil, err
	}
	full := append([]int{1}, x.shape...)
	axes, err := axesOf(im, n, in, len(full))
	if err != nil {
		return nil, err
	}
	drop := map[int]bool{}
	for _, a := range axes {
		if a == 0 {
			return nil, notMapped("squeezing the batch axis")
		}
		if full[a] != 1 {
			return nil, inputErrorf("Squeeze axis %d has size %d, not 1", a, full[a])
		}
		drop[a] = true
	}
	var to []int
	for k, d := range x.shape {
		if drop[k+1] || len(axes) == 0 && d == 1 {
			continue
		}
		to = append(to, d)
	}
	if len(to) == 0 {
		to = []int{1}
	}
	return im.reshapeTo(n, x, to)
}

// producerOf returns the engine node that computes ONNX value name when it
// is a conv2d or linear without bias read by nothing else: a constant added
// to or multiplied into it can fold into its parameters.
func (im *importer) foldTarget(name string, v *value) (int, bool) {
	k, ok := im.index[v.node]
	if !ok || im.uses[name] != 1 {
		return 0, false
	}
	op := im.g.Nodes[k].Op
	return k, op == "conv2d" || op == "linear"
}

// perOutput reads a constant that broadcasts one value per output channel
// of a conv2d ([C,1,1], [1,C,1,1]) or linear ([O], [1,O]) node, or a
// single value.
func perOutput(c *constant, conv bool, out int) ([]float32, bool) {
	v := c.floats()
	if len(v) == 1 {
		r := make([]float32, out)
		for k := range r {
			r[k] = v[0]
		}
		return r, true
	}
	if len(v) != out {
		return nil, false
	}
	s := c.shape
	if conv {
		ok := len(s) == 3 && s[1] == 1 && s[2] == 1 || len(s) == 4 && s[0] == 1 && s[2] == 1 && s[3] == 1
		return v, ok
	}
	return v, len(s) == 1 || len(s) == 2 && s[0] == 1
}

func mapAdd(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	var dyn []*value
	var names []string
	var c *constant
	for k, v := range in {
		if v == nil {
			return nil, inputErrorf("%s input %d is missing", n.GetOpType(), k+1)
		}
		if v.c != nil {
			if c != nil {
				return nil, notMapped("two constant operands")
			}
			c = v.c
			continue
		}
		dyn = append(dyn, v)
		names = append(names, n.GetInput()[k])
	}
	if c == nil {
		for _, v := range dyn[1:] {
			if !sameInts(v.shape, dyn[0].shape) {
				return nil, notMapped("broadcasting %v and %v", dyn[0].shape, v.shape)
			}
		}
		if len(dyn) == 1 {
			return dyn[0], nil
		}
		return im.add("add", hint(n, -1), nil, dyn...)
	}
	if len(dyn) != 1 {
		return nil, notMapped("a constant with several computed operands")
	}
	x := dyn[0]
	if allZero(c.floats()) && numel(c.shape) <= numel(x.shape) {
		return x, nil
	}
	k, ok := im.foldTarget(names[0], x)
	if !ok || im.g.Nodes[k].Attr("bias", 1) == 1 {
		return nil, notMapped("adding a constant tensor (only a bias after a convolution or matrix product maps)")
	}
	node := &im.g.Nodes[k]
	out := node.IntAttr("out", 0)
	b, ok := perOutput(c, node.Op == "conv2d", out)
	if !ok {
		return nil, notMapped("adding a constant of shape %v", c.shape)
	}
	node.Attrs["bias"] = 1
	return x, im.setParam(node.ID, "bias", []int{out}, append([]float32(nil), b...))
}

func allZero(v []float32) bool {
	for _, x := range v {
		if x != 0 {
			return false
		}
	}
	return true
}

func mapMul(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	if len(in) != 2 || in[0] == nil || in[1] == nil {
		return nil, inputErrorf("Mul needs two inputs")
	}
	a, b := in[0], in[1]
	if a.c == nil && b.c == nil {
		if len(b.shape) == 3 && len(a.shape) == 3 && b.shape[1] == 1 && b.shape[2] == 1 && b.shape[0] == a.shape[0] && (a.shape[1] != 1 || a.shape[2] != 1) {
			return im.add("scale", hint(n, -1), nil, a, b)
		}
		if len(a.shape) == 3 && len(b.shape) == 3 && a.shape[1] == 1 && a.shape[2] == 1 && a.shape[0] == b.shape[0] && (b.shape[1] != 1 || b.shape[2] != 1) {
			return im.add("scale", hint(n, -1), nil, b, a)
		}
		if y, ok, err := im.hardSwish(n, a, b); ok || err != nil {
			return y, err
		}
		return nil, notMapped("elementwise product of %v and %v", a.shape, b.shape)
	}
	x, c, name := a, b.c, n.GetInput()[0]
	if a.c != nil {
		x, c, name = b, a.c, n.GetInput()[1]
	}
	if v := c.floats(); len(v) == 1 && v[0] == 1 {
		return x, nil
	}
	k, ok := im.foldTarget(name, x)
	if !ok {
		return nil, notMapped("multiplying by a constant (only a scale after a convolution or matrix product maps)")
	}
	node := &im.g.Nodes[k]
	out := node.IntAttr("out", 0)
	s, ok := perOutput(c, node.Op == "conv2d", out)
	if !ok {
		return nil, notMapped("multiplying by a constant of shape %v", c.shape)
	}
	for _, p := range []string{"weight", "bias"} {
		t, has := im.weights[node.ID+"."+p]
		if !has {
			continue
		}
		d := make([]float32, len(t.Data))
		per := len(d) / out
		for i := range d {
			d[i] = t.Data[i] * s[i/per]
		}
		im.weights[node.ID+"."+p] = Tensor{Shape: t.Shape, Data: d}
	}
	return x, nil
}

func mapPad(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 3, "data")
	if err != nil {
		return nil, err
	}
	a := attrsOf(n)
	mode := a.str("mode", "constant")
	if mode != "constant" && mode != "reflect" {
		return nil, notMapped("mode %s", mode)
	}
	var pads []int64
	val := a.float("value", 0)
	if im.opset < 11 {
		pads = a.ints("pads", nil)
	} else {
		pc, err := constIn(in, 1, "pads")
		if err != nil || pc == nil {
			return nil, orMissing(err, "Pad amounts")
		}
		var ok bool
		if pads, ok = pc.ints(); !ok {
			return nil, inputErrorf("pads are not whole numbers")
		}
		vc, err := constIn(in, 2, "constant_value")
		if err != nil {
			return nil, err
		}
		if vc != nil && vc.numel() == 1 {
			val = vc.floats()[0]
		}
		if len(in) > 3 && in[3] != nil {
			return nil, notMapped("axes input")
		}
	}
	if len(pads) != 8 {
		return nil, inputErrorf("Pad has %d pads for a rank-4 input; want 8", len(pads))
	}
	if pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 {
		return nil, notMapped("padding the batch or channel axis")
	}
	for _, p := range pads {
		if p < 0 || p > 8192 {
			return nil, notMapped("pads %v (negative pads crop)", pads)
		}
	}
	if pads[2] == 0 && pads[3] == 0 && pads[6] == 0 && pads[7] == 0 {
		return x, nil
	}
	if mode == "reflect" {
		return im.add("reflectpad2d", hint(n, -1), map[string]float64{"top": float64(pads[2]), "left": float64(pads[3]),
			"bottom": float64(pads[6]), "right": float64(pads[7])}, x)
	}
	return im.add("pad2d", hint(n, -1), map[string]float64{"top": float64(pads[2]), "left": float64(pads[3]),
		"bottom": float64(pads[6]), "right": float64(pads[7]), "value": float64(val)}, x)
}

func mapClip(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 0, "input")
	if err != nil {
		return nil, err
	}
	lo, hi := float32(-math.MaxFloat32), float32(math.MaxFloat32)
	if im.opset < 11 {
		a := attrsOf(n)
		lo, hi = a.float("min", lo), a.float("max", hi)
	} else {
		for k, p := range []*float32{&lo, &hi} {
			c, err := constIn(in, k+1, []string{"min", "max"}[k])
			if err != nil {
				return nil, err
			}
			if c != nil {
				if c.numel() != 1 {
					return nil, inputErrorf("Clip bound has %d values; want 1", c.numel())
				}
				*p = c.floats()[0]
			}
		}
	}
	lo = max(lo, -math.MaxFloat32)
	hi = min(hi, math.MaxFloat32)
	switch {
	case lo == 0 && hi == 6:
		return im.add("relu6", hint(n, -1), nil, x)
	case lo == 0 && hi == math.MaxFloat32:
		return im.add("relu", hint(n, -1), nil, x)
	}
	return im.add("clip", hint(n, -1), map[string]float64{"min": float64(lo), "max": float64(hi)}, x)
}

func mapPRelu(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 0, "X")
	if err != nil {
		return nil, err
	}
	sl, err := constIn(in, 1, "slope")
	if err != nil || sl == nil {
		return nil, orMissing(err, "PRelu slope")
	}
	c, s := x.shape[0], sl.shape
	shared := sl.numel() == 1
	perChannel := sl.numel() == c && (len(x.shape) == 3 && (len(s) == 3 && s[1] == 1 && s[2] == 1 || len(s) == 4 && s[0] == 1 && s[2] == 1 && s[3] == 1) ||
		len(x.shape) == 1 && (len(s) == 1 || len(s) == 2 && s[0] == 1))
	if !shared && !perChannel {
		return nil, notMapped("slope of shape %v for input %v", s, x.shape)
	}
	y, err := im.add("prelu", hint(n, 1), map[string]float64{"shared": bit(shared)}, x)
	if err != nil {
		return nil, err
	}
	return y, im.setParam(y.node, "weight", []int{sl.numel()}, sl.floats())
}

// hardSwish recognises x * HardSigmoid(x) (alpha 1/6), which exporters
// write for hard-swish before opset 14, and maps it to hardswish.
func (im *importer) hardSwish(n *onnxpb.NodeProto, a, b *value) (*value, bool, error) {
	for _, p := range [][2]*value{{a, b}, {b, a}} {
		x, gate := p[0], p[1]
		k, ok := im.index[gate.node]
		if !ok || im.g.Nodes[k].Op != "hardsigmoid" || im.g.Nodes[k].Inputs[0] != x.node {
			continue
		}
		y, err := im.add("hardswish", hint(n, -1), nil, x)
		return y, true, err
	}
	return nil, false, nil
}
