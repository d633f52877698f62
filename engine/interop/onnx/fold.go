package onnx

import (
	"math"

	"github.com/workbench-cv/workbench/engine/interop/onnx/onnxpb"
)

// Constant folding: the shape arithmetic exporters write in front of a
// Reshape (Shape, Gather, Unsqueeze, Concat, Cast, Slice, arithmetic) and
// Constant nodes are computed at import time. The batch dimension, unknown
// until run time, is the symbol batchSym; arithmetic on it yields batchSym.

type folder func(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error)

var folders map[string]folder

func init() {
	folders = map[string]folder{
		"Constant": foldConstant, "Shape": foldShape, "Gather": foldGather, "Unsqueeze": foldUnsqueeze,
		"Squeeze": foldSqueeze, "Concat": foldConcat, "Cast": foldCast, "Slice": foldSlice,
		"Add": arith(func(a, b float64) float64 { return a + b }), "Sub": arith(func(a, b float64) float64 { return a - b }),
		"Mul": arith(func(a, b float64) float64 { return a * b }), "Div": arith(func(a, b float64) float64 { return a / b }),
		"Identity": foldIdentity, "Dropout": foldIdentity, "Reshape": foldReshape, "Flatten": foldFlatten,
		"ConstantOfShape": foldConstantOfShape, "Transpose": foldTranspose,
	}
}

func one(c *constant) []*constant { return []*constant{c} }

func need(in []*value, k int, what string) (*constant, error) {
	if k >= len(in) || in[k] == nil || in[k].c == nil {
		return nil, inputErrorf("input %s is missing", what)
	}
	return in[k].c, nil
}

func checkSize(shape []int) error {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return inputErrorf("a folded shape %v has a negative dimension", shape)
		}
		if d > 0 && n > maxFoldedElems/d {
			return inputErrorf("a folded constant of shape %v is larger than %d elements", shape, maxFoldedElems)
		}
		n *= d
	}
	return nil
}

func foldConstant(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	a := attrsOf(n)
	switch {
	case a.has("value"):
		c, err := tensorConst(a["value"].GetT())
		if err != nil {
			return nil, err
		}
		return one(c), nil
	case a.has("value_float"):
		return one(&constant{shape: []int{}, f: []float32{a.float("value_float", 0)}}), nil
	case a.has("value_floats"):
		v := a["value_floats"].GetFloats()
		return one(&constant{shape: []int{len(v)}, f: append([]float32{}, v...)}), nil
	case a.has("value_int"):
		return one(&constant{shape: []int{}, i: []int64{a.int("value_int", 0)}}), nil
	case a.has("value_ints"):
		v := a["value_ints"].GetInts()
		return one(&constant{shape: []int{len(v)}, i: append([]int64{}, v...)}), nil
	}
	return nil, notMapped("a Constant without a numeric value")
}

func foldShape(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	if len(in) < 1 || in[0] == nil {
		return nil, inputErrorf("Shape needs an input")
	}
	var dims []int64
	if c := in[0].c; c != nil {
		for _, d := range c.shape {
			dims = append(dims, int64(d))
		}
	} else {
		dims = append(dims, batchSym)
		for _, d := range in[0].shape {
			dims = append(dims, int64(d))
		}
	}
	a := attrsOf(n)
	r := int64(len(dims))
	start, end := a.int("start", 0), a.int("end", r)
	if start < 0 {
		start += r
	}
	if end < 0 {
		end += r
	}
	start, end = min(max(start, 0), r), min(max(end, 0), r)
	if end < start {
		end = start
	}
	v := append([]int64{}, dims[start:end]...)
	return one(&constant{shape: []int{len(v)}, i: v}), nil
}

// strides returns the row-major strides of shape.
func strides(shape []int) []int {
	s := make([]int, len(shape))
	acc := 1
	for k := len(shape) - 1; k >= 0; k-- {
		s[k] = acc
		acc *= shape[k]
	}
	return s
}

