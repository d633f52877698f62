//go:build linux || windows

package opengl

import (
	"fmt"
	"math"
	"sort"

	"github.com/workbench-cv/workbench/engine/backend"
)

var (
	kUnary        = kernelSpec{file: "unary"}
	kUnaryGrad    = kernelSpec{file: "unary_grad"}
	kBinary       = kernelSpec{file: "binary"}
	kAxpy         = kernelSpec{file: "axpy"}
	kSumTo        = kernelSpec{file: "sumto"}
	kSumToGroup   = kernelSpec{file: "sumto", defines: []string{"PER_GROUP 1"}}
	kReduceRows   = kernelSpec{file: "reduce_rows"}
	kReduceCols   = kernelSpec{file: "reduce_cols"}
	kPermute      = kernelSpec{file: "permute"}
	kIm2Col       = kernelSpec{file: "im2col"}
	kCol2Im       = kernelSpec{file: "col2im"}
	kMaxPool      = kernelSpec{file: "maxpool"}
	kMaxPoolGrad  = kernelSpec{file: "maxpool_grad"}
	kAvgPool      = kernelSpec{file: "avgpool"}
	kAvgPoolGrad  = kernelSpec{file: "avgpool_grad"}
	kSoftmax      = kernelSpec{file: "softmax"}
	kSoftmaxGrad  = kernelSpec{file: "softmax_grad"}
	kSoftmaxXent  = kernelSpec{file: "softmax_xent"}
	kChannelStats = kernelSpec{file: "channel_stats"}
	kChannelAff   = kernelSpec{file: "channel_affine"}
	kDropout      = kernelSpec{file: "dropout"}
	kSGD          = kernelSpec{file: "sgd"}
	kAdam         = kernelSpec{file: "adam"}
	kGemmReduce   = kernelSpec{file: "gemm_reduce"}
)

const wg = 256 // invocations per workgroup of the elementwise kernels

