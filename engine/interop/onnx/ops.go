package onnx

import (
	"math"

	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
	"github.com/workbench-cv/workbench/engine/nn"
)

// A mapper turns an ONNX node whose inputs include a value computed from
// the image into engine nodes. It returns unsupported (via notMapped) for a
// node it cannot map exactly, and other errors for malformed nodes.
type mapper func(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error)

// mappers lists every op type the importer knows. A nil mapper means the op
// is only folded (all its inputs constant).
var mappers map[string]mapper

func init() {
	mappers = map[string]mapper{
		"Conv": mapConv, "MaxPool": mapPool, "AveragePool": mapPool,
		"GlobalAveragePool": mapGlobalPool, "GlobalMaxPool": mapGlobalPool,
		"BatchNormalization": mapBatchNorm, "InstanceNormalization": mapInstanceNorm, "LRN": mapLRN,
		"Gemm": mapGemm, "MatMul": mapMatMul, "Flatten": mapFlatten, "Reshape": mapReshape, "Squeeze": mapSqueeze,
		"Concat": mapConcat, "Add": mapAdd, "Sum": mapAdd, "Mul": mapMul, "Pad": mapPad, "Clip": mapClip,
		"Relu": simple("relu"), "Sigmoid": simple("sigmoid"), "Tanh": simple("tanh"), "Softplus": simple("softplus"),
		"HardSwish": simple("hardswish"), "LeakyRelu": mapLeakyRelu, "Elu": mapElu, "Selu": mapSelu, "Gelu": mapGelu,
		"HardSigmoid": mapHardSigmoid, "PRelu": mapPRelu, "Softmax": mapSoftmax, "LogSoftmax": mapSoftmax,
		"Dropout": mapPassThrough, "Identity": mapPassThrough, "Resize": mapResize, "Upsample": mapResize,
		"Constant": nil, "Shape": nil, "Gather": nil, "Unsqueeze": nil, "Cast": nil, "Slice": nil,
		"Sub": nil, "Div": nil, "ConstantOfShape": nil, "Transpose": nil,
	}
}

// image returns in[k] when it is computed from the image with the given
// per-example rank (0: any).
func image(in []*value, k, rank int, what string) (*value, error) {
	if k >= len(in) || in[k] == nil {
		return nil, inputErrorf("%s is missing", what)
	}
	if in[k].c != nil {
		return nil, notMapped("%s is a constant while another input is computed", what)
	}
	if rank > 0 && len(in[k].shape) != rank {
		return nil, notMapped("%s has rank %d, Workbench maps rank %d here", what, len(in[k].shape)+1, rank+1)
	}
	return in[k], nil
}

// constIn returns in[k] when it is a constant (nil, nil when absent).
func constIn(in []*value, k int, what string) (*constant, error) {
	if k >= len(in) || in[k] == nil {
		return nil, nil
	}
	if in[k].c == nil {
		return nil, notMapped("%s is computed at run time; Workbench needs it constant", what)
	}
	return in[k].c, nil
}

func simple(op string) mapper {
	return func(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
		x, err := image(in, 0, 0, "X")
		if err != nil {
			return nil, err
		}
		return im.add(op, hint(n, -1), nil, x)
	}
}

func mapPassThrough(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	if n.GetOpType() == "Dropout" && len(in) > 2 && in[2] != nil {
		tm, err := constIn(in, 2, "training_mode")
		if err != nil {
			return nil, err
		}
		if v, _ := tm.ints(); len(v) == 1 && v[0] != 0 {
			return nil, notMapped("training_mode is true")
		}
	}
	return image(in, 0, 0, "input")
}

