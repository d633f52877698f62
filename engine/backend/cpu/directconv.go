package cpu

import (
	"fmt"
	"strings"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/blas"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// Convolution image by image (backend.DirectConv). The whole-batch im2col
// of the generic path builds a column matrix of C·KH·KW x N·OH·OW values
// (14 MB for ref-cnn's second layer at batch 64), writes it, reads it back
// in a GEMM whose output has N·OH·OW columns, and then needs a Permute from
// [OC, N, P] to NCHW. Here each image's column matrix (a few hundred KB)
// stays in the core's L2 cache, the GEMM writes the image's output directly
// in NCHW, and goroutines take whole images with single-threaded BLAS
// calls, so nothing waits on a shared thread pool. The column matrix is
// rebuilt in the backward pass instead of being kept.

// convPartsMax bounds the partial weight gradients of ConvBackward, in
// values; convPartsCap bounds their number.
const (
	convPartsMax = 1 << 23
	convPartsCap = 16
)

// pointwise reports a convolution whose column matrix is the image itself
// (1x1 kernel, stride 1, no padding).
func pointwise(g backend.ConvGeom) bool {
	return g.KH == 1 && g.KW == 1 && g.SH == 1 && g.SW == 1 && g.PH == 0 && g.PW == 0
}

// ConvPath implements backend.ConvPather: the forward pass's path, and
// the weight gradient's where it is not the forward pass's kind ("dw
// shifted grid", "dw winograd").
func (c *CPU) ConvPath(g backend.ConvGeom, o backend.ConvGroups) string {
	p := c.forwardPath(g, o)
	switch {
	case useShiftDW(g, o):
		return p + ", dw shifted grid"
	case useWinoLanesDW(g, o):
		return p + ", dw winograd lanes"
	case useWinogradDW(g, o) && !strings.Contains(p, "winograd"):
		return p + ", dw winograd"
	}
	return p
}

func (*CPU) forwardPath(g backend.ConvGeom, o backend.ConvGroups) string {
	if useWinogradBatch(g, o) {
		return "3x3 batched winograd"
	}
	if !useWinograd(g, o) && useFusedConv(g, o) {
		return fusedConvName(g)
	}
	if useBatch(g, o) {
		if pointwise(g) {
			return "1x1 batched gemm"
		}
		return fmt.Sprintf("%dx%d batched im2col", g.KH, g.KW)
	}
	if pointwise(g) {
		return "1x1 gemm"
	}
	if useWinograd(g, o) {
		return "3x3 winograd"
	}
	return fmt.Sprintf("%dx%d im2col", g.KH, g.KW)
}

// ConvForward implements backend.DirectConv. Without groups the bias
// rides in the GEMM: the weights get a last column holding the bias and
// the column matrix a last row of ones (one more term per dot product
// instead of a pass over the output).
func (*CPU) ConvForward(y, x, w, bias backend.Buffer, g backend.ConvGeom, o backend.ConvGroups) {
	ys, xs, ws, bs := d(y), d(x), d(w), d(bias)
	p := g.OH * g.OW
	ocg, ckk := o.OC/o.Groups, g.C/o.Groups*g.KH*g.KW
	inImg, outImg := g.C*g.H*g.W, o.OC*p
	if useWinogradBatch(g, o) {
		runWinograd(ys, xs, ws, bs, g, o.OC, g.C, false, true, false)
		return
	}
	if useWinograd(g, o) {
		runWinograd(ys, xs, ws, bs, g, o.OC, g.C, false, false, splitImages(g))
		return
	}
	if useFusedConv(g, o) {
		fusedConv(ys, xs, ws, bs, g, o.OC)
		return
	}
	if useBatch(g, o) {
		convForwardBatch(ys, xs, ws, bs, g, o)
		return
	}
	direct := pointwise(g)
	fold := o.Groups == 1 && !direct && bs != nil
	a, lda, k := ws, ckk, ckk
	if fold {
		wb := alloc(o.OC*(ckk+1), false)
		defer freeBuf(wb)
		for oc := range o.OC {
			copy(wb.D[oc*(ckk+1):], ws[oc*ckk:(oc+1)*ckk])
			wb.D[oc*(ckk+1)+ckk] = bs[oc]
		}
		a, lda, k = wb.D, ckk+1, ckk+1
	}
	intra := splitImages(g)
	serialUnless(intra, func() {
		parallel.For(g.N, 2*o.OC*ckk*p, func(lo, hi int) {
			var col []float32
			if !direct {
				col = colScratch(g, p, fold)
				defer pool.put(col)
			}
			for n := lo; n < hi; n++ {
				src := xs[n*inImg : (n+1)*inImg]
				if !direct {
					im2colImage(col, src, g, intra)
					src = col
				}
				yn := ys[n*outImg : (n+1)*outImg]
				for gi := range o.Groups {
					blas.Sgemm(false, false, ocg, p, k, 1, a[gi*ocg*lda:], lda, src[gi*ckk*p:], p, 0, yn[gi*ocg*p:], p)
				}
				if bs != nil && !fold {
					for oc, bv := range bs[:o.OC] {
						row := yn[oc*p : (oc+1)*p]
						for i := range row {
							row[i] += bv
						}
					}
				}
			}
		})
	})
}

// colScratch returns a column-matrix buffer for one image, from the pool,
// with a last row of ones after the C·KH·KW rows when ones is set (the
// bias's row).
func colScratch(g backend.ConvGeom, p int, ones bool) []float32 {
	rows := g.ColRows()
	if !ones {
		return alloc(rows*p, false).D
	}
	col := alloc((rows+1)*p, false).D
	last := col[rows*p : (rows+1)*p]
	for i := range last {
		last[i] = 1
	}
	return col
}

// ConvBackward implements backend.DirectConv. The weight and bias
// gradients are sums over images: the batch is cut into a fixed number of
// chunks (it depends on the sizes, never on the thread count), each chunk
// sums its images in order into its own partial, and the partials are
// added in chunk order, so the result is the same on any number of
// threads.
func (*CPU) ConvBackward(dx, dw, db, dy, x, w backend.Buffer, g backend.ConvGeom, o backend.ConvGroups) {
	dxs, dws, dbs, dys, xs, ws := d(dx), d(dw), d(db), d(dy), d(x), d(w)
	if dxs != nil && useWinogradBatch(g, o) {
		runWinograd(dxs, dys, ws, nil, winogradGradGeom(g, o), o.OC, g.C, true, true, false)
		dxs = nil
	}
	switch {
	case dws == nil:
	case useShiftDW(g, o):
		shiftDW(dws, dys, xs, g, o.OC)
		dws = nil
	case useWinoLanesDW(g, o):
		winoLanesDW(dws, dys, xs, g, o.OC)
		dws = nil
	case useWinogradDW(g, o):
		winogradWeightGrad(dws, dys, xs, g, o.OC)
		dws = nil
	}
	if dxs == nil && dws == nil && dbs == nil {
		return
	}
	if useBatch(g, o) {
		convBackwardBatch(dxs, dws, dbs, dys, xs, ws, g, o)
		return
	}
	p := g.OH * g.OW
	ocg, ckk := o.OC/o.Groups, g.C/o.Groups*g.KH*g.KW
	inImg, outImg := g.C*g.H*g.W, o.OC*p
	direct := pointwise(g)
	lw := o.OC * ckk
	// Without groups and with both gradients wanted, the bias gradient
	// rides in the weight-gradient GEMM: a column matrix with a last row
	// of ones makes a last column holding the sum of dy over the plane.
	fold := o.Groups == 1 && !direct && dws != nil && dbs != nil
	kw := ckk // columns of a partial
	if fold {
		kw = ckk + 1
		lw = o.OC * kw
	}
	chunks := min(g.N, convPartsCap)
	if dws != nil {
		chunks = max(1, min(chunks, convPartsMax/lw))
	}
	var dwParts []float32
	var dwPartsBuf *Buf
	if dws != nil {
		dwPartsBuf = alloc(chunks*lw, false)
		dwParts = dwPartsBuf.D
	}
	var dbParts []float64
	if dbs != nil && !fold {
		dbParts = make([]float64, chunks*o.OC)
	}
	intra := splitImages(g)
	if dxs != nil && useWinogradGrad(g, o) {
		runWinograd(dxs, dys, ws, nil, winogradGradGeom(g, o), o.OC, g.C, true, false, intra)
		dxs = nil
	}
	serialUnless(intra, func() {
		parallel.For(chunks, g.N/chunks*4*o.OC*ckk*p, func(lo, hi int) {
			var col, dcol []float32
			if !direct {
				if dws != nil {
					col = colScratch(g, p, fold)
					defer pool.put(col)
				}
				if dxs != nil {
					cb := alloc(g.ColRows()*p, false)
					defer freeBuf(cb)
					dcol = cb.D
				}
			}
			for ch := lo; ch < hi; ch++ {
				n0, n1 := ch*g.N/chunks, (ch+1)*g.N/chunks
				for n := n0; n < n1; n++ {
					dyn := dys[n*outImg : (n+1)*outImg]
					if dws != nil {
						src := xs[n*inImg : (n+1)*inImg]
						if !direct {
							im2colImage(col, src, g, intra)
							src = col
						}
						part := dwParts[ch*lw : (ch+1)*lw]
						beta := float32(1)
						if n == n0 {
							beta = 0
						}
						for gi := range o.Groups {
							blas.Sgemm(false, true, ocg, kw, p, 1, dyn[gi*ocg*p:], p, src[gi*ckk*p:], p, beta, part[gi*ocg*kw:], kw)
						}
					}
					if dbs != nil && !fold {
						part := dbParts[ch*o.OC : (ch+1)*o.OC]
						for oc := range part {
							part[oc] += sum64(dyn[oc*p : (oc+1)*p])
						}
					}
					if dxs != nil {
						dxn := dxs[n*inImg : (n+1)*inImg]
						if direct {
							for gi := range o.Groups {
								blas.Sgemm(true, false, ckk, p, ocg, 1, ws[gi*ocg*ckk:], ckk, dyn[gi*ocg*p:], p, 0, dxn[gi*ckk*p:], p)
							}
						} else {
							for gi := range o.Groups {
								blas.Sgemm(true, false, ckk, p, ocg, 1, ws[gi*ocg*ckk:], ckk, dyn[gi*ocg*p:], p, 0, dcol[gi*ckk*p:], p)
							}
							col2imImage(dxn, dcol, g, intra)
						}
					}
				}
			}
		})
	})
	if dws != nil {
		sum := dwParts[:lw]
		for ch := 1; ch < chunks; ch++ {
			addTo(sum, dwParts[ch*lw:(ch+1)*lw])
		}
		for oc := range o.OC {
			copy(dws[oc*ckk:(oc+1)*ckk], sum[oc*kw:oc*kw+ckk])
			if fold {
				dbs[oc] = sum[oc*kw+ckk]
			}
		}
		freeBuf(dwPartsBuf)
	}
	if dbs != nil && !fold {
		for oc := range dbs[:o.OC] {
			var s float64
			for ch := range chunks {
				s += dbParts[ch*o.OC+oc]
			}
			dbs[oc] = float32(s)
		}
	}
}

// sum64 adds v in float64 (four accumulators).
func sum64(v []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(v); i += 4 {
		s0 += float64(v[i])
		s1 += float64(v[i+1])
		s2 += float64(v[i+2])
		s3 += float64(v[i+3])
	}
	for ; i < len(v); i++ {
		s0 += float64(v[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// addTo adds x to dst elementwise.
func addTo(dst, x []float32) {
	x = x[:len(dst)]
	i := 0
	for ; i+4 <= len(dst); i += 4 {
		d, v := dst[i:i+4:i+4], x[i:i+4:i+4]
		d[0] += v[0]
		d[1] += v[1]
		d[2] += v[2]
		d[3] += v[3]
	}
	for ; i < len(dst); i++ {
		dst[i] += x[i]
	}
}

// samePlane reports a convolution whose output plane is its input plane
// (stride 1, no dilation, padding that keeps the size): each tap of the
// kernel then reads the whole plane shifted by one offset, so a column
// matrix row is one long copy (and a col2im row one long sum) with the few
// cells that wrap across a row edge fixed up, instead of a short copy per
// output row.
func samePlane(g backend.ConvGeom) bool {
	return g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1 && g.OH == g.H && g.OW == g.W
}

// tapShift is the plane offset and column shift of tap (kh, kw) on a
// samePlane convolution.
func tapShift(g backend.ConvGeom, kh, kw int) (s, dx int) {
	dy, dx := kh-g.PH, kw-g.PW
	return dy*g.W + dx, dx
}

// zeroWrapped clears the cells of a column-matrix row of a samePlane
// convolution whose input column falls outside the plane (iw = ow+dx).
func zeroWrapped(row []float32, g backend.ConvGeom, dx int) {
	switch {
	case dx < 0:
		for oh := 0; oh < g.OH; oh++ {
			clear(row[oh*g.W : oh*g.W+min(-dx, g.W)])
		}
	case dx > 0:
		for oh := 0; oh < g.OH; oh++ {
			clear(row[oh*g.W+max(0, g.W-dx) : (oh+1)*g.W])
		}
	}
}

// splitImages reports a batch too small to give each thread whole images
// (batch 1: inference, DeepDream, style transfer): each image's products
// are then threaded (blas.Sgemm splits them into blocks that depend on the
// sizes only, so the bits are those of a serial call) and its column
// matrix is built and folded by channel on every thread.
func splitImages(g backend.ConvGeom) bool { return g.N < parallel.Threads() }

// serialUnless runs f inside blas.Serial unless intra is set.
func serialUnless(intra bool, f func()) {
	if intra {
		f()
		return
	}
	blas.Serial(f)
}

// im2colImage writes the [C·KH·KW, OH·OW] column matrix of one image
// (x holds its C planes); with par, channels are spread over the threads.
func im2colImage(col, x []float32, g backend.ConvGeom, par bool) {
	p := g.OH * g.OW
	if !par {
		im2colChannels(col, x, g, 0, g.C, p)
		return
	}
	parallel.For(g.C, g.KH*g.KW*p, func(lo, hi int) { im2colChannels(col, x, g, lo, hi, p) })
}

// im2colChannels writes the rows of channels c0..c1-1 of im2colImage:
// row r is col[r*ld : r*ld+OH·OW] (ld > OH·OW: one image's columns of a
// column matrix over several images).
func im2colChannels(col, x []float32, g backend.ConvGeom, c0, c1, ld int) {
	p := g.OH * g.OW
	plane := g.H * g.W
	if samePlane(g) {
		r := c0 * g.KH * g.KW
		for c := c0; c < c1; c++ {
			src := x[c*plane : (c+1)*plane]
			for kh := 0; kh < g.KH; kh++ {
				for kw := 0; kw < g.KW; kw++ {
					row := col[r*ld : r*ld+p]
					if g.W < im2colLoopW {
						im2colTapLoops(row, src, g, kh, kw)
						r++
						continue
					}
					s, dx := tapShift(g, kh, kw)
					lo, hi := max(0, -s), min(p, p-s)
					if lo >= hi {
						clear(row)
					} else {
						clear(row[:lo])
						copy(row[lo:hi], src[lo+s:hi+s])
						clear(row[hi:])
						zeroWrapped(row, g, dx)
					}
					r++
				}
			}
		}
		return
	}
	r := c0 * g.KH * g.KW
	for c := c0; c < c1; c++ {
		src := x[c*plane : (c+1)*plane]
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				im2colRow(col[r*ld:r*ld+p], src, g, kh, kw)
				r++
			}
		}
	}
}

// im2colLoopW: planes narrower than this fill their column-matrix rows
// by loops (im2colTapLoops) instead of copy and clear calls, which cost
// more than the few values they move. On the speedrun net's 3x3 planes
// (256 channels, batch 1024) the column matrix took 43% of the weight
// gradient's time (perf); the loops take 0.68 of the calls' time there
// (processor time, in-process, best of three), but on 7x7 planes 1.04,
// 15x15 1.1-1.2 and 31x31 1.6. (A variable: benchmarks move it.)
var im2colLoopW = 6

// im2colTapLoops fills the row of tap (kh, kw) of a samePlane
// convolution's column matrix from the plane src with plain loops.
func im2colTapLoops(row, src []float32, g backend.ConvGeom, kh, kw int) {
	dy, dx := kh-g.PH, kw-g.PW
	lo, hi := max(0, -dx), min(g.OW, g.W-dx)
	for oh := 0; oh < g.OH; oh++ {
		out := row[oh*g.OW : (oh+1)*g.OW]
		ih := oh + dy
		if ih < 0 || ih >= g.H || lo >= hi {
			for i := range out {
				out[i] = 0
			}
			continue
		}
		in := src[ih*g.W : (ih+1)*g.W]
		for i := 0; i < lo; i++ {
			out[i] = 0
		}
		for i := lo; i < hi; i++ {
			out[i] = in[i+dx]
		}
		for i := hi; i < len(out); i++ {
			out[i] = 0
		}
	}
}

// im2colRow fills one row of a column matrix (one kernel tap (kh, kw) of one
// channel plane src) over one image's output positions.
func im2colRow(out, src []float32, g backend.ConvGeom, kh, kw int) {
	iw0 := -g.PW + kw*g.DW
	for oh := 0; oh < g.OH; oh++ {
		ih := oh*g.SH - g.PH + kh*g.DH
		row := out[oh*g.OW : (oh+1)*g.OW]
		if ih < 0 || ih >= g.H {
			clear(row)
			continue
		}
		srow := src[ih*g.W : (ih+1)*g.W]
		if g.SW == 1 {
			// The valid range of ow is a contiguous copy; the rest is
			// padding.
			lo := max(0, -iw0)
			hi := min(g.OW, g.W-iw0)
			if lo >= hi {
				clear(row)
				continue
			}
			clear(row[:lo])
			copy(row[lo:hi], srow[iw0+lo:iw0+hi])
			clear(row[hi:])
			continue
		}
		for ow := range row {
			iw := ow*g.SW + iw0
			if iw >= 0 && iw < g.W {
				row[ow] = srow[iw]
			} else {
				row[ow] = 0
			}
		}
	}
}

// col2imImage overwrites one image's planes dx with the sum of its column
// matrix entries (the adjoint of im2colImage). On a samePlane convolution
// it clears the entries of col that fall outside the plane (col is
// scratch). With par, channels are spread over the threads.
func col2imImage(dx, col []float32, g backend.ConvGeom, par bool) {
	p := g.OH * g.OW
	if !par {
		col2imChannels(dx, col, g, 0, g.C, p)
		return
	}
	parallel.For(g.C, g.KH*g.KW*p, func(lo, hi int) { col2imChannels(dx, col, g, lo, hi, p) })
}

// col2imChannels is col2imImage for channels c0..c1-1, row r of col at
// col[r*ld:] as in im2colChannels.
func col2imChannels(dx, col []float32, g backend.ConvGeom, c0, c1, ld int) {
	p := g.OH * g.OW
	plane := g.H * g.W
	if samePlane(g) {
		r := c0 * g.KH * g.KW
		for c := c0; c < c1; c++ {
			dst := dx[c*plane : (c+1)*plane]
			clear(dst)
			for kh := 0; kh < g.KH; kh++ {
				for kw := 0; kw < g.KW; kw++ {
					row := col[r*ld : r*ld+p]
					s, sx := tapShift(g, kh, kw)
					if lo, hi := max(0, -s), min(p, p-s); lo < hi {
						zeroWrapped(row, g, sx)
						addTo(dst[lo+s:hi+s], row[lo:hi])
					}
					r++
				}
			}
		}
		return
	}
	r := c0 * g.KH * g.KW
	for c := c0; c < c1; c++ {
		dst := dx[c*plane : (c+1)*plane]
		clear(dst)
		for kh := 0; kh < g.KH; kh++ {
			for kw := 0; kw < g.KW; kw++ {
				col2imRow(dst, col[r*ld:r*ld+p], g, kh, kw)
				r++
			}
		}
	}
}

// col2imRow adds one row of a column matrix back into its channel plane.
func col2imRow(dst, in []float32, g backend.ConvGeom, kh, kw int) {
	iw0 := -g.PW + kw*g.DW
	for oh := 0; oh < g.OH; oh++ {
		ih := oh*g.SH - g.PH + kh*g.DH
		if ih < 0 || ih >= g.H {
			continue
		}
		drow := dst[ih*g.W : (ih+1)*g.W]
		row := in[oh*g.OW : (oh+1)*g.OW]
		if g.SW == 1 {
			lo := max(0, -iw0)
			hi := min(g.OW, g.W-iw0)
			if lo < hi {
				dd := drow[iw0+lo : iw0+hi]
				for i, v := range row[lo:hi] {
					dd[i] += v
				}
			}
			continue
		}
		for ow, v := range row {
			iw := ow*g.SW + iw0
			if iw >= 0 && iw < g.W {
				drow[iw] += v
			}
		}
	}
}
