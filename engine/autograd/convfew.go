package autograd

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// FewOutputs reports whether Conv2dFewOut applies to a convolution of x
// with w under o, and pays: stride 1, no dilation, one group, padding
// below the kernel, a kernel larger than 1×1 and at most a quarter as many
// output channels as input channels (an image-producing layer such as fast
// style transfer's last 9×9 convolution, 32 channels to 3).
func FewOutputs(xs, ws []int, o ConvOpts) bool {
	if len(xs) != 4 || len(ws) != 4 || o.Groups > 1 || xs[1] != ws[1] {
		return false
	}
	for i := range 2 {
		if max(o.Stride[i], 1) != 1 || max(o.Dilation[i], 1) != 1 || o.Pad[i] < 0 || o.Pad[i] > ws[2+i]-1 {
			return false
		}
	}
	return ws[2]*ws[3] > 1 && 4*ws[0] <= ws[1]
}

// Conv2dFewOut is Conv2d (stride 1, no dilation, one group; see
// FewOutputs) computed the other way round, "kn2row": one GEMM multiplies
// every kernel tap's weights with the input as it lies, T = W'·X (W' the
// flipped kernel as [OC·KH·KW, C]), and Col2Im adds the shifted tap planes
// of T into the output. Im2Col would copy the input KH·KW times (C·KH·KW
// rows, 2592 for 32 channels and a 9×9 kernel) to feed a GEMM with only OC
// rows; here the copy is OC·KH·KW rows (243 for 3 outputs). The backward
// pass is the same trick transposed: Im2Col of the output gradient (OC
// channels) feeds both the input gradient W'ᵀ·col and the weight gradient
// col·Xᵀ. On backends with backend.Kn2Rower (the CPU) it runs over bands
// of the input's rows instead of the whole image (conv2dFewOutBands).
func Conv2dFewOut(x, w, bias *Var, o ConvOpts) *Var {
	xs, ws := x.Shape(), w.Shape()
	if !FewOutputs(xs, ws, o) {
		panic(fmt.Sprintf("autograd: Conv2dFewOut of %v with weight %v and %+v", xs, ws, o))
	}
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	oc, kh, kw := ws[0], ws[2], ws[3]
	oh, ow := h+2*o.Pad[0]-kh+1, wd+2*o.Pad[1]-kw+1
	if oh < 1 || ow < 1 {
		panic(fmt.Sprintf("autograd: Conv2d output would be %dx%d for input %v", oh, ow, xs))
	}
	// The geometry that scatters T (grid h×wd) into the output [OC, OH,
	// OW] with the flipped kernel: pad K−1−p.
	g := backend.ConvGeom{N: n, C: oc, H: oh, W: ow, KH: kh, KW: kw, SH: 1, SW: 1,
		PH: kh - 1 - o.Pad[0], PW: kw - 1 - o.Pad[1], DH: 1, DW: 1}.Out()
	if g.OH != h || g.OW != wd {
		panic(fmt.Sprintf("autograd: Conv2dFewOut geometry %+v for input %v", g, xs))
	}
	b := x.B()
	if k, ok := b.(backend.Kn2Rower); ok {
		return conv2dFewOutBands(k, x, w, bias, o)
	}
	rows, hw, cols := oc*kh*kw, h*wd, n*h*wd
	// W'[(oc, ky', kx'), c] = w[oc, c, KH−1−ky', KW−1−kx'].
	wv := w.Value.Data()
	wf := make([]float32, rows*c)
	for q := range oc {
		for ci := range c {
			for ky := range kh {
				for kx := range kw {
					wf[((q*kh+kh-1-ky)*kw+kw-1-kx)*c+ci] = wv[((q*c+ci)*kh+ky)*kw+kx]
				}
			}
		}
	}
	wft := tensor.FromData(b, wf, rows, c)
	t := empty(b, rows, cols)
	for i := range n {
		b.Gemm(false, false, rows, hw, c, 1, wft.Buf, 0, c, x.Value.Buf, i*c*hw, hw, 0, t.Buf, i*hw, cols)
	}
	out := empty(b, n, oc, oh, ow)
	b.Col2Im(out.Buf, t.Buf, g)
	b.Free(t.Buf)
	if bias != nil {
		one := tensor.Full(b, 1, oc)
		b.ChannelAffine(out.Buf, out.Buf, one.Buf, bias.Value.Buf, n, oc, oh*ow)
		b.Free(one.Buf)
	}
	v := newOp(out, func(gy *tensor.Tensor) {
		col := empty(b, rows, cols)
		b.Im2Col(col.Buf, gy.Buf, g)
		if x.requiresGrad {
			dx := empty(b, xs...)
			for i := range n {
				b.Gemm(true, false, c, hw, rows, 1, wft.Buf, 0, c, col.Buf, i*hw, cols, 0, dx.Buf, i*c*hw, hw)
			}
			accumulate(x, dx, true)
		}
		if w.requiresGrad {
			dwf := empty(b, rows, c)
			for i := range n {
				b.Gemm(false, true, rows, c, hw, 1, col.Buf, i*hw, cols, x.Value.Buf, i*c*hw, hw, float32(min(i, 1)), dwf.Buf, 0, c)
			}
			d := dwf.Data()
			dw := make([]float32, len(wv))
			for q := range oc {
				for ci := range c {
					for ky := range kh {
						for kx := range kw {
							dw[((q*c+ci)*kh+ky)*kw+kx] = d[((q*kh+kh-1-ky)*kw+kw-1-kx)*c+ci]
						}
					}
				}
			}
			b.Free(dwf.Buf)
			accumulate(w, tensor.FromData(b, dw, ws...), true)
		}
		if bias != nil && bias.requiresGrad {
			per := empty(b, n*oc)
			b.Reduce(backend.Sum, per.Buf, gy.Buf, n*oc, oh*ow, 1)
			pd := per.Data()
			b.Free(per.Buf)
			sum := make([]float32, oc)
			for i, v := range pd {
				sum[i%oc] += v
			}
			accumulate(bias, tensor.FromData(b, sum, oc), true)
		}
		b.Free(col.Buf)
	}, x, w, bias)
	v.save(wft)
	return v
}