// spatialPads returns the pads [top, left, bottom, right] of a Conv or
// pooling node on a h×w input, resolving auto_pad.
func spatialPads(a attrs, hw, k, s, d [2]int) ([4]int, error) {
	var p [4]int
	switch mode := a.str("auto_pad", "NOTSET"); mode {
	case "NOTSET", "":
		pads := a.ints("pads", []int64{0, 0, 0, 0})
		if len(pads) != 4 {
			return p, inputErrorf("pads %v: want 4 values for a 2-D window", pads)
		}
		for i, v := range pads {
			if v < 0 || v > 1<<16 {
				return p, notMapped("pads %v (negative pads crop)", pads)
			}
			p[i] = int(v)
		}
	case "VALID":
	case "SAME_UPPER", "SAME_LOWER":
		for i := range 2 {
			out := (hw[i] + s[i] - 1) / s[i]
			total := max(0, (out-1)*s[i]+(k[i]-1)*d[i]+1-hw[i])
			begin := total / 2
			if mode == "SAME_LOWER" {
				begin = total - total/2
			}
			p[i], p[i+2] = begin, total-begin
		}
	default:
		return p, inputErrorf("auto_pad %q is not an ONNX value (NOTSET, SAME_UPPER, SAME_LOWER, VALID)", mode)
	}
	return p, nil
}

// pair reads a 2-value attribute (strides, dilations) of at least 1.
func pair(a attrs, name string) ([2]int, error) {
	v := a.ints(name, []int64{1, 1})
	if len(v) != 2 || v[0] < 1 || v[1] < 1 || v[0] > 1<<16 || v[1] > 1<<16 {
		return [2]int{}, inputErrorf("%s %v: want two values of 1 or more for a 2-D window", name, v)
	}
	return [2]int{int(v[0]), int(v[1])}, nil
}

func mapConv(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 3, "X")
	if err != nil {
		return nil, err
	}
	w, err := constIn(in, 1, "W")
	if err != nil || w == nil {
		return nil, orMissing(err, "Conv weights W")
	}
	if len(w.shape) != 4 {
		return nil, inputErrorf("Conv weights have shape %v; a 2-D convolution needs 4 dimensions", w.shape)
	}
	a := attrsOf(n)
	oc, cg, kh, kw := w.shape[0], w.shape[1], w.shape[2], w.shape[3]
	if ks := a.ints("kernel_shape", nil); ks != nil && (len(ks) != 2 || ks[0] != int64(kh) || ks[1] != int64(kw)) {
		return nil, inputErrorf("kernel_shape %v disagrees with the weights %v", ks, w.shape)
	}
	s, err := pair(a, "strides")
	if err != nil {
		return nil, err
	}
	d, err := pair(a, "dilations")
	if err != nil {
		return nil, err
	}
	groups := int(a.int("group", 1))
	if groups < 1 || cg*groups != x.shape[0] {
		return nil, inputErrorf("Conv with %d groups of %d channels does not fit its %d input channels", groups, cg, x.shape[0])
	}
	if d[0] != d[1] {
		return nil, notMapped("different dilations down and across")
	}
	p, err := spatialPads(a, [2]int{x.shape[1], x.shape[2]}, [2]int{kh, kw}, s, d)
	if err != nil {
		return nil, err
	}
	name := hint(n, 1)
	src, ph, pw := x, p[0], p[1]
	if p[0] != p[2] || p[1] != p[3] {
		if src, err = im.add("pad2d", name+"_pad", map[string]float64{"top": float64(p[0]), "left": float64(p[1]),
			"bottom": float64(p[2]), "right": float64(p[3])}, x); err != nil {
			return nil, err
		}
		ph, pw = 0, 0
	}
	b, err := constIn(in, 2, "B")
	if err != nil {
		return nil, err
	}
	at := map[string]float64{"out": float64(oc), "kernel": float64(kh), "stride": float64(s[0]),
		"pad": float64(ph), "dilation": float64(d[0]), "groups": float64(groups), "bias": bit(b != nil)}
	if kw != kh || s[1] != s[0] || pw != ph {
		at["kernel_h"], at["kernel_w"] = float64(kh), float64(kw)
		at["stride_h"], at["stride_w"] = float64(s[0]), float64(s[1])
		// pad_h/pad_w of 0 fall back to pad, so pad is the smaller one.
		at["pad"], at["pad_h"], at["pad_w"] = float64(min(ph, pw)), float64(ph), float64(pw)
	}
	y, err := im.add("conv2d", name, at, src)
	if err != nil {
		return nil, err
	}
	if err := im.setParam(y.node, "weight", w.shape, w.floats()); err != nil {
		return nil, err
	}
	if b != nil {
		if err := im.setParam(y.node, "bias", b.shape, b.floats()); err != nil {
			return nil, err
		}
	}
	return y, nil
}

