package cpu

import (
	"math"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// Im2Col implements backend.Backend: col[(c*KH+kh)*KW+kw, (n*OH+oh)*OW+ow] =
// x[n, c, oh*SH-PH+kh*DH, ow*SW-PW+kw*DW] (0 outside the image).
func (*CPU) Im2Col(col, x backend.Buffer, g backend.ConvGeom) {
	cs, xs := d(col), d(x)
	rows := g.ColRows()
	plane := g.OH * g.OW
	cols := g.N * plane
	parallel.For(rows, cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			kw := r % g.KW
			kh := (r / g.KW) % g.KH
			c := r / (g.KW * g.KH)
			dst := cs[r*cols : (r+1)*cols]
			for n := 0; n < g.N; n++ {
				src := xs[(n*g.C+c)*g.H*g.W : (n*g.C+c+1)*g.H*g.W]
				im2colRow(dst[n*plane:(n+1)*plane], src, g, kh, kw)
			}
		}
	})
}

// Col2Im implements backend.Backend. Each goroutine owns whole input
// channels, so the accumulation needs no locks.
func (*CPU) Col2Im(dx, col backend.Buffer, g backend.ConvGeom) {
	xs, cs := d(dx), d(col)
	plane := g.OH * g.OW
	cols := g.N * plane
	kk := g.KH * g.KW
	parallel.For(g.C, kk*cols, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			for n := 0; n < g.N; n++ {
				clear(xs[(n*g.C+c)*g.H*g.W : (n*g.C+c+1)*g.H*g.W])
			}
			for k := 0; k < kk; k++ {
				kh, kw := k/g.KW, k%g.KW
				src := cs[(c*kk+k)*cols : (c*kk+k+1)*cols]
				for n := 0; n < g.N; n++ {
					dst := xs[(n*g.C+c)*g.H*g.W : (n*g.C+c+1)*g.H*g.W]
					col2imRow(dst, src[n*plane:(n+1)*plane], g, kh, kw)
				}
			}
		}
	})
}

// MaxPool implements backend.Backend. idx holds the index of the maximum
// within its H×W plane; ties go to the first in row-major order, as in
// PyTorch.
func (*CPU) MaxPool(dst, idx, x backend.Buffer, g backend.PoolGeom) {
	maxPool(d(dst), d(idx), d(x), g, false)
}

// MaxPoolReLU implements backend.MaxPoolReLUer.
func (*CPU) MaxPoolReLU(dst, idx, x backend.Buffer, g backend.PoolGeom) {
	maxPool(d(dst), d(idx), d(x), g, true)
}

// MaxPoolReLUGrad implements backend.MaxPoolReLUer.
func (*CPU) MaxPoolReLUGrad(dx, dy, y, idx backend.Buffer, g backend.PoolGeom) {
	maxPoolGrad(d(dx), d(dy), d(idx), d(y), g)
}

// reluInPlace sets x to max(x, 0).
func reluInPlace(x []float32) { relu(x, x) }

func maxPool(ys, is, xs []float32, g backend.PoolGeom, relu bool) {
	inP, outP := g.H*g.W, g.OH*g.OW
	parallel.For(g.N*g.C, outP*g.KH*g.KW, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			src := xs[p*inP : (p+1)*inP]
			out := ys[p*outP : (p+1)*outP]
			ix := is[p*outP : (p+1)*outP]
			if g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.PH == 0 && g.PW == 0 {
				maxPool2x2Plane(out, ix, src, g, relu)
				continue
			}
			if g.KH == 3 && g.KW == 3 {
				maxPool3x3Plane(out, ix, src, g)
			} else {
				maxPoolRect(out, ix, src, g, 0, g.OH, 0, g.OW)
			}
			if relu {
				reluInPlace(out)
			}
		}
	})
}

// maxPoolRect pools the outputs [oh0, oh1) x [ow0, ow1) of one plane:
// the window's cells in row-major order, a cell replacing the best so far
// when larger or NaN (ties keep the first, as in PyTorch).
func maxPoolRect(out, ix, src []float32, g backend.PoolGeom, oh0, oh1, ow0, ow1 int) {
	for oh := oh0; oh < oh1; oh++ {
		for ow := ow0; ow < ow1; ow++ {
			best := float32(math.Inf(-1))
			bi := -1
			for kh := 0; kh < g.KH; kh++ {
				ih := oh*g.SH - g.PH + kh
				if ih < 0 || ih >= g.H {
					continue
				}
				for kw := 0; kw < g.KW; kw++ {
					iw := ow*g.SW - g.PW + kw
					if iw < 0 || iw >= g.W {
						continue
					}
					v := src[ih*g.W+iw]
					if bi < 0 || v > best || v != v {
						best, bi = v, ih*g.W+iw
					}
				}
			}
			out[oh*g.OW+ow] = best
			ix[oh*g.OW+ow] = float32(bi)
		}
	}
}