// gatherFrom builds a constant of shape out whose element at flat index k
// is src's element at index at(k).
func gatherFrom(src *constant, out []int, at func(k int) int) *constant {
	n := numel(out)
	c := &constant{shape: out}
	if src.isInt() {
		c.i = make([]int64, n)
		for k := range c.i {
			c.i[k] = src.i[at(k)]
		}
	} else {
		c.f = make([]float32, n)
		for k := range c.f {
			c.f[k] = src.f[at(k)]
		}
	}
	return c
}

func normAxis(axis int64, rank int) (int, error) {
	if axis < 0 {
		axis += int64(rank)
	}
	if axis < 0 || axis >= int64(rank) {
		return 0, inputErrorf("axis %d is outside rank %d", axis, rank)
	}
	return int(axis), nil
}

func foldGather(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	data, err := need(in, 0, "data")
	if err != nil {
		return nil, err
	}
	idx, err := need(in, 1, "indices")
	if err != nil {
		return nil, err
	}
	ind, ok := idx.ints()
	if !ok {
		return nil, inputErrorf("Gather indices are not whole numbers")
	}
	axis, err := normAxis(attrsOf(n).int("axis", 0), len(data.shape))
	if err != nil {
		return nil, err
	}
	dim := data.shape[axis]
	for k, v := range ind {
		if v < 0 {
			v += int64(dim)
		}
		if v < 0 || v >= int64(dim) {
			return nil, inputErrorf("Gather index %d is outside 0..%d", ind[k], dim-1)
		}
		ind[k] = v
	}
	out := append(append(append([]int{}, data.shape[:axis]...), idx.shape...), data.shape[axis+1:]...)
	if err := checkSize(out); err != nil {
		return nil, err
	}
	inner := numel(data.shape[axis+1:])
	ni := len(ind)
	return one(gatherFrom(data, out, func(k int) int {
		o, rest := k/(ni*inner), k%(ni*inner)
		return (o*dim+int(ind[rest/inner]))*inner + rest%inner
	})), nil
}

func foldUnsqueeze(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	data, err := need(in, 0, "data")
	if err != nil {
		return nil, err
	}
	var ax []int64
	if im.opset < 13 {
		ax = attrsOf(n).ints("axes", nil)
	} else {
		a, err := need(in, 1, "axes")
		if err != nil {
			return nil, err
		}
		ax, _ = a.ints()
	}
	rank := len(data.shape) + len(ax)
	if rank > maxDims {
		return nil, inputErrorf("Unsqueeze to rank %d", rank)
	}
	ins := map[int]bool{}
	for _, a := range ax {
		k, err := normAxis(a, rank)
		if err != nil {
			return nil, err
		}
		ins[k] = true
	}
	var shape []int
	src := 0
	for k := range rank {
		if ins[k] {
			shape = append(shape, 1)
		} else if src < len(data.shape) {
			shape = append(shape, data.shape[src])
			src++
		}
	}
	if len(shape) != rank {
		return nil, inputErrorf("Unsqueeze axes %v repeat", ax)
	}
	return one(&constant{shape: shape, f: data.f, i: data.i}), nil
}

func foldSqueeze(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	data, err := need(in, 0, "data")
	if err != nil {
		return nil, err
	}
	axes, err := axesOf(im, n, in, len(data.shape))
	if err != nil {
		return nil, err
	}
	drop := map[int]bool{}
	for _, a := range axes {
		if data.shape[a] != 1 {
			return nil, inputErrorf("Squeeze axis %d has size %d, not 1", a, data.shape[a])
		}
		drop[a] = true
	}
	shape := []int{}
	for k, d := range data.shape {
		if drop[k] || len(axes) == 0 && d == 1 {
			continue
		}
		shape = append(shape, d)
	}
	return one(&constant{shape: shape, f: data.f, i: data.i}), nil
}