func orMissing(err error, what string) error {
	if err != nil {
		return err
	}
	return inputErrorf("%s are missing", what)
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func mapPool(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 3, "X")
	if err != nil {
		return nil, err
	}
	a := attrsOf(n)
	ks := a.ints("kernel_shape", nil)
	if len(ks) != 2 || ks[0] < 1 || ks[1] < 1 || ks[0] > 1024 || ks[1] > 1024 {
		return nil, inputErrorf("kernel_shape %v: want two sizes from 1 to 1024", ks)
	}
	k := [2]int{int(ks[0]), int(ks[1])}
	s, err := pair(a, "strides")
	if err != nil {
		return nil, err
	}
	d, err := pair(a, "dilations")
	if err != nil {
		return nil, err
	}
	if d != [2]int{1, 1} {
		return nil, notMapped("dilations")
	}
	p, err := spatialPads(a, [2]int{x.shape[1], x.shape[2]}, k, s, d)
	if err != nil {
		return nil, err
	}
	isMax := n.GetOpType() == "MaxPool"
	ceil := a.int("ceil_mode", 0) == 1
	countPad := a.int("count_include_pad", 0) == 1
	gh := nn.Pool2dGeom{K: k[0], S: s[0], PadBegin: p[0], PadEnd: p[2]}
	gw := nn.Pool2dGeom{K: k[1], S: s[1], PadBegin: p[1], PadEnd: p[3]}
	h, w := x.shape[1], x.shape[2]
	ceilMatters := ceil && (nn.Pool2dOut(h, gh, true) != nn.Pool2dOut(h, gh, false) || nn.Pool2dOut(w, gw, true) != nn.Pool2dOut(w, gw, false))
	square := k[0] == k[1] && s[0] == s[1] && p[0] == p[1] && p[0] == p[2] && p[0] == p[3] && 2*p[0] <= k[0] && !ceilMatters
	name := hint(n, -1)
	if square && isMax {
		return im.add("maxpool2d", name, map[string]float64{"kernel": float64(k[0]), "stride": float64(s[0]), "pad": float64(p[0])}, x)
	}
	if square && (p[0] == 0 || countPad) {
		// avgpool2d counts padding in the divisor: every window lies
		// inside the padded input in floor mode.
		return im.add("avgpool2d", name, map[string]float64{"kernel": float64(k[0]), "stride": float64(s[0]), "pad": float64(p[0])}, x)
	}
	return im.add("pool2d", name, map[string]float64{"max": bit(isMax), "kh": float64(k[0]), "kw": float64(k[1]),
		"sh": float64(s[0]), "sw": float64(s[1]), "pt": float64(p[0]), "pl": float64(p[1]), "pb": float64(p[2]), "pr": float64(p[3]),
		"ceil": bit(ceil), "count_pad": bit(countPad && !isMax)}, x)
}

func mapGlobalPool(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 3, "X")
	if err != nil {
		return nil, err
	}
	if n.GetOpType() == "GlobalAveragePool" {
		return im.add("adaptiveavgpool2d", hint(n, -1), map[string]float64{"size": 1}, x)
	}
	h, w := x.shape[1], x.shape[2]
	return im.add("pool2d", hint(n, -1), map[string]float64{"max": 1, "kh": float64(h), "kw": float64(w), "sh": 1, "sw": 1}, x)
}

// normParams reads the constant per-channel inputs of a normalisation.
func normParams(in []*value, c int, names ...string) ([][]float32, error) {
	out := make([][]float32, len(names))
	for k, name := range names {
		t, err := constIn(in, k+1, name)
		if err != nil {
			return nil, err
		}
		if t == nil {
			return nil, inputErrorf("input %s is missing", name)
		}
		if t.numel() != c {
			return nil, inputErrorf("%s has %d values for %d channels", name, t.numel(), c)
		}
		out[k] = t.floats()
	}
	return out, nil
}