// maxPool3x3Plane is maxPoolRect for 3x3 windows (ResNet's stem pool, 3x3
// stride 2 padding 1, 56% of its time in the loop's bounds tests): the
// windows inside the plane are unrolled with the same order and rule, so
// values and indices keep their bits, eight at a time in AVX2 for stride 2
// (maxPool3x3S2Row: 0.9 against 5.1 ms for the stem pool of one image);
// the border ones take maxPoolRect.
func maxPool3x3Plane(out, ix, src []float32, g backend.PoolGeom) {
	// Interior outputs: oh·SH − PH ≥ 0 and oh·SH − PH + 2 < H.
	lo := func(p, s int) int { return (p + s - 1) / s }
	hiH, hiW := (g.H-3+g.PH)/g.SH+1, (g.W-3+g.PW)/g.SW+1
	oh0, oh1 := min(lo(g.PH, g.SH), g.OH), max(0, min(g.OH, hiH))
	ow0, ow1 := min(lo(g.PW, g.SW), g.OW), max(0, min(g.OW, hiW))
	if g.H < 3 || g.W < 3 || oh0 >= oh1 || ow0 >= ow1 {
		maxPoolRect(out, ix, src, g, 0, g.OH, 0, g.OW)
		return
	}
	maxPoolRect(out, ix, src, g, 0, oh0, 0, g.OW)
	maxPoolRect(out, ix, src, g, oh1, g.OH, 0, g.OW)
	maxPoolRect(out, ix, src, g, oh0, oh1, 0, ow0)
	maxPoolRect(out, ix, src, g, oh0, oh1, ow1, g.OW)
	w := g.W
	for oh := oh0; oh < oh1; oh++ {
		ih := oh*g.SH - g.PH
		rows := src[ih*w : (ih+3)*w]
		o := out[oh*g.OW : (oh+1)*g.OW]
		x := ix[oh*g.OW : (oh+1)*g.OW]
		start := ow0
		if g.SH == 2 && g.SW == 2 {
			start += maxPool3x3S2Row(o[ow0:], x[ow0:], src, w, ih, g.PW, ow0, ow1-ow0)
		}
		for ow := start; ow < ow1; ow++ {
			iw := ow*g.SW - g.PW
			a := rows[iw : iw+3 : iw+3]
			b := rows[w+iw : w+iw+3 : w+iw+3]
			c := rows[2*w+iw : 2*w+iw+3 : 2*w+iw+3]
			best, k := a[0], 0
			if v := a[1]; v > best || v != v {
				best, k = v, 1
			}
			if v := a[2]; v > best || v != v {
				best, k = v, 2
			}
			if v := b[0]; v > best || v != v {
				best, k = v, w
			}
			if v := b[1]; v > best || v != v {
				best, k = v, w+1
			}
			if v := b[2]; v > best || v != v {
				best, k = v, w+2
			}
			if v := c[0]; v > best || v != v {
				best, k = v, 2*w
			}
			if v := c[1]; v > best || v != v {
				best, k = v, 2*w+1
			}
			if v := c[2]; v > best || v != v {
				best, k = v, 2*w+2
			}
			o[ow], x[ow] = best, float32(ih*w+iw+k)
		}
	}
}

func maxPool2x2(out, ix, src []float32, g backend.PoolGeom) {
	for oh := 0; oh < g.OH; oh++ {
		r0 := src[2*oh*g.W : (2*oh+1)*g.W]
		r1 := src[(2*oh+1)*g.W : (2*oh+2)*g.W]
		o := out[oh*g.OW : (oh+1)*g.OW]
		x := ix[oh*g.OW : (oh+1)*g.OW]
		base := 2 * oh * g.W
		for ow := range o {
			i := 2 * ow
			best, bi := r0[i], base+i
			if r0[i+1] > best {
				best, bi = r0[i+1], base+i+1
			}
			if r1[i] > best {
				best, bi = r1[i], base+g.W+i
			}
			if r1[i+1] > best {
				best, bi = r1[i+1], base+g.W+i+1
			}
			o[ow], x[ow] = best, float32(bi)
		}
	}
}