func foldConcat(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	if len(in) == 0 || in[0] == nil {
		return nil, inputErrorf("Concat has no inputs")
	}
	first := in[0].c
	axis, err := normAxis(attrsOf(n).int("axis", 0), max(len(first.shape), 1))
	if err != nil {
		return nil, err
	}
	out := append([]int{}, first.shape...)
	if len(out) == 0 {
		out = []int{1}
	}
	anyFloat := false
	for k, v := range in {
		if v == nil {
			return nil, inputErrorf("Concat input %d is missing", k+1)
		}
		if !v.c.isInt() {
			anyFloat = true
		}
		if k == 0 {
			continue
		}
		s := v.c.shape
		if len(s) != len(first.shape) {
			return nil, inputErrorf("Concat of shapes %v and %v", first.shape, s)
		}
		for d := range s {
			if d != axis && s[d] != first.shape[d] {
				return nil, inputErrorf("Concat of shapes %v and %v", first.shape, s)
			}
		}
		if len(s) > 0 {
			out[axis] += s[axis]
		} else {
			out[axis]++
		}
	}
	if err := checkSize(out); err != nil {
		return nil, err
	}
	outer := numel(out[:axis])
	c := &constant{shape: out}
	for o := range outer {
		for _, v := range in {
			chunk := v.c.numel() / max(outer, 1)
			if anyFloat {
				c.f = append(c.f, v.c.floats()[o*chunk:(o+1)*chunk]...)
			} else {
				c.i = append(c.i, v.c.i[o*chunk:(o+1)*chunk]...)
			}
		}
	}
	if anyFloat && c.f == nil {
		c.f = []float32{}
	} else if !anyFloat && c.i == nil {
		c.i = []int64{}
	}
	return one(c), nil
}

func foldCast(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	data, err := need(in, 0, "input")
	if err != nil {
		return nil, err
	}
	to := onnxpb.TensorProto_DataType(attrsOf(n).int("to", 0))
	switch to {
	case onnxpb.TensorProto_FLOAT, onnxpb.TensorProto_DOUBLE, onnxpb.TensorProto_FLOAT16:
		return one(&constant{shape: data.shape, f: data.floats()}), nil
	case onnxpb.TensorProto_BOOL:
		c := &constant{shape: data.shape, i: make([]int64, data.numel())}
		for k, v := range data.floats() {
			c.i[k] = int64(bit(v != 0))
		}
		return one(c), nil
	case onnxpb.TensorProto_STRING, onnxpb.TensorProto_UNDEFINED:
		return nil, notMapped("cast to %s", to)
	}
	if data.isInt() {
		return one(data), nil
	}
	c := &constant{shape: data.shape, i: make([]int64, data.numel())}
	for k, v := range data.f {
		c.i[k] = int64(v)
	}
	return one(c), nil
}

