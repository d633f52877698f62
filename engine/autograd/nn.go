package autograd

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// MatMul is the matrix product of a [m,k] and b [k,n].
func MatMul(a, c *Var) *Var {
	as, cs := a.Shape(), c.Shape()
	if len(as) != 2 || len(cs) != 2 || as[1] != cs[0] {
		panic(fmt.Sprintf("autograd: MatMul of %v and %v", as, cs))
	}
	m, k, n := as[0], as[1], cs[1]
	b := a.B()
	out := empty(b, m, n)
	b.Gemm(false, false, m, n, k, 1, a.Value.Buf, 0, k, c.Value.Buf, 0, n, 0, out.Buf, 0, n)
	return newOp(out, func(g *tensor.Tensor) {
		if a.requiresGrad {
			da := empty(b, m, k)
			b.Gemm(false, true, m, k, n, 1, g.Buf, 0, n, c.Value.Buf, 0, n, 0, da.Buf, 0, k)
			accumulate(a, da, true)
		}
		if c.requiresGrad {
			dc := empty(b, k, n)
			b.Gemm(true, false, k, n, m, 1, a.Value.Buf, 0, k, g.Buf, 0, n, 0, dc.Buf, 0, n)
			accumulate(c, dc, true)
		}
	}, a, c)
}

// Linear is x·Wᵀ + bias for x [N, in], W [out, in] (PyTorch's layout) and an
// optional bias [out].
func Linear(x, w, bias *Var) *Var {
	xs, ws := x.Shape(), w.Shape()
	if len(xs) != 2 || len(ws) != 2 || xs[1] != ws[1] {
		panic(fmt.Sprintf("autograd: Linear input %v with weight %v", xs, ws))
	}
	n, in, outF := xs[0], xs[1], ws[0]
	b := x.B()
	out := empty(b, n, outF)
	b.Gemm(false, true, n, outF, in, 1, x.Value.Buf, 0, in, w.Value.Buf, 0, in, 0, out.Buf, 0, outF)
	if bias != nil {
		b.Binary(backend.Add, out.Buf, out.Buf, bias.Value.Buf, backend.Strided{Shape: []int{n, outF}, StrideA: []int{outF, 1}, StrideB: []int{0, 1}})
	}
	return newOp(out, func(g *tensor.Tensor) {
		if x.requiresGrad {
			dx := empty(b, n, in)
			b.Gemm(false, false, n, in, outF, 1, g.Buf, 0, outF, w.Value.Buf, 0, in, 0, dx.Buf, 0, in)
			accumulate(x, dx, true)
		}
		if w.requiresGrad {
			dw := empty(b, outF, in)
			b.Gemm(true, false, outF, in, n, 1, g.Buf, 0, outF, x.Value.Buf, 0, in, 0, dw.Buf, 0, in)
			accumulate(w, dw, true)
		}
		if bias != nil && bias.requiresGrad {
			db := empty(b, outF)
			b.Reduce(backend.Sum, db.Buf, g.Buf, 1, n, outF)
			accumulate(bias, db, true)
		}
	}, x, w, bias)
}

// ConvOpts are a 2-D convolution's hyper-parameters.
type ConvOpts struct {
	Stride, Pad, Dilation [2]int
	Groups                int
}