// maxPool2x2Grad is MaxPoolGrad for one plane that non-overlapping 2x2
// windows tile (even H and W): each window's four cells are written once.
// With y (the output of MaxPoolReLU), dy passes only where y > 0.
func maxPool2x2Grad(dst, dy, ix, y []float32, g backend.PoolGeom) {
	for oh := 0; oh < g.OH; oh++ {
		r0 := dst[2*oh*g.W : (2*oh+1)*g.W]
		r1 := dst[(2*oh+1)*g.W : (2*oh+2)*g.W]
		for ow, v := range dy[oh*g.OW : (oh+1)*g.OW] {
			r0[2*ow], r0[2*ow+1], r1[2*ow], r1[2*ow+1] = 0, 0, 0, 0
			if y != nil && !(y[oh*g.OW+ow] > 0) {
				continue
			}
			dst[int(ix[oh*g.OW+ow])] = v
		}
	}
}

// MaxPoolGrad implements backend.Backend.
func (*CPU) MaxPoolGrad(dx, dy, idx backend.Buffer, g backend.PoolGeom) {
	maxPoolGrad(d(dx), d(dy), d(idx), nil, g)
}

// maxPoolGrad scatters dy into dx through idx; with y (the output of
// MaxPoolReLU), only where y > 0.
func maxPoolGrad(gx, gy, is, ys []float32, g backend.PoolGeom) {
	inP, outP := g.H*g.W, g.OH*g.OW
	// Non-overlapping 2x2 windows tile an even plane: each window's four
	// cells are written once (the gradient at the maximum, zeros
	// elsewhere), with no separate clearing pass.
	tiled := g.KH == 2 && g.KW == 2 && g.SH == 2 && g.SW == 2 && g.PH == 0 && g.PW == 0 && g.H%2 == 0 && g.W%2 == 0
	parallel.For(g.N*g.C, outP+inP, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			dst := gx[p*inP : (p+1)*inP]
			src := gy[p*outP : (p+1)*outP]
			ix := is[p*outP : (p+1)*outP]
			var y []float32
			if ys != nil {
				y = ys[p*outP : (p+1)*outP]
			}
			if tiled {
				maxPool2x2GradPlane(dst, src, ix, y, g)
				continue
			}
			clear(dst)
			for i, v := range src {
				if y == nil || y[i] > 0 {
					dst[int(ix[i])] += v
				}
			}
		}
	})
}

// AvgPool implements backend.Backend.
func (*CPU) AvgPool(dst, x backend.Buffer, g backend.PoolGeom) {
	ys, xs := d(dst), d(x)
	inP, outP := g.H*g.W, g.OH*g.OW
	div := 1 / float32(g.KH*g.KW)
	parallel.For(g.N*g.C, outP*g.KH*g.KW, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			src := xs[p*inP : (p+1)*inP]
			out := ys[p*outP : (p+1)*outP]
			for oh := 0; oh < g.OH; oh++ {
				for ow := 0; ow < g.OW; ow++ {
					var s float32
					for kh := 0; kh < g.KH; kh++ {
						ih := oh*g.SH - g.PH + kh
						if ih < 0 || ih >= g.H {
							continue
						}
						for kw := 0; kw < g.KW; kw++ {
							iw := ow*g.SW - g.PW + kw
							if iw >= 0 && iw < g.W {
								s += src[ih*g.W+iw]
							}
						}
					}
					out[oh*g.OW+ow] = s * div
				}
			}
		}
	})
}

// AvgPoolGrad implements backend.Backend.
func (*CPU) AvgPoolGrad(dx, dy backend.Buffer, g backend.PoolGeom) {
	gx, gy := d(dx), d(dy)
	inP, outP := g.H*g.W, g.OH*g.OW
	div := 1 / float32(g.KH*g.KW)
	parallel.For(g.N*g.C, outP*g.KH*g.KW, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			dst := gx[p*inP : (p+1)*inP]
			clear(dst)
			src := gy[p*outP : (p+1)*outP]
			for oh := 0; oh < g.OH; oh++ {
				for ow := 0; ow < g.OW; ow++ {
					v := src[oh*g.OW+ow] * div
					for kh := 0; kh < g.KH; kh++ {
						ih := oh*g.SH - g.PH + kh
						if ih < 0 || ih >= g.H {
							continue
						}
						for kw := 0; kw < g.KW; kw++ {
							iw := ow*g.SW - g.PW + kw
							if iw >= 0 && iw < g.W {
								dst[ih*g.W+iw] += v
							}
						}
					}
				}
			}
		}
	})
}