func mapBatchNorm(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 0, "X")
	if err != nil {
		return nil, err
	}
	a := attrsOf(n)
	if a.int("training_mode", 0) != 0 {
		return nil, notMapped("training_mode=1")
	}
	if im.opset < 9 && a.int("spatial", 1) != 1 {
		return nil, notMapped("spatial=0")
	}
	op := map[int]string{1: "batchnorm1d", 3: "batchnorm2d"}[len(x.shape)]
	if op == "" {
		return nil, notMapped("rank %d input", len(x.shape)+1)
	}
	c := x.shape[0]
	p, err := normParams(in, c, "scale", "B", "input_mean", "input_var")
	if err != nil {
		return nil, err
	}
	mom := 1 - float64(a.float("momentum", 0.9))
	if mom < 0 || mom > 1 {
		mom = 0.1
	}
	y, err := im.add(op, hint(n, 1), map[string]float64{"eps": float64(a.float("epsilon", 1e-5)), "momentum": mom, "affine": 1}, x)
	if err != nil {
		return nil, err
	}
	for k, name := range []string{"weight", "bias", "running_mean", "running_var"} {
		if err := im.setParam(y.node, name, []int{c}, p[k]); err != nil {
			return nil, err
		}
	}
	return y, nil
}

func mapInstanceNorm(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 3, "input")
	if err != nil {
		return nil, err
	}
	p, err := normParams(in, x.shape[0], "scale", "B")
	if err != nil {
		return nil, err
	}
	y, err := im.add("instancenorm", hint(n, 1), map[string]float64{"eps": float64(attrsOf(n).float("epsilon", 1e-5)), "affine": 1}, x)
	if err != nil {
		return nil, err
	}
	if err := im.setParam(y.node, "weight", []int{x.shape[0]}, p[0]); err != nil {
		return nil, err
	}
	return y, im.setParam(y.node, "bias", []int{x.shape[0]}, p[1])
}

func mapLRN(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 3, "X")
	if err != nil {
		return nil, err
	}
	a := attrsOf(n)
	size := a.int("size", 0)
	if size < 1 {
		return nil, inputErrorf("LRN needs a size of 1 or more")
	}
	if size%2 == 0 {
		return nil, notMapped("even size %d", size)
	}
	return im.add("lrn", hint(n, -1), map[string]float64{"size": float64(size), "alpha": float64(a.float("alpha", 1e-4)),
		"beta": float64(a.float("beta", 0.75)), "k": float64(a.float("bias", 1))}, x)
}

// linear adds a linear node with weight w [out, in] (and bias b, if any).
func (im *importer) linear(name string, x *value, w []float32, out int, b []float32) (*value, error) {
	y, err := im.add("linear", name, map[string]float64{"out": float64(out), "bias": bit(b != nil)}, x)
	if err != nil {
		return nil, err
	}
	if err := im.setParam(y.node, "weight", []int{out, x.shape[0]}, w); err != nil {
		return nil, err
	}
	if b != nil {
		return y, im.setParam(y.node, "bias", []int{out}, b)
	}
	return y, nil
}

func transpose(v []float32, rows, cols int) []float32 {
	t := make([]float32, len(v))
	for r := range rows {
		for c := range cols {
			t[c*rows+r] = v[r*cols+c]
		}
	}
	return t
}

