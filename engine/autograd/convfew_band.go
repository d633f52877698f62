package autograd

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

// fewOutBandValues bounds the tap planes of one band of Conv2dFewOut, in
// values (4 MiB: they stay in cache between the GEMM that writes them and
// the shift-and-add that reads them).
const fewOutBandValues = 1 << 20

// conv2dFewOutBands is Conv2dFewOut on a backend with kn2row's
// shift-and-add kernels: the input is taken in bands of rows, each band's
// tap planes T = W·X (W as [OC·KH·KW, C], unflipped) made by one GEMM and
// added into the output at once, so that the whole image's tap planes
// (243 rows of the input's size for a 9×9 kernel to 3 channels) never
// exist. The backward pass gathers the output gradient's tap rows for a
// band and multiplies them into the band of the input gradient and into
// the weight gradient.
func conv2dFewOutBands(k backend.Kn2Rower, x, w, bias *Var, o ConvOpts) *Var {
	xs, ws := x.Shape(), w.Shape()
	n, c, h, wd := xs[0], xs[1], xs[2], xs[3]
	oc, kh, kw := ws[0], ws[2], ws[3]
	g := backend.Kn2Row{OC: oc, KH: kh, KW: kw, H: h, W: wd, PH: o.Pad[0], PW: o.Pad[1],
		OH: h + 2*o.Pad[0] - kh + 1, OW: wd + 2*o.Pad[1] - kw + 1}
	b := x.B()
	rows, hw, ohw := oc*kh*kw, h*wd, g.OH*g.OW
	band := max(1, min(h, fewOutBandValues/(rows*wd)))
	// W[(oc, ky, kx), c] = w[oc, c, ky, kx].
	wv := w.Value.Data()
	wt := make([]float32, rows*c)
	for q := range oc {
		for ci := range c {
			for t := range kh * kw {
				wt[(q*kh*kw+t)*c+ci] = wv[(q*c+ci)*kh*kw+t]
			}
		}
	}
	wm := tensor.FromData(b, wt, rows, c)
	t := empty(b, rows*band*wd)
	out := tensor.New(b, n, oc, g.OH, g.OW) // zeroed: the bands add into it
	for i := range n {
		for r0 := 0; r0 < h; r0 += band {
			nr := min(band, h-r0)
			b.Gemm(false, false, rows, nr*wd, c, 1, wm.Buf, 0, c, x.Value.Buf, i*c*hw+r0*wd, hw, 0, t.Buf, 0, nr*wd)
			k.Kn2RowAdd(out.Buf, i*oc*ohw, t.Buf, g, r0, nr)
		}
	}
	b.Free(t.Buf)
	if bias != nil {
		one := tensor.Full(b, 1, oc)
		b.ChannelAffine(out.Buf, out.Buf, one.Buf, bias.Value.Buf, n, oc, ohw)
		b.Free(one.Buf)
	}
	v := newOp(out, func(gy *tensor.Tensor) {
		col := empty(b, rows*band*wd)
		var dx, dwm *tensor.Tensor
		if x.requiresGrad {
			dx = empty(b, xs...)
		}
		if w.requiresGrad {
			dwm = empty(b, rows, c)
		}
		first := true
		for i := range n {
			for r0 := 0; r0 < h; r0 += band {
				nr := min(band, h-r0)
				k.Kn2RowGather(col.Buf, gy.Buf, i*oc*ohw, g, r0, nr)
				if dx != nil {
					b.Gemm(true, false, c, nr*wd, rows, 1, wm.Buf, 0, c, col.Buf, 0, nr*wd, 0, dx.Buf, i*c*hw+r0*wd, hw)
				}
				if dwm != nil {
					beta := float32(1)
					if first {
						beta = 0
					}
					b.Gemm(false, true, rows, c, nr*wd, 1, col.Buf, 0, nr*wd, x.Value.Buf, i*c*hw+r0*wd, hw, beta, dwm.Buf, 0, c)
				}
				first = false
			}
		}
		b.Free(col.Buf)
		if dx != nil {
			accumulate(x, dx, true)
		}
		if dwm != nil {
			d := dwm.Data()
			b.Free(dwm.Buf)
			dw := make([]float32, len(wv))
			for q := range oc {
				for ci := range c {
					for t := range kh * kw {
						dw[(q*c+ci)*kh*kw+t] = d[(q*kh*kw+t)*c+ci]
					}
				}
			}
			accumulate(w, tensor.FromData(b, dw, ws...), true)
		}
		if bias != nil && bias.requiresGrad {
			accumulate(bias, biasGrad(gy, n, oc, ohw), true)
		}
	}, x, w, bias)
	v.save(wm)
	return v
}

// biasGrad sums gy [N, OC, HW] over the images and positions.
func biasGrad(gy *tensor.Tensor, n, oc, hw int) *tensor.Tensor {
	b := gy.B
	per := empty(b, n*oc)
	b.Reduce(backend.Sum, per.Buf, gy.Buf, n*oc, hw, 1)
	pd := per.Data()
	b.Free(per.Buf)
	sum := make([]float32, oc)
	for i, v := range pd {
		sum[i%oc] += v
	}
	return tensor.FromData(b, sum, oc)
}