func foldSlice(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	data, err := need(in, 0, "data")
	if err != nil {
		return nil, err
	}
	var starts, ends, axes, steps []int64
	if im.opset < 10 {
		a := attrsOf(n)
		starts, ends, axes = a.ints("starts", nil), a.ints("ends", nil), a.ints("axes", nil)
	} else {
		list := make([][]int64, 4)
		for k := 1; k < len(in) && k <= 4; k++ {
			if in[k] != nil {
				v, ok := in[k].c.ints()
				if !ok {
					return nil, inputErrorf("Slice bounds are not whole numbers")
				}
				list[k-1] = v
			}
		}
		starts, ends, axes, steps = list[0], list[1], list[2], list[3]
	}
	if len(starts) != len(ends) {
		return nil, inputErrorf("Slice has %d starts and %d ends", len(starts), len(ends))
	}
	rank := len(data.shape)
	lo, step := make([]int, rank), make([]int, rank)
	out := append([]int{}, data.shape...)
	for k := range step {
		step[k] = 1
	}
	for k := range starts {
		ax := k
		if axes != nil {
			if k >= len(axes) {
				return nil, inputErrorf("Slice has fewer axes than starts")
			}
			if ax, err = normAxis(axes[k], rank); err != nil {
				return nil, err
			}
		}
		st := int64(1)
		if steps != nil && k < len(steps) {
			st = steps[k]
		}
		if st == 0 {
			return nil, inputErrorf("Slice step 0")
		}
		dim := int64(data.shape[ax])
		clamp := func(v, lo, hi int64) int64 { return min(max(v, lo), hi) }
		s, e := starts[k], ends[k]
		if s < 0 {
			s += dim
		}
		if e < 0 {
			e += dim
		}
		var cnt int64
		if st > 0 {
			s, e = clamp(s, 0, dim), clamp(e, 0, dim)
			cnt = max(0, (e-s+st-1)/st)
		} else {
			s, e = clamp(s, 0, dim-1), clamp(e, -1, dim-1)
			cnt = max(0, (s-e-st-1)/(-st))
		}
		lo[ax], step[ax], out[ax] = int(s), int(st), int(cnt)
	}
	if err := checkSize(out); err != nil {
		return nil, err
	}
	ss, os := strides(data.shape), strides(out)
	return one(gatherFrom(data, out, func(k int) int {
		src := 0
		for d := range out {
			i := k / os[d] % max(out[d], 1)
			src += (lo[d] + i*step[d]) * ss[d]
		}
		return src
	})), nil
}

func arith(f func(a, b float64) float64) folder {
	return func(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
		a, err := need(in, 0, "A")
		if err != nil {
			return nil, err
		}
		b, err := need(in, 1, "B")
		if err != nil {
			return nil, err
		}
		rank := max(len(a.shape), len(b.shape))
		pad := func(s []int) []int {
			p := make([]int, rank-len(s), rank)
			for k := range p {
				p[k] = 1
			}
			return append(p, s...)
		}
		as, bs := pad(a.shape), pad(b.shape)
		out := make([]int, rank)
		for d := range rank {
			switch {
			case as[d] == bs[d] || bs[d] == 1:
				out[d] = as[d]
			case as[d] == 1:
				out[d] = bs[d]
			default:
				return nil, inputErrorf("%s cannot broadcast %v and %v", n.GetOpType(), a.shape, b.shape)
			}
		}
		if err := checkSize(out); err != nil {
			return nil, err
		}
		for _, s := range [][]int{a.shape, b.shape} {
			for _, d := range s {
				if d == 0 {
					return one(&constant{shape: out, f: []float32{}}), nil
				}
			}
		}
		sa, sb, so := strides(as), strides(bs), strides(out)
		at := func(k int, shape, st []int) int {
			src := 0
			for d := range out {
				if shape[d] != 1 {
					src += k / so[d] % out[d] * st[d]
				}
			}
			return src
		}
		c := &constant{shape: out}
		total := numel(out)
		if a.isInt() && b.isInt() {
			c.i = make([]int64, total)
			for k := range c.i {
				x, y := a.i[at(k, as, sa)], b.i[at(k, bs, sb)]
				switch {
				case x == batchSym || y == batchSym:
					c.i[k] = batchSym
				case n.GetOpType() == "Div":
					if y == 0 {
						return nil, inputErrorf("integer division by zero")
					}
					c.i[k] = x / y
				default:
					c.i[k] = int64(f(float64(x), float64(y)))
				}
			}
			return one(c), nil
		}
		af, bf := a.floats(), b.floats()
		c.f = make([]float32, total)
		for k := range c.f {
			v := f(float64(af[at(k, as, sa)]), float64(bf[at(k, bs, sb)]))
			if math.IsNaN(v) {
				v = math.NaN()
			}
			c.f[k] = float32(v)
		}
		return one(c), nil
	}
}