func mapGemm(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 1, "A")
	if err != nil {
		return nil, err
	}
	a := attrsOf(n)
	if a.int("transA", 0) != 0 {
		return nil, notMapped("transA=1")
	}
	bm, err := constIn(in, 1, "B")
	if err != nil || bm == nil {
		return nil, orMissing(err, "Gemm weights B")
	}
	if len(bm.shape) != 2 {
		return nil, inputErrorf("Gemm B has shape %v; want 2 dimensions", bm.shape)
	}
	w, out := bm.floats(), bm.shape[1]
	if a.int("transB", 0) == 0 {
		w = transpose(w, bm.shape[0], bm.shape[1])
	} else {
		out = bm.shape[0]
	}
	if numel(bm.shape)/out != x.shape[0] {
		return nil, inputErrorf("Gemm B %v does not fit %d input features", bm.shape, x.shape[0])
	}
	if alpha := a.float("alpha", 1); alpha != 1 {
		w = append([]float32(nil), w...)
		for k := range w {
			w[k] *= alpha
		}
	}
	var bias []float32
	c, err := constIn(in, 2, "C")
	if err != nil {
		return nil, err
	}
	if c != nil {
		beta := a.float("beta", 1)
		bias = make([]float32, out)
		cv := c.floats()
		switch len(cv) {
		case 1:
			for k := range bias {
				bias[k] = beta * cv[0]
			}
		case out:
			for k := range bias {
				bias[k] = beta * cv[k]
			}
		default:
			return nil, notMapped("C of shape %v (a bias per example)", c.shape)
		}
	}
	return im.linear(hint(n, 1), x, w, out, bias)
}

func mapMatMul(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 1, "A")
	if err != nil {
		return nil, err
	}
	bm, err := constIn(in, 1, "B")
	if err != nil || bm == nil {
		return nil, orMissing(err, "MatMul B")
	}
	if len(bm.shape) != 2 || bm.shape[0] != x.shape[0] {
		return nil, notMapped("B of shape %v against %d features", bm.shape, x.shape[0])
	}
	return im.linear(hint(n, 1), x, transpose(bm.floats(), bm.shape[0], bm.shape[1]), bm.shape[1], nil)
}

func mapConcat(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	var xs []*value
	for k := range in {
		x, err := image(in, k, 0, "input")
		if err != nil {
			return nil, err
		}
		xs = append(xs, x)
	}
	rank := len(xs[0].shape) + 1
	axis := int(attrsOf(n).int("axis", 1))
	if axis < 0 {
		axis += rank
	}
	if axis != 1 {
		return nil, notMapped("axis %d (Workbench joins channels, axis 1)", axis)
	}
	if len(xs) == 1 {
		return xs[0], nil
	}
	return im.add("concat", hint(n, -1), nil, xs...)
}

func mapSoftmax(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 1, "input")
	if err != nil {
		return nil, err
	}
	def := int64(-1)
	if im.opset < 13 {
		def = 1
	}
	if axis := attrsOf(n).int("axis", def); axis != 1 && axis != -1 {
		return nil, notMapped("axis %d", axis)
	}
	op := "softmax"
	if n.GetOpType() == "LogSoftmax" {
		op = "logsoftmax"
	}
	return im.add(op, hint(n, -1), nil, x)
}

func mapLeakyRelu(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 0, "X")
	if err != nil {
		return nil, err
	}
	return im.add("leakyrelu", hint(n, -1), map[string]float64{"slope": float64(attrsOf(n).float("alpha", 0.01))}, x)
}

func mapElu(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	x, err := image(in, 0, 0, "X")
	if err != nil {
		return nil, err
	}
	return im.add("elu", hint(n, -1), map[string]float64{"alpha": float64(attrsOf(n).float("alpha", 1))}, x)
}

func mapSelu(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	a := attrsOf(n)
	if a.float("alpha", 1.67326319217681884765625) != 1.67326319217681884765625 || a.float("gamma", 1.05070102214813232421875) != 1.05070102214813232421875 {
		return nil, notMapped("alpha or gamma other than the self-normalising constants")
	}
	return simple("selu")(im, n, in)
}

func mapGelu(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	if ap := attrsOf(n).str("approximate", "none"); ap != "none" {
		return nil, notMapped("approximate=%s", ap)
	}
	return simple("gelu")(im, n, in)
}

func mapHardSigmoid(im *importer, n *onnxpb.NodeProto, in []*value) (*value, error) {
	a := attrsOf(n)
	if alpha, beta := a.float("alpha", 0.2), a.float("beta", 0.5); math.Abs(float64(alpha)-1.0/6) > 1e-7 || beta != 0.5 {
		return nil, notMapped("alpha %g, beta %g (Workbench's hardsigmoid is alpha 1/6, beta 1/2)", alpha, beta)
	}
	return simple("hardsigmoid")(im, n, in)
}