// Conv2d convolves x [N,C,H,W] with w [OC, C/groups, KH, KW] plus an optional
// bias [OC], through im2col and one GEMM per group over the whole batch.
func Conv2d(x, w, bias *Var, o ConvOpts) *Var {
	xs, ws := x.Shape(), w.Shape()
	if o.Groups < 1 {
		o.Groups = 1
	}
	for i := range 2 {
		o.Stride[i] = max(o.Stride[i], 1)
		o.Dilation[i] = max(o.Dilation[i], 1)
	}
	if len(xs) != 4 || len(ws) != 4 || xs[1] != ws[1]*o.Groups || ws[0]%o.Groups != 0 {
		panic(fmt.Sprintf("autograd: Conv2d input %v with weight %v and %d groups", xs, ws, o.Groups))
	}
	g := backend.ConvGeom{N: xs[0], C: xs[1], H: xs[2], W: xs[3], KH: ws[2], KW: ws[3],
		SH: o.Stride[0], SW: o.Stride[1], PH: o.Pad[0], PW: o.Pad[1], DH: o.Dilation[0], DW: o.Dilation[1]}.Out()
	if g.OH < 1 || g.OW < 1 {
		panic(fmt.Sprintf("autograd: Conv2d output would be %dx%d for input %v", g.OH, g.OW, xs))
	}
	oc, grp := ws[0], o.Groups
	ocg, ckk := oc/grp, ws[1]*g.KH*g.KW
	b := x.B()
	// Depthwise-like convolutions (few output channels per group) keep the
	// whole-batch path: image by image they would be many tiny products.
	if dc, ok := b.(backend.DirectConv); ok && (grp == 1 || ocg >= 16) {
		if cp, ok := dc.(backend.ConvPather); ok && Profiling() {
			profileConv(cp.ConvPath(g, backend.ConvGroups{OC: oc, Groups: grp}))
		}
		return directConv(dc, x, w, bias, g, backend.ConvGroups{OC: oc, Groups: grp})
	}
	if Profiling() {
		profileConv("im2col batch")
	}
	cols := g.ColCols()
	col := empty(b, g.ColRows(), cols)
	b.Im2Col(col.Buf, x.Value.Buf, g)
	outT := empty(b, oc, g.N, g.OH*g.OW) // [OC, N, P]
	for gi := range grp {
		b.Gemm(false, false, ocg, cols, ckk, 1, w.Value.Buf, gi*ocg*ckk, ckk,
			col.Buf, gi*ckk*cols, cols, 0, outT.Buf, gi*ocg*cols, cols)
	}
	out := empty(b, g.N, oc, g.OH, g.OW)
	b.Permute(out.Buf, outT.Buf, []int{oc, g.N, g.OH * g.OW}, []int{1, 0, 2})
	b.Free(outT.Buf)
	if bias != nil {
		p := g.OH * g.OW
		b.Binary(backend.Add, out.Buf, out.Buf, bias.Value.Buf,
			backend.Strided{Shape: []int{g.N, oc, p}, StrideA: []int{oc * p, p, 1}, StrideB: []int{0, 1, 0}})
	}
	v := newOp(out, func(gr *tensor.Tensor) {
		p := g.OH * g.OW
		gT := empty(b, oc, g.N, p)
		b.Permute(gT.Buf, gr.Buf, []int{g.N, oc, p}, []int{1, 0, 2})
		if w.requiresGrad {
			dw := empty(b, ws...)
			for gi := range grp {
				b.Gemm(false, true, ocg, ckk, cols, 1, gT.Buf, gi*ocg*cols, cols,
					col.Buf, gi*ckk*cols, cols, 0, dw.Buf, gi*ocg*ckk, ckk)
			}
			accumulate(w, dw, true)
		}
		if bias != nil && bias.requiresGrad {
			db := empty(b, oc)
			b.Reduce(backend.Sum, db.Buf, gT.Buf, oc, cols, 1)
			accumulate(bias, db, true)
		}
		if x.requiresGrad {
			dcol := empty(b, g.ColRows(), cols)
			for gi := range grp {
				b.Gemm(true, false, ckk, cols, ocg, 1, w.Value.Buf, gi*ocg*ckk, ckk,
					gT.Buf, gi*ocg*cols, cols, 0, dcol.Buf, gi*ckk*cols, cols)
			}
			dx := empty(b, xs...)
			b.Col2Im(dx.Buf, dcol.Buf, g)
			b.Free(dcol.Buf)
			accumulate(x, dx, true)
		}
		b.Free(gT.Buf)
	}, x, w, bias)
	v.save(col)
	return v
}

// directConv is Conv2d on a backend with its own convolution kernels. They
// read x and w again in the backward pass and keep nothing else.
func directConv(dc backend.DirectConv, x, w, bias *Var, g backend.ConvGeom, o backend.ConvGroups) *Var {
	b := x.B()
	out := empty(b, g.N, o.OC, g.OH, g.OW)
	var bb backend.Buffer
	if bias != nil {
		bb = bias.Value.Buf
	}
	dc.ConvForward(out.Buf, x.Value.Buf, w.Value.Buf, bb, g, o)
	return newOp(out, func(gr *tensor.Tensor) {
		var dx, dw, db *tensor.Tensor
		var dxb, dwb, dbb backend.Buffer
		if x.requiresGrad {
			dx = empty(b, x.Shape()...)
			dxb = dx.Buf
		}
		if w.requiresGrad {
			dw = empty(b, w.Shape()...)
			dwb = dw.Buf
		}
		if bias != nil && bias.requiresGrad {
			db = empty(b, o.OC)
			dbb = db.Buf
		}
		dc.ConvBackward(dxb, dwb, dbb, gr.Buf, x.Value.Buf, w.Value.Buf, g, o)
		if dw != nil {
			accumulate(w, dw, true)
		}
		if db != nil {
			accumulate(bias, db, true)
		}
		if dx != nil {
			accumulate(x, dx, true)
		}
	}, x, w, bias)
}