func foldIdentity(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	c, err := need(in, 0, "input")
	if err != nil {
		return nil, err
	}
	return one(c), nil
}

func reshapeConst(c *constant, to []int) *constant {
	return &constant{shape: to, f: c.f, i: c.i}
}

func foldReshape(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	data, err := need(in, 0, "data")
	if err != nil {
		return nil, err
	}
	sc, err := need(in, 1, "shape")
	if err != nil {
		return nil, err
	}
	t, ok := sc.ints()
	if !ok || len(t) > maxDims {
		return nil, inputErrorf("Reshape shape is not a short list of whole numbers")
	}
	to := make([]int, len(t))
	infer := -1
	for k, v := range t {
		switch {
		case v == 0:
			if k >= len(data.shape) {
				return nil, inputErrorf("Reshape copies dimension %d, which the input lacks", k)
			}
			to[k] = data.shape[k]
		case v == -1 && infer < 0:
			infer, to[k] = k, 1
		case v < 0 || v > maxFoldedElems:
			return nil, inputErrorf("Reshape shape %v", t)
		default:
			to[k] = int(v)
		}
	}
	if infer >= 0 && numel(to) > 0 {
		to[infer] = data.numel() / numel(to)
	}
	if numel(to) != data.numel() {
		return nil, inputErrorf("Reshape of %v to %v", data.shape, t)
	}
	return one(reshapeConst(data, to)), nil
}

func foldFlatten(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	data, err := need(in, 0, "input")
	if err != nil {
		return nil, err
	}
	axis := int(attrsOf(n).int("axis", 1))
	if axis < 0 {
		axis += len(data.shape)
	}
	if axis < 0 || axis > len(data.shape) {
		return nil, inputErrorf("Flatten axis out of range")
	}
	return one(reshapeConst(data, []int{numel(data.shape[:axis]), numel(data.shape[axis:])})), nil
}

func foldConstantOfShape(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	sc, err := need(in, 0, "input")
	if err != nil {
		return nil, err
	}
	t, ok := sc.ints()
	if !ok || len(t) > maxDims {
		return nil, inputErrorf("ConstantOfShape needs a short list of whole numbers")
	}
	shape := make([]int, len(t))
	for k, v := range t {
		if v < 0 || v > maxFoldedElems {
			return nil, inputErrorf("ConstantOfShape shape %v", t)
		}
		shape[k] = int(v)
	}
	if err := checkSize(shape); err != nil {
		return nil, err
	}
	fill := &constant{shape: []int{1}, f: []float32{0}}
	if a := attrsOf(n); a.has("value") {
		if fill, err = tensorConst(a["value"].GetT()); err != nil {
			return nil, err
		}
		if fill.numel() != 1 {
			return nil, inputErrorf("ConstantOfShape value must have one element")
		}
	}
	return one(gatherFrom(fill, shape, func(int) int { return 0 })), nil
}

func foldTranspose(im *importer, n *onnxpb.NodeProto, in []*value) ([]*constant, error) {
	data, err := need(in, 0, "data")
	if err != nil {
		return nil, err
	}
	r := len(data.shape)
	perm := attrsOf(n).ints("perm", nil)
	if perm == nil {
		for k := r - 1; k >= 0; k-- {
			perm = append(perm, int64(k))
		}
	}
	if len(perm) != r {
		return nil, inputErrorf("Transpose perm %v for rank %d", perm, r)
	}
	out := make([]int, r)
	seen := make([]bool, r)
	for k, p := range perm {
		if p < 0 || p >= int64(r) || seen[p] {
			return nil, inputErrorf("Transpose perm %v is not a permutation", perm)
		}
		seen[p] = true
		out[k] = data.shape[p]
	}
	ss, os := strides(data.shape), strides(out)
	return one(gatherFrom(data, out, func(k int) int {
		src := 0
		for d := range out {
			src += k / os[d] % out[d] * ss[perm[d]]
		}
		return src
	})), nil
}