func dims6(v []int) []int32 {
	out := make([]int32, backend.MaxDims)
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

// Unary implements backend.Backend.
func (g *GL) Unary(op backend.UnaryOp, dst, x backend.Buffer, alpha, beta float32) {
	n := dst.Len()
	hd := g.check(dst, n, "Unary's output")
	hx := g.check(x, n, "Unary's input")
	if n == 0 {
		return
	}
	g.w.post(func() {
		p := g.prog(kUnary)
		setUnary(p, op, n, alpha, beta)
		g.dispatch(p, g.groups(n, wg), 1, 1, hx.id, hd.id)
	})
}

// setUnary sets the uniforms the unary kernel and its gradient share: the
// length, the op and its two parameters.
func setUnary(p *program, op backend.UnaryOp, n int, alpha, beta float32) {
	p.setInt("n", n)
	p.setInt("op", int(op))
	p.setFloat("alpha", alpha)
	p.setFloat("beta", beta)
}

// UnaryGrad implements backend.Backend; x or y may be nil when the
// derivative does not read it.
func (g *GL) UnaryGrad(op backend.UnaryOp, dx, x, y, dy backend.Buffer, alpha, beta float32) {
	n := dx.Len()
	hdx := g.check(dx, n, "UnaryGrad's dx")
	hx := g.optional(x, n, "UnaryGrad's x")
	hy := g.optional(y, n, "UnaryGrad's y")
	hdy := g.check(dy, n, "UnaryGrad's dy")
	if n == 0 {
		return
	}
	g.w.post(func() {
		p := g.prog(kUnaryGrad)
		setUnary(p, op, n, alpha, beta)
		p.setBool("hasX", hx != nil)
		p.setBool("hasY", hy != nil)
		g.dispatch(p, g.groups(n, wg), 1, 1, g.id(hx), g.id(hy), hdy.id, hdx.id)
	})
}

// extent is the number of values a strided operand reaches: 1 + the largest
// offset.
func extent(shape, stride []int) int {
	e := 1
	for d, s := range shape {
		if s == 0 {
			return 0
		}
		e += (s - 1) * stride[d]
	}
	return e
}

func numel(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

func checkStrided(s backend.Strided, what string) {
	nd := len(s.Shape)
	if nd > backend.MaxDims || len(s.StrideA) != nd || (s.StrideB != nil && len(s.StrideB) != nd) {
		panic(fmt.Sprintf("opengl: %s with shape %v and strides %v, %v (at most %d dimensions, one stride each)",
			what, s.Shape, s.StrideA, s.StrideB, backend.MaxDims))
	}
	for d := range nd {
		if s.Shape[d] < 0 || s.StrideA[d] < 0 || (s.StrideB != nil && s.StrideB[d] < 0) {
			panic(fmt.Sprintf("opengl: %s with negative shape or stride %v %v %v", what, s.Shape, s.StrideA, s.StrideB))
		}
	}
}

// collapse merges neighbouring dimensions that both operands walk as one
// (and drops dimensions of size 1), so most broadcasts need one or two
// index divisions per element instead of six.
func collapse(shape, sa, sb []int) (cs, ca, cb []int) {
	for d := len(shape) - 1; d >= 0; d-- {
		if shape[d] == 1 {
			continue
		}
		if k := len(cs) - 1; k >= 0 && sa[d] == ca[k]*cs[k] && sb[d] == cb[k]*cs[k] {
			cs[k] *= shape[d]
			continue
		}
		cs, ca, cb = append(cs, shape[d]), append(ca, sa[d]), append(cb, sb[d])
	}
	for i, j := 0, len(cs)-1; i < j; i, j = i+1, j-1 {
		cs[i], cs[j] = cs[j], cs[i]
		ca[i], ca[j] = ca[j], ca[i]
		cb[i], cb[j] = cb[j], cb[i]
	}
	return cs, ca, cb
}

// Binary implements backend.Backend.
func (g *GL) Binary(op backend.BinaryOp, dst, a, b backend.Buffer, s backend.Strided) {
	checkStrided(s, "Binary")
	if s.StrideB == nil {
		panic("opengl: Binary needs StrideB")
	}
	n := numel(s.Shape)
	hd := g.check(dst, n, "Binary's output")
	ha := g.check(a, extent(s.Shape, s.StrideA), "Binary's a")
	hb := g.check(b, extent(s.Shape, s.StrideB), "Binary's b")
	if n == 0 {
		return
	}
	shape, sa, sb := collapse(s.Shape, s.StrideA, s.StrideB)
	g.w.post(func() {
		p := g.prog(kBinary)
		p.setInt("n", n)
		p.setInt("op", int(op))
		p.setInt("nd", len(shape))
		p.setInts("shape", dims6(shape))
		p.setInts("sa", dims6(sa))
		p.setInts("sb", dims6(sb))
		g.dispatch(p, g.groups(n, wg), 1, 1, ha.id, hb.id, hd.id)
	})
}

// Axpy implements backend.Backend.
func (g *GL) Axpy(dst backend.Buffer, alpha float32, x backend.Buffer) {
	n := dst.Len()
	hd := g.check(dst, n, "Axpy's output")
	hx := g.check(x, n, "Axpy's x")
	if n == 0 {
		return
	}
	g.w.post(func() {
		p := g.prog(kAxpy)
		p.setInt("n", n)
		p.setFloat("alpha", alpha)
		g.dispatch(p, g.groups(n, wg), 1, 1, hd.id, hx.id)
	})
}

// SumTo implements backend.Backend as a gather: each output sums the x
// values that map to it.
func (g *GL) SumTo(dst, x backend.Buffer, s backend.Strided) {
	checkStrided(s, "SumTo")
	n := numel(s.Shape)
	nOut := dst.Len()
	hd := g.check(dst, extent(s.Shape, s.StrideA), "SumTo's output")
	hx := g.check(x, n, "SumTo's x")
	if nOut == 0 {
		return
	}
	if n == 0 {
		g.Fill(dst, 0)
		return
	}
	xStride := make([]int, len(s.Shape))
	st := 1
	for d := len(s.Shape) - 1; d >= 0; d-- {
		xStride[d] = st
		st *= s.Shape[d]
	}
	type dim struct{ shape, dst, x int }
	var kept, summed []dim
	for d, sz := range s.Shape {
		switch {
		case sz == 1:
		case s.StrideA[d] == 0:
			summed = append(summed, dim{sz, 0, xStride[d]})
		default:
			kept = append(kept, dim{sz, s.StrideA[d], xStride[d]})
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return kept[i].dst > kept[j].dst })
	total := 1
	var kShape, kDst, kX, sShape, sX []int
	for _, k := range kept {
		kShape, kDst, kX = append(kShape, k.shape), append(kDst, k.dst), append(kX, k.x)
	}
	for _, k := range summed {
		sShape, sX = append(sShape, k.shape), append(sX, k.x)
		total *= k.shape
	}
	// A workgroup per output when there are few outputs with long sums (the
	// bias gradient of a convolution); otherwise an invocation per output.
	spec := kSumTo
	groups := g.groups(nOut, wg)
	if nOut < 4096 && total >= 512 {
		spec, groups = kSumToGroup, min(nOut, g.info.MaxWorkGroupCount[0])
	}
	g.w.post(func() {
		p := g.prog(spec)
		p.setInt("nOut", nOut)
		p.setInt("nk", len(kShape))
		p.setInts("kShape", dims6(kShape))
		p.setInts("kDst", dims6(kDst))
		p.setInts("kX", dims6(kX))
		p.setInt("ns", len(sShape))
		p.setInts("sShape", dims6(sShape))
		p.setInts("sX", dims6(sX))
		p.setInt("total", total)
		g.dispatch(p, groups, 1, 1, hx.id, hd.id)
	})
}

// Reduce implements backend.Backend.
func (g *GL) Reduce(op backend.ReduceOp, dst, x backend.Buffer, outer, n, inner int) {
	if outer < 0 || n < 0 || inner < 0 {
		panic(fmt.Sprintf("opengl: Reduce over [%d, %d, %d]", outer, n, inner))
	}
	hd := g.check(dst, outer*inner, "Reduce's output")
	hx := g.check(x, outer*n*inner, "Reduce's input")
	if outer*inner == 0 {
		return
	}
	if n == 0 {
		if op == backend.MaxReduce {
			panic("opengl: Reduce(max) over an empty axis")
		}
		g.Fill(dst, 0)
		return
	}
	code := map[backend.ReduceOp]int{backend.Sum: 0, backend.Mean: 1, backend.MaxReduce: 2}[op]
	if inner == 1 && n >= 64 {
		g.w.post(func() {
			p := g.prog(kReduceRows)
			p.setInt("rows", outer)
			p.setInt("n", n)
			p.setInt("op", code)
			g.dispatch(p, min(outer, g.info.MaxWorkGroupCount[0]), 1, 1, hx.id, hd.id)
		})
		return
	}
	g.w.post(func() {
		p := g.prog(kReduceCols)
		p.setInt("outer", outer)
		p.setInt("n", n)
		p.setInt("inner", inner)
		p.setInt("op", code)
		g.dispatch(p, g.groups(outer*inner, wg), 1, 1, hx.id, hd.id)
	})
}

// Permute implements backend.Backend.
func (g *GL) Permute(dst, x backend.Buffer, shape, perm []int) {
	nd := len(shape)
	if nd > backend.MaxDims || len(perm) != nd {
		panic(fmt.Sprintf("opengl: Permute of shape %v by %v", shape, perm))
	}
	seen := make([]bool, nd)
	for _, p := range perm {
		if p < 0 || p >= nd || seen[p] {
			panic(fmt.Sprintf("opengl: Permute by %v, which is not a permutation of %d axes", perm, nd))
		}
		seen[p] = true
	}
	n := numel(shape)
	hd := g.check(dst, n, "Permute's output")
	hx := g.check(x, n, "Permute's input")
	if n == 0 {
		return
	}
	inStride := make([]int, nd)
	st := 1
	for i := nd - 1; i >= 0; i-- {
		inStride[i] = st
		st *= shape[i]
	}
	outShape, outStride := make([]int, nd), make([]int, nd)
	for i := range nd {
		outShape[i], outStride[i] = shape[perm[i]], inStride[perm[i]]
	}
	zeros := make([]int, nd)
	cs, cstride, _ := collapse(outShape, outStride, zeros)
	g.w.post(func() {
		p := g.prog(kPermute)
		p.setInt("n", n)
		p.setInt("nd", len(cs))
		p.setInts("outShape", dims6(cs))
		p.setInts("inStride", dims6(cstride))
		g.dispatch(p, g.groups(n, wg), 1, 1, hx.id, hd.id)
	})
}

func convGeo(g backend.ConvGeom) []int32 {
	return []int32{int32(g.N), int32(g.C), int32(g.H), int32(g.W), int32(g.KH), int32(g.KW),
		int32(g.SH), int32(g.SW), int32(g.PH), int32(g.PW), int32(g.DH), int32(g.DW), int32(g.OH), int32(g.OW)}
}

func poolGeo(g backend.PoolGeom) []int32 {
	return []int32{int32(g.N), int32(g.C), int32(g.H), int32(g.W), int32(g.KH), int32(g.KW),
		int32(g.SH), int32(g.SW), int32(g.PH), int32(g.PW), 1, 1, int32(g.OH), int32(g.OW)}
}

func checkConv(c backend.ConvGeom) {
	if c.N < 0 || c.C < 0 || c.H < 0 || c.W < 0 || c.KH < 1 || c.KW < 1 || c.SH < 1 || c.SW < 1 ||
		c.DH < 1 || c.DW < 1 || c.PH < 0 || c.PW < 0 || c.OH < 0 || c.OW < 0 {
		panic(fmt.Sprintf("opengl: invalid convolution geometry %+v (did you call Out()?)", c))
	}
}

func checkPool(p backend.PoolGeom) {
	if p.N < 0 || p.C < 0 || p.H < 0 || p.W < 0 || p.KH < 1 || p.KW < 1 || p.SH < 1 || p.SW < 1 ||
		p.PH < 0 || p.PW < 0 || p.OH < 0 || p.OW < 0 {
		panic(fmt.Sprintf("opengl: invalid pooling geometry %+v (did you call Out()?)", p))
	}
}

// Im2Col implements backend.Backend.
func (g *GL) Im2Col(col, x backend.Buffer, c backend.ConvGeom) {
	checkConv(c)
	n := c.ColRows() * c.ColCols()
	hc := g.check(col, n, "Im2Col's column matrix")
	hx := g.check(x, c.N*c.C*c.H*c.W, "Im2Col's input")
	if n == 0 {
		return
	}
	geo := convGeo(c)
	g.w.post(func() {
		p := g.prog(kIm2Col)
		p.setInts("geo", geo)
		g.dispatch(p, g.groups(n, wg), 1, 1, hx.id, hc.id)
	})
}

// Col2Im implements backend.Backend.
func (g *GL) Col2Im(dx, col backend.Buffer, c backend.ConvGeom) {
	checkConv(c)
	n := c.N * c.C * c.H * c.W
	hd := g.check(dx, n, "Col2Im's output")
	hc := g.check(col, c.ColRows()*c.ColCols(), "Col2Im's column matrix")
	if n == 0 {
		return
	}
	geo := convGeo(c)
	g.w.post(func() {
		p := g.prog(kCol2Im)
		p.setInts("geo", geo)
		g.dispatch(p, g.groups(n, wg), 1, 1, hc.id, hd.id)
	})
}

// MaxPool implements backend.Backend.
func (g *GL) MaxPool(dst, idx, x backend.Buffer, pg backend.PoolGeom) {
	g.maxPool(kMaxPool, "MaxPool", dst, idx, x, pg)
}

// maxPool runs the max-pooling kernel k (with or without the ReLU).
func (g *GL) maxPool(k kernelSpec, what string, dst, idx, x backend.Buffer, pg backend.PoolGeom) {
	checkPool(pg)
	n := pg.N * pg.C * pg.OH * pg.OW
	hd := g.check(dst, n, what+"'s output")
	hi := g.check(idx, n, what+"'s indices")
	hx := g.check(x, pg.N*pg.C*pg.H*pg.W, what+"'s input")
	if n == 0 {
		return
	}
	geo := poolGeo(pg)
	g.w.post(func() {
		p := g.prog(k)
		p.setInts("geo", geo)
		g.dispatch(p, g.groups(n, wg), 1, 1, hx.id, hd.id, hi.id)
	})
}

// MaxPoolGrad implements backend.Backend.
func (g *GL) MaxPoolGrad(dx, dy, idx backend.Buffer, pg backend.PoolGeom) {
	checkPool(pg)
	g.maxPoolGrad(kMaxPoolGrad, "MaxPoolGrad", dx, dy, idx, nil, pg)
}

// maxPoolGrad runs the max-pooling gradient kernel k; y is the fused
// ReLU's output (nil without it).
func (g *GL) maxPoolGrad(k kernelSpec, what string, dx, dy, idx backend.Buffer, hy *handle, pg backend.PoolGeom) {
	n := pg.N * pg.C * pg.H * pg.W
	no := pg.N * pg.C * pg.OH * pg.OW
	hd := g.check(dx, n, what+"'s dx")
	hdy := g.check(dy, no, what+"'s dy")
	hi := g.check(idx, no, what+"'s indices")
	if n == 0 {
		return
	}
	geo := poolGeo(pg)
	g.w.post(func() {
		p := g.prog(k)
		p.setInts("geo", geo)
		g.dispatch(p, g.groups(n, wg), 1, 1, hdy.id, hi.id, hd.id, g.id(hy))
	})
}

// AvgPool implements backend.Backend.
func (g *GL) AvgPool(dst, x backend.Buffer, pg backend.PoolGeom) {
	checkPool(pg)
	n := pg.N * pg.C * pg.OH * pg.OW
	hd := g.check(dst, n, "AvgPool's output")
	hx := g.check(x, pg.N*pg.C*pg.H*pg.W, "AvgPool's input")
	g.avgPool(kAvgPool, n, pg, hx, hd)
}

// AvgPoolGrad implements backend.Backend.
func (g *GL) AvgPoolGrad(dx, dy backend.Buffer, pg backend.PoolGeom) {
	checkPool(pg)
	n := pg.N * pg.C * pg.H * pg.W
	hd := g.check(dx, n, "AvgPoolGrad's dx")
	hy := g.check(dy, pg.N*pg.C*pg.OH*pg.OW, "AvgPoolGrad's dy")
	g.avgPool(kAvgPoolGrad, n, pg, hy, hd)
}

// avgPool dispatches one of the average-pooling kernels over n outputs,
// reading buffer src and writing dst; both share the geometry and divisor.
// The handles' ids are read on the GL thread, where they are set.
func (g *GL) avgPool(k kernelSpec, n int, pg backend.PoolGeom, src, dst *handle) {
	if n == 0 {
		return
	}
	geo := poolGeo(pg)
	div := 1 / float32(pg.KH*pg.KW)
	g.w.post(func() {
		p := g.prog(k)
		p.setInts("geo", geo)
		p.setFloat("div", div)
		g.dispatch(p, g.groups(n, wg), 1, 1, src.id, dst.id)
	})
}

func checkRows(rows, cols int, what string) {
	if rows < 0 || cols < 0 {
		panic(fmt.Sprintf("opengl: %s of [%d, %d]", what, rows, cols))
	}
}

// Softmax implements backend.Backend.
func (g *GL) Softmax(dst, x backend.Buffer, rows, cols int, log bool) {
	checkRows(rows, cols, "Softmax")
	hd := g.check(dst, rows*cols, "Softmax's output")
	hx := g.check(x, rows*cols, "Softmax's input")
	if rows*cols == 0 {
		return
	}
	g.w.post(func() {
		p := g.prog(kSoftmax)
		p.setInt("rows", rows)
		p.setInt("cols", cols)
		p.setBool("logMode", log)
		g.dispatch(p, min(rows, g.info.MaxWorkGroupCount[0]), 1, 1, hx.id, hd.id)
	})
}

// SoftmaxGrad implements backend.Backend.
func (g *GL) SoftmaxGrad(dx, y, dy backend.Buffer, rows, cols int, log bool) {
	checkRows(rows, cols, "SoftmaxGrad")
	hd := g.check(dx, rows*cols, "SoftmaxGrad's dx")
	hy := g.check(y, rows*cols, "SoftmaxGrad's y")
	hdy := g.check(dy, rows*cols, "SoftmaxGrad's dy")
	if rows*cols == 0 {
		return
	}
	g.w.post(func() {
		p := g.prog(kSoftmaxGrad)
		p.setInt("rows", rows)
		p.setInt("cols", cols)
		p.setBool("logMode", log)
		g.dispatch(p, min(rows, g.info.MaxWorkGroupCount[0]), 1, 1, hy.id, hdy.id, hd.id)
	})
}

// SoftmaxXent implements backend.Backend.
func (g *GL) SoftmaxXent(loss, grad, logits, target backend.Buffer, rows, cols int, scale float32) {
	checkRows(rows, cols, "SoftmaxXent")
	hl := g.check(loss, rows, "SoftmaxXent's loss")
	hg := g.check(grad, rows*cols, "SoftmaxXent's gradient")
	hx := g.check(logits, rows*cols, "SoftmaxXent's logits")
	ht := g.check(target, rows*cols, "SoftmaxXent's targets")
	if rows == 0 {
		return
	}
	g.w.post(func() {
		p := g.prog(kSoftmaxXent)
		p.setInt("rows", rows)
		p.setInt("cols", cols)
		p.setFloat("scale", scale)
		g.dispatch(p, min(rows, g.info.MaxWorkGroupCount[0]), 1, 1, hx.id, ht.id, hl.id, hg.id)
	})
}

// ChannelStats implements backend.Backend.
func (g *GL) ChannelStats(mean, variance, x backend.Buffer, outer, c, inner int) {
	if outer < 0 || c < 0 || inner < 0 {
		panic(fmt.Sprintf("opengl: ChannelStats over [%d, %d, %d]", outer, c, inner))
	}
	hm := g.check(mean, c, "ChannelStats' mean")
	hv := g.check(variance, c, "ChannelStats' variance")
	hx := g.check(x, outer*c*inner, "ChannelStats' input")
	if c == 0 {
		return
	}
	g.w.post(func() {
		p := g.prog(kChannelStats)
		p.setInt("outer", outer)
		p.setInt("C", c)
		p.setInt("inner", inner)
		g.dispatch(p, min(c, g.info.MaxWorkGroupCount[0]), 1, 1, hx.id, hm.id, hv.id)
	})
}

// ChannelAffine implements backend.Backend.
func (g *GL) ChannelAffine(dst, x, scale, shift backend.Buffer, outer, c, inner int) {
	g.channelAffine(kChannelAff, "ChannelAffine", dst, x, scale, shift, outer, c, inner)
}

// channelAffine runs the affine kernel k (with or without the ReLU).
func (g *GL) channelAffine(k kernelSpec, what string, dst, x, scale, shift backend.Buffer, outer, c, inner int) {
	if outer < 0 || c < 0 || inner < 0 {
		panic(fmt.Sprintf("opengl: %s over [%d, %d, %d]", what, outer, c, inner))
	}
	n := outer * c * inner
	hd := g.check(dst, n, what+"'s output")
	hx := g.check(x, n, what+"'s input")
	hs := g.check(scale, c, what+"'s scale")
	hb := g.check(shift, c, what+"'s shift")
	if n == 0 {
		return
	}
	g.w.post(func() {
		p := g.prog(k)
		p.setInt("n", n)
		p.setInt("C", c)
		p.setInt("inner", inner)
		g.dispatch(p, g.groups(n, wg), 1, 1, hx.id, hs.id, hb.id, hd.id)
	})
}

// DropoutMask implements backend.Backend with backend.Uniform's hash, so the
// mask equals the CPU's bit for bit.
func (g *GL) DropoutMask(mask backend.Buffer, p float32, seed uint64) {
	n := mask.Len()
	hm := g.check(mask, n, "DropoutMask's mask")
	if n == 0 {
		return
	}
	keep := 1 / (1 - p)
	g.w.post(func() {
		pr := g.prog(kDropout)
		pr.setInt("n", n)
		pr.setUvec2("seed", uint32(seed), uint32(seed>>32))
		pr.setFloat("p", p)
		pr.setFloat("keep", keep)
		g.dispatch(pr, g.groups(n, wg), 1, 1, hm.id)
	})
}

// SGDStep implements backend.Backend.
func (g *GL) SGDStep(w, grad, v backend.Buffer, lr, momentum, weightDecay float32, nesterov bool) {
	n := w.Len()
	hw := g.check(w, n, "SGDStep's weights")
	hg := g.check(grad, n, "SGDStep's gradient")
	var hv *handle
	if momentum != 0 {
		hv = g.check(v, n, "SGDStep's velocity")
	}
	if n == 0 {
		return
	}
	g.w.post(func() {
		p := g.prog(kSGD)
		p.setInt("n", n)
		p.setFloat("lr", lr)
		p.setFloat("momentum", momentum)
		p.setFloat("wd", weightDecay)
		p.setBool("nesterov", nesterov)
		g.dispatch(p, g.groups(n, wg), 1, 1, hw.id, hg.id, g.id(hv))
	})
}

// AdamStep implements backend.Backend; the bias corrections are computed on
// the host in float64, as the CPU backend does.
func (g *GL) AdamStep(w, grad, m, v backend.Buffer, ap backend.AdamParams) {
	n := w.Len()
	hw := g.check(w, n, "AdamStep's weights")
	hg := g.check(grad, n, "AdamStep's gradient")
	hm := g.check(m, n, "AdamStep's first moment")
	hv := g.check(v, n, "AdamStep's second moment")
	if n == 0 {
		return
	}
	bc1 := 1 - math.Pow(float64(ap.Beta1), float64(ap.Step))
	bc2 := 1 - math.Pow(float64(ap.Beta2), float64(ap.Step))
	stepSize := float32(float64(ap.LR) / bc1)
	sqrtBC2 := float32(math.Sqrt(bc2))
	g.w.post(func() {
		p := g.prog(kAdam)
		p.setInt("n", n)
		p.setFloat("lr", ap.LR)
		p.setFloat("beta1", ap.Beta1)
		p.setFloat("beta2", ap.Beta2)
		p.setFloat("eps", ap.Eps)
		p.setFloat("wd", ap.WeightDecay)
		p.setBool("decoupled", ap.Decoupled)
		p.setFloat("stepSize", stepSize)
		p.setFloat("sqrtBC2", sqrtBC2)
		g.dispatch(p, g.groups(n, wg), 1, 1, hw.id, hg.id, hm.id, hv.id)
	})
}