// PoolOpts are a 2-D pooling's hyper-parameters.
type PoolOpts struct {
	Kernel, Stride, Pad [2]int
}

func poolGeom(xs []int, o PoolOpts) backend.PoolGeom {
	if len(xs) != 4 {
		panic(fmt.Sprintf("autograd: pooling needs [N,C,H,W], got %v", xs))
	}
	for i := range 2 {
		if o.Stride[i] == 0 {
			o.Stride[i] = o.Kernel[i]
		}
	}
	g := backend.PoolGeom{N: xs[0], C: xs[1], H: xs[2], W: xs[3], KH: o.Kernel[0], KW: o.Kernel[1],
		SH: o.Stride[0], SW: o.Stride[1], PH: o.Pad[0], PW: o.Pad[1]}.Out()
	if g.OH < 1 || g.OW < 1 {
		panic(fmt.Sprintf("autograd: pooling %v with kernel %v leaves no output", xs, o.Kernel))
	}
	return g
}

// MaxPool2d takes the maximum over windows (stride defaults to the kernel).
func MaxPool2d(x *Var, o PoolOpts) *Var {
	g := poolGeom(x.Shape(), o)
	b := x.B()
	out := empty(b, g.N, g.C, g.OH, g.OW)
	idx := empty(b, g.N, g.C, g.OH, g.OW)
	b.MaxPool(out.Buf, idx.Buf, x.Value.Buf, g)
	v := newOp(out, func(gr *tensor.Tensor) {
		dx := empty(b, x.Shape()...)
		b.MaxPoolGrad(dx.Buf, gr.Buf, idx.Buf, g)
		accumulate(x, dx, true)
	}, x)
	v.save(idx)
	return v
}

// MaxPool2dReLU is MaxPool2d(ReLU(x)), computed as ReLU(MaxPool2d(x)): the
// same values and gradients (ReLU is monotonic, so it commutes with taking
// the maximum, and a window whose maximum is not positive passes no
// gradient either way), with the ReLU and its gradient on the pooled map,
// a quarter of the activation for 2x2 pooling. nn fuses a ReLU followed
// only by a max-pool into it.
func MaxPool2dReLU(x *Var, o PoolOpts) *Var {
	g := poolGeom(x.Shape(), o)
	b := x.B()
	out := empty(b, g.N, g.C, g.OH, g.OW)
	idx := empty(b, g.N, g.C, g.OH, g.OW)
	if f, ok := b.(backend.MaxPoolReLUer); ok {
		f.MaxPoolReLU(out.Buf, idx.Buf, x.Value.Buf, g)
		v := newOp(out, func(gr *tensor.Tensor) {
			dx := empty(b, x.Shape()...)
			f.MaxPoolReLUGrad(dx.Buf, gr.Buf, out.Buf, idx.Buf, g)
			accumulate(x, dx, true)
		}, x)
		v.save(idx)
		return v
	}
	b.MaxPool(out.Buf, idx.Buf, x.Value.Buf, g)
	b.Unary(backend.ReLU, out.Buf, out.Buf, 0, 0)
	v := newOp(out, func(gr *tensor.Tensor) {
		// out > 0 exactly where the window's maximum is positive.
		gm := empty(b, out.Shape...)
		b.UnaryGrad(backend.ReLU, gm.Buf, out.Buf, out.Buf, gr.Buf, 0, 0)
		dx := empty(b, x.Shape()...)
		b.MaxPoolGrad(dx.Buf, gm.Buf, idx.Buf, g)
		b.Free(gm.Buf)
		accumulate(x, dx, true)
	}, x)
	v.save(idx)
	return v
}

// AvgPool2d averages over windows, counting padding (PyTorch's default).
func AvgPool2d(x *Var, o PoolOpts) *Var {
	g := poolGeom(x.Shape(), o)
	b := x.B()
	out := empty(b, g.N, g.C, g.OH, g.OW)
	b.AvgPool(out.Buf, x.Value.Buf, g)
	return newOp(out, func(gr *tensor.Tensor) {
		dx := empty(b, x.Shape()...)
		b.AvgPoolGrad(dx.Buf, gr.Buf, g)
		accumulate(x, dx, true)
	}, x)
}

// GlobalAvgPool averages each channel's map: [N,C,H,W] to [N,C,1,1].
func GlobalAvgPool(x *Var) *Var {
	s := x.Shape()
	return Reshape(MeanAxis(Reshape(x, s[0]*s[1], s[2]*s[3]), 1), s[0], s[1], 1, 1)
}

// AdaptiveAvgPool2d pools [N,C,H,W] to [N,C,oh,ow] with PyTorch's adaptive
// windows (start floor(i*H/oh), end ceil((i+1)*H/oh)). It is a product with a
// constant pooling matrix, so every backend runs it as one GEMM.
func AdaptiveAvgPool2d(x *Var, oh, ow int) *Var {
	s := x.Shape()
	if s[2] == oh && s[3] == ow {
		return x
	}
	h, w := s[2], s[3]
	pm := make([]float32, h*w*oh*ow)
	for i := range oh {
		h0, h1 := i*h/oh, ((i+1)*h+oh-1)/oh
		for j := range ow {
			w0, w1 := j*w/ow, ((j+1)*w+ow-1)/ow
			v := 1 / float32((h1-h0)*(w1-w0))
			for y := h0; y < h1; y++ {
				for xx := w0; xx < w1; xx++ {
					pm[(y*w+xx)*oh*ow+i*ow+j] = v
				}
			}
		}
	}
	p := Const(tensor.FromData(x.B(), pm, h*w, oh*ow))
	return Reshape(MatMul(Reshape(x, s[0]*s[1], h*w), p), s[0], s[1], oh, ow)
}

// Concat joins tensors along dimension 1 (channels).
func Concat(xs ...*Var) *Var {
	n := xs[0].Shape()[0]
	inner := tensor.Numel(xs[0].Shape()[2:])
	total := 0
	for _, x := range xs {
		s := x.Shape()
		if s[0] != n || tensor.Numel(s[2:]) != inner || len(s) != len(xs[0].Shape()) {
			panic(fmt.Sprintf("autograd: Concat of %v and %v", xs[0].Shape(), s))
		}
		total += s[1]
	}
	shape := append([]int{n, total}, xs[0].Shape()[2:]...)
	b := xs[0].B()
	out := empty(b, shape...) // the copies below cover it
	off := 0
	for _, x := range xs {
		c := x.Shape()[1]
		for i := range n {
			b.Copy(out.Buf, (i*total+off)*inner, x.Value.Buf, i*c*inner, c*inner)
		}
		off += c
	}
	return newOp(out, func(g *tensor.Tensor) {
		off := 0
		for _, x := range xs {
			c := x.Shape()[1]
			if x.requiresGrad {
				dx := empty(b, x.Shape()...)
				for i := range n {
					b.Copy(dx.Buf, i*c*inner, g.Buf, (i*total+off)*inner, c*inner)
				}
				accumulate(x, dx, true)
			}
			off += c
		}
	}, xs...)
}

// Dropout is inverted dropout: in training each element is zeroed with
// probability p and the rest scaled by 1/(1-p); the mask comes from seed.
func Dropout(x *Var, p float32, seed uint64) *Var {
	if p <= 0 {
		return x
	}
	b := x.B()
	mask := empty(b, x.Shape()...)
	b.DropoutMask(mask.Buf, p, seed)
	return Mul(x, Const(mask))
}

// Softmax is the softmax over the last dimension.
func Softmax(x *Var) *Var { return softmax(x, false) }

// LogSoftmax is the log-softmax over the last dimension.
func LogSoftmax(x *Var) *Var { return softmax(x, true) }

func softmax(x *Var, log bool) *Var {
	s := x.Shape()
	cols := s[len(s)-1]
	rows := x.Value.Len() / cols
	b := x.B()
	out := empty(b, s...)
	b.Softmax(out.Buf, x.Value.Buf, rows, cols, log)
	return newOp(out, func(g *tensor.Tensor) {
		dx := empty(b, s...)
		b.SoftmaxGrad(dx.Buf, out.Buf, g.Buf, rows, cols, log)
		accumulate(x, dx, true)
	}, x)
}
