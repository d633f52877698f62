package cpu

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/blas"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// Winograd F(2x2, 3x3) (Lavin and Gray, "Fast Algorithms for
// Convolutional Neural Networks", 2016): a 3x3 stride-1 convolution
// computes each 2x2 output tile from a 4x4 input tile as
//
//	Y = Aᵀ [ (G w Gᵀ) ⊙ (Bᵀ d B) ] A,
//
// 16 multiplications per tile and channel pair instead of 36. Over a
// whole layer the element-wise products become 16 independent GEMMs,
// M[ξ] (OC x T) = U[ξ] (OC x C) · V[ξ] (C x T), one per position ξ of the
// 4x4 transformed tile, T tiles: 2.25 times fewer multiply-adds than
// im2col + GEMM, and a transformed input (16·C·T values) about half the
// size of the column matrix (9·C·OH·OW). oneDNN and NNPACK use the same
// scheme on CPUs; F(4x4, 3x3) saves more multiplications but loses
// about two more decimal digits in float32, beyond the engine's forward
// tolerance.
//
// The input gradient of a stride-1 3x3 convolution is itself one: dy
// correlated with the kernels flipped and with their channel axes
// swapped, padded by 2-P, so the backward pass reuses the forward code.
//
// Every element is computed by the same operations in the same order
// whatever the thread count (the GEMMs split by size only, see
// engine/blas), so results do not depend on --threads.

// winogradMinPlane is the smallest output plane worth the transforms.
// Measured on ResNet-50's stride-1 3x3 layers (BenchmarkConv3x3,
// processor time, one thread, a busy machine): at 56x56 Winograd takes
// 0.7 to 0.85 times the time of im2col + GEMM forward and backward; at
// 28x28 about the same forward and 1.25 times backward; at 14x14 up to
// twice as long (per image the 16 GEMMs have 49 columns, and the weight
// transform costs as much as they do).
const winogradMinPlane = 40 * 40

// winogradOff turns the Winograd path off (benchmarks compare it with
// im2col).
var winogradOff bool

// useWinograd reports whether the forward pass of a convolution takes
// the Winograd path.
func useWinograd(g backend.ConvGeom, o backend.ConvGroups) bool {
	return !winogradOff && o.Groups == 1 && g.KH == 3 && g.KW == 3 && g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1 &&
		g.PH <= 2 && g.PW <= 2 && g.OH*g.OW >= winogradMinPlane && g.C >= 4 && o.OC >= 4
}

// useWinogradGrad reports whether the input gradient takes the Winograd
// path (the transposed convolution's geometry is winogradGradGeom).
func useWinogradGrad(g backend.ConvGeom, o backend.ConvGroups) bool {
	return useWinograd(g, o) && g.H*g.W >= winogradMinPlane
}

// winogradGradGeom is the geometry of the convolution that gives dx: dy
// [N, OC, OH, OW] in, dx [N, C, H, W] out, padding 2-P.
func winogradGradGeom(g backend.ConvGeom, o backend.ConvGroups) backend.ConvGeom {
	return backend.ConvGeom{N: g.N, C: o.OC, H: g.OH, W: g.OW, KH: 3, KW: 3, SH: 1, SW: 1,
		PH: 2 - g.PH, PW: 2 - g.PW, DH: 1, DW: 1, OH: g.H, OW: g.W}
}

// winogradWeights writes U [16][OC][C] = G w Gᵀ for w [OC][C][3][3]; with
// flip, for the weights of the input gradient: w'[c][oc] = w[oc][c]
// rotated by 180 degrees, so U is [16][C][OC].
func winogradWeights(u, w []float32, oc, c int, flip bool) {
	cols := c
	if flip {
		cols = oc
	}
	winogradWeightsTo(u, w, oc, c, flip, func(r, cc int) int { return r*cols + cc }, oc*c, 1)
}

// winogradWeightsTo is winogradWeights writing U[ξ] row r, column cc at
// u[ξ·plane + at(r, cc)]. Rows are taken in blocks of blk (the micro-kernel
// panels' MR for the packed layout, where a block's values lie side by side
// for each column, so the 16 slices are each written in order); every value
// is computed the same way whatever the order.
func winogradWeightsTo(u, w []float32, oc, c int, flip bool, at func(r, cc int) int, plane, blk int) {
	rows, cols := oc, c
	if flip {
		rows, cols = c, oc
	}
	nb := (rows + blk - 1) / blk
	parallel.For(nb, blk*cols*80, func(lo, hi int) {
		var k [9]float32
		for b := lo; b < hi; b++ {
			r1 := min(rows, (b+1)*blk)
			for c0 := range cols {
				for r0 := b * blk; r0 < r1; r0++ {
					if flip {
						src := w[(c0*c+r0)*9 : (c0*c+r0)*9+9]
						for j := range 9 {
							k[j] = src[8-j]
						}
					} else {
						copy(k[:], w[(r0*c+c0)*9:(r0*c+c0)*9+9])
					}
					// t = G k (4x3), then t Gᵀ (4x4), with
					// G = [1 0 0; ½ ½ ½; ½ -½ ½; 0 0 1].
					var t [12]float32
					for col := range 3 {
						k0, k1, k2 := k[col], k[3+col], k[6+col]
						t[col] = k0
						t[3+col] = 0.5 * (k0 + k1 + k2)
						t[6+col] = 0.5 * (k0 - k1 + k2)
						t[9+col] = k2
					}
					ix := at(r0, c0)
					for r := range 4 {
						t0, t1, t2 := t[3*r], t[3*r+1], t[3*r+2]
						u[(4*r+0)*plane+ix] = t0
						u[(4*r+1)*plane+ix] = 0.5 * (t0 + t1 + t2)
						u[(4*r+2)*plane+ix] = 0.5 * (t0 - t1 + t2)
						u[(4*r+3)*plane+ix] = t2
					}
				}
			}
		}
	})
}

// winogradConv writes y [N, OC, OH, OW] = x ⋆ w (+ bias) for a 3x3
// stride-1 geometry g, from the transformed weights u [16][OC][C]. With
// intra (a batch smaller than the thread count) each image's transforms
// and GEMMs are threaded; otherwise images are spread over the threads.
func winogradConv(ys, xs, u, bias []float32, g backend.ConvGeom, oc int, intra bool) {
	th, tw := (g.OH+1)/2, (g.OW+1)/2
	t := th * tw
	inImg, outImg := g.C*g.H*g.W, oc*g.OH*g.OW
	image := func(v, m []float32, n int) {
		x := xs[n*inImg : (n+1)*inImg]
		y := ys[n*outImg : (n+1)*outImg]
		forC := func(f func(lo, hi int)) {
			if intra {
				parallel.For(g.C, 40*t, f)
			} else {
				f(0, g.C)
			}
		}
		forC(func(lo, hi int) { winogradInput(v, x, g, th, tw, t, lo, hi) })
		for xi := range 16 {
			blas.Sgemm(false, false, oc, t, g.C, 1, u[xi*oc*g.C:], g.C, v[xi*g.C*t:], t, 0, m[xi*oc*t:], t)
		}
		if intra {
			parallel.For(oc, 40*t, func(lo, hi int) { winogradOutput(y, m, bias, g, oc, th, tw, t, lo, hi) })
		} else {
			winogradOutput(y, m, bias, g, oc, th, tw, t, 0, oc)
		}
	}
	serialUnless(intra, func() {
		parallel.For(g.N, 2*16*oc*g.C*t, func(lo, hi int) {
			vb, mb := alloc(16*g.C*t, false), alloc(16*oc*t, false)
			defer freeBuf(vb)
			defer freeBuf(mb)
			for n := lo; n < hi; n++ {
				image(vb.D, mb.D, n)
			}
		})
	})
}

// winogradInput writes V[ξ][c][tile] = (Bᵀ d B)[ξ] for channels c0..c1-1
// of one image, d the 4x4 input patch of the tile (zeros outside the
// plane), Bᵀ = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]. It works a row of
// tiles at a time: the row transform (Bᵀ d) is four vector operations
// over the padded width, and the column transform writes each of the 16
// outputs as one contiguous run over the tiles of the row.
//
// Row c of V[ξ] is v[(ξ·C+c)·ld:] (ld = th·tw for one image; more when
// V holds several images side by side, v then starting at this image's
// first tile).
func winogradInput(v, x []float32, g backend.ConvGeom, th, tw, ld, c0, c1 int) {
	ct := g.C * ld
	wp := 2*tw + 2 // padded row: input columns -PW .. 2*tw+1-PW
	buf := make([]float32, 8*wp)
	rows := [4][]float32{buf[0:wp], buf[wp : 2*wp], buf[2*wp : 3*wp], buf[3*wp : 4*wp]}
	e := [4][]float32{buf[4*wp : 5*wp], buf[5*wp : 6*wp], buf[6*wp : 7*wp], buf[7*wp : 8*wp]}
	fill := func(row, src []float32, iy int) { winoFillRow(row, src, g, iy) }
	for c := c0; c < c1; c++ {
		src := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for ty := range th {
			y0 := 2*ty - g.PH
			if ty == 0 {
				for r := range 4 {
					fill(rows[r], src, y0+r)
				}
			} else {
				// The tile rows overlap by two input rows: keep them.
				rows[0], rows[1], rows[2], rows[3] = rows[2], rows[3], rows[0], rows[1]
				fill(rows[2], src, y0+2)
				fill(rows[3], src, y0+3)
			}
			winoRowTransform(&e, &rows, wp)
			at := c*ld + ty*tw
			for r := range 4 {
				er := e[r]
				o0 := v[(4*r+0)*ct+at : (4*r+0)*ct+at+tw : (4*r+0)*ct+at+tw]
				o1 := v[(4*r+1)*ct+at : (4*r+1)*ct+at+tw : (4*r+1)*ct+at+tw]
				o2 := v[(4*r+2)*ct+at : (4*r+2)*ct+at+tw : (4*r+2)*ct+at+tw]
				o3 := v[(4*r+3)*ct+at : (4*r+3)*ct+at+tw : (4*r+3)*ct+at+tw]
				o1, o2, o3 = o1[:len(o0)], o2[:len(o0)], o3[:len(o0)]
				for tx := range o0 {
					q := er[2*tx : 2*tx+4 : 2*tx+4]
					o0[tx] = q[0] - q[2]
					o1[tx] = q[1] + q[2]
					o2[tx] = q[2] - q[1]
					o3[tx] = q[1] - q[3]
				}
			}
		}
	}
}

// winoFillRow writes input row iy of one plane into row, the padded row
// of the Winograd transforms (columns -PW .. len(row)-1-PW): zeros outside
// the plane.
func winoFillRow(row, src []float32, g backend.ConvGeom, iy int) {
	if iy < 0 || iy >= g.H {
		clear(row)
		return
	}
	lo, hi := g.PW, min(len(row), g.W+g.PW)
	clear(row[:lo])
	copy(row[lo:hi], src[iy*g.W:iy*g.W+hi-lo])
	clear(row[hi:])
}

// winoRowTransform writes e = Bᵀ d over four padded input rows of width
// wp: e0 = d0 - d2, e1 = d1 + d2, e2 = d2 - d1, e3 = d1 - d3.
func winoRowTransform(e, rows *[4][]float32, wp int) {
	r0 := rows[0][:wp:wp]
	r1, r2, r3 := rows[1][:wp:wp], rows[2][:wp:wp], rows[3][:wp:wp]
	e0, e1, e2, e3 := e[0][:wp:wp], e[1][:wp:wp], e[2][:wp:wp], e[3][:wp:wp]
	for i := range r0 {
		a0, a1, a2, a3 := r0[i], r1[i], r2[i], r3[i]
		e0[i] = a0 - a2
		e1[i] = a1 + a2
		e2[i] = a2 - a1
		e3[i] = a1 - a3
	}
}

// winoInputChunk transforms the input tiles of images n0..n1-1 into V
// [16][C][cols] (each image's t tiles side by side), threads taking
// (image, channel) pairs.
func winoInputChunk(v, xs []float32, g backend.ConvGeom, th, tw, n0, n1, cols int) {
	t, inImg := th*tw, g.C*g.H*g.W
	parallel.For((n1-n0)*g.C, 40*t, func(lo, hi int) {
		var pp []float32
		if winoVec {
			pb := alloc(winoPadLen(th, tw), true)
			defer freeBuf(pb)
			pp = pb.D
		}
		for i := lo; i < hi; {
			j, c := i/g.C, i%g.C
			e := min(hi, (j+1)*g.C)
			if winoVec {
				winogradInputVec(v[j*t:], xs[(n0+j)*inImg:(n0+j+1)*inImg], g, th, tw, cols, c, c+e-i, pp)
			} else {
				winogradInput(v[j*t:], xs[(n0+j)*inImg:(n0+j+1)*inImg], g, th, tw, cols, c, c+e-i)
			}
			i = e
		}
	})
}

// winoOutRows is Aᵀ over a tile row's M values: with s_ξ the tw values
// of M[ξ] at m[ξ·stride+at:], r[k] = s_k + s_(4+k) + s_(8+k) and r[4+k] =
// s_(4+k) - s_(8+k) - s_(12+k).
func winoOutRows(r *[8][]float32, m []float32, stride, at, tw int) {
	for k := range 4 {
		s0 := m[(0+k)*stride+at : (0+k)*stride+at+tw]
		s1 := m[(4+k)*stride+at : (4+k)*stride+at+tw]
		s2 := m[(8+k)*stride+at : (8+k)*stride+at+tw]
		s3 := m[(12+k)*stride+at : (12+k)*stride+at+tw]
		ra, rb := r[k][:len(s0)], r[4+k][:len(s0)]
		s1, s2, s3 = s1[:len(s0)], s2[:len(s0)], s3[:len(s0)]
		for i := range s0 {
			ra[i] = s0[i] + s1[i] + s2[i]
			rb[i] = s1[i] - s2[i] - s3[i]
		}
	}
}

// winogradOutput writes output channels o0..o1-1 of one image from M:
// Y = Aᵀ m A (+ bias), with Aᵀ = [1 1 1 0; 0 1 -1 -1], keeping the cells
// inside the output plane. Like winogradInput it works a row of tiles at
// a time with contiguous runs over the tiles.
//
// Row o of M[ξ] is m[(ξ·OC+o)·ld:], as for winogradInput.
func winogradOutput(y, m, bias []float32, g backend.ConvGeom, oc, th, tw, ld, o0, o1 int) {
	ot := oc * ld
	p := g.OH * g.OW
	buf := make([]float32, 8*tw+4*tw)
	var r [8][]float32
	for i := range r {
		r[i] = buf[i*tw : (i+1)*tw]
	}
	out := [2][]float32{buf[8*tw : 10*tw], buf[10*tw : 12*tw]}
	for o := o0; o < o1; o++ {
		var b float32
		if bias != nil {
			b = bias[o]
		}
		dst := y[o*p : (o+1)*p]
		for ty := range th {
			at := o*ld + ty*tw
			winoOutRows(&r, m, ot, at, tw)
			// A over the columns, into two output rows of 2*tw cells.
			for h := range 2 {
				q0, q1, q2, q3 := r[4*h], r[4*h+1][:tw], r[4*h+2][:tw], r[4*h+3][:tw]
				row := out[h][:2*tw]
				for i := range q0 {
					row[2*i] = q0[i] + q1[i] + q2[i] + b
					row[2*i+1] = q1[i] - q2[i] - q3[i] + b
				}
				if yy := 2*ty + h; yy < g.OH {
					copy(dst[yy*g.OW:(yy+1)*g.OW], row)
				}
			}
		}
	}
}

// The whole-batch Winograd path takes output planes of winogradBatchMinPlane
// values or more and at least winogradBatchMinC input and output channels.
// Measured on one thread (processor time, batch 16 and 64, BenchmarkConvBatch
// and the shapes of ResNet-50 and the speedrun net): forward against the
// whole-batch im2col (14x14) or per-image im2col (28x28) it takes 0.67 to
// 0.75 of the time for 128 to 256 channels at 28x28 and 14x14, but 1.17
// at 7x7 (a 7x7 plane pads to 8x8 tiles and has 16 tiles per image) and
// 1.1 to 1.5 with 24 or 64 channels (the 16 GEMMs then have k = C too small
// to pay for the transforms).
//
// A single image takes it when its plane has winogradSoloMinTiles tiles
// or more. With the fused kernels (BenchmarkConv3x3, one thread, processor
// time): ResNet-50's 128 channels on 28x28 (196 tiles) take 1.9-2.1 ms
// against im2col's 2.6-2.8 forward and 1.7-1.8 against 2.4 for the input
// gradient; 256 channels on 14x14 (49 tiles) take 5.0-5.2 against 2.5
// (the weights, 16·256·256 values, are read for 2 column panels only).
// (Variables: tests lower them to cover small shapes.)
var (
	winogradBatchMinPlane = 10 * 10
	winogradBatchMinC     = 128
	winogradSoloMinTiles  = 12 * 12
)

// The whole-batch path also takes layers with fewer channels (64 or more)
// or smaller planes (down to 3x3) when the batch holds winogradWideMinCols
// tiles or more and the fused kernels run it (winofused.go): the speedrun
// net's layers at its batch of 1024. Measured 2026-12-07 (processor time,
// 2 threads, the fused Winograd against the whole-batch im2col, forward
// and input gradient, a Zen 5 guest with the AVX-512 kernels and OpenBLAS's
// AVX-512 GEMM, then with the AVX2 kernels and OpenBLAS's Haswell GEMM as
// on an AVX2 processor): 64 to 64 channels on 15x15 at batch 256 0.75 /
// 0.78 and 0.68 / 0.65; 64 to 256 on 15x15 at batch 1024 0.85 / 1.07 and
// 0.63 / 0.75; 256 on 7x7 at batch 256 0.68 / 0.73 and 0.70 / 0.72; 256 on
// 3x3 at batch 256 0.80 / 0.85 and 0.82 / 0.88. Below the bounds it
// loses: 512 channels on 7x7 at batch 16 (256 tiles) 1.11 / 1.25 on the
// AVX-512 machine, 32 channels on 15x15 1.35 / 1.11 and 1.25 / 1.09, 64 on
// 15x15 at batch 16 (1,024 tiles) 1.10 / 1.02. The weight gradient of these
// layers stays on im2col (useWinogradDW), where the Winograd domain's took
// 1.3 to 1.9 times as long.
const (
	winogradWideMinC    = 64
	winogradWideMinCols = 2048
)

// useWinogradBatch reports whether a convolution's forward pass (and,
// through the transposed geometry, its input gradient) takes Winograd
// over chunks of the batch: planes below the per-image Winograd's
// threshold, and either the core shapes (winogradBatchCore) or the wide
// batches (winogradBatchWide). Like useBatch it depends on the shapes
// only and on the machine: whether it has a vector micro-kernel (the wide
// batches) and the vector transforms (winogradBatchVec instead of both).
func useWinogradBatch(g backend.ConvGeom, o backend.ConvGroups) bool {
	if winogradOff || batchOff || o.Groups != 1 || g.N < 1 || g.KH != 3 || g.KW != 3 || g.SH != 1 || g.SW != 1 ||
		g.DH != 1 || g.DW != 1 || g.PH > 2 || g.PW > 2 || g.OH*g.OW >= winogradMinPlane || g.H*g.W >= winogradMinPlane {
		return false
	}
	if useWinoFused() && winoVec {
		return winogradBatchVec(g, o)
	}
	return winogradBatchCore(g, o) || winogradBatchWide(g, o)
}

// With the fused kernels and the transforms in AVX2 (winovec_amd64.s),
// the batch takes Winograd when its layers have winoVecMinC channels or
// more each side, planes of 3x3 or more and winoVecMinTiles tiles over the
// batch (winogradBatchVec). Measured 2026-12-07 on the Zen 5 guest
// (processor time, 2 threads, against im2col, forward / input gradient,
// best of two alternations): the speedrun net's 24 to 64 channels on 31x31
// at batch 1024 0.57 / 0.45; ref-cnn's 32 to 64 on 14x14 at batch 64
// 0.74 / 0.55; 16 channels on 15x15 at batch 256 0.72 / 0.43; ResNet-50's
// 512 on 7x7 at batch 16 (256 tiles) 0.62-0.79 / 0.82-0.95, 256 on 14x14
// at batch 4 (196 tiles) 0.93 / 0.79, 128 on 28x28 for one image (196
// tiles) 0.77-0.85 / 0.68-0.81. Below the bounds the weights' transform
// and packing (16·C·OC values, for few tiles) cost more than the products
// save: 256 on 14x14 at batch 2 (98 tiles) 1.35 / 1.09, 512 on 7x7 at
// batch 8 (128 tiles) 1.44 / 1.14, 128 on 14x14 at batch 2 1.21 / 1.01,
// 256 on 3x3 at batch 16 1.88 / 2.63; one input channel 6.4 / 6.9.
// (Variables: tests lower them to cover small shapes.)
var (
	winoVecMinC     = 16
	winoVecMinTiles = 192
)

// winogradBatchVec is the whole-batch Winograd region with the vector
// transforms (see winoVecMinTiles).
func winogradBatchVec(g backend.ConvGeom, o backend.ConvGroups) bool {
	return g.C >= winoVecMinC && o.OC >= winoVecMinC && g.OH >= 3 && g.OW >= 3 && winoTiles(g) >= winoVecMinTiles
}

// winoTiles is the number of 2x2 output tiles of g over its batch.
func winoTiles(g backend.ConvGeom) int { return g.N * ((g.OH + 1) / 2) * ((g.OW + 1) / 2) }

// winogradBatchCore is the region measured on ResNet-50: planes of
// winogradBatchMinPlane values or more, winogradBatchMinC channels or more
// each side, two images or more, or one image with winogradSoloMinTiles
// tiles.
func winogradBatchCore(g backend.ConvGeom, o backend.ConvGroups) bool {
	return g.C >= winogradBatchMinC && o.OC >= winogradBatchMinC && g.OH*g.OW >= winogradBatchMinPlane &&
		(g.N >= 2 || (g.OH+1)/2*((g.OW+1)/2) >= winogradSoloMinTiles)
}

// winogradBatchWide is the region of large batches: winogradWideMinC
// channels or more each side, planes of 3x3 or more, winogradWideMinCols
// tiles over the batch, and the fused kernels.
func winogradBatchWide(g backend.ConvGeom, o backend.ConvGroups) bool {
	return g.C >= winogradWideMinC && o.OC >= winogradWideMinC && g.OH >= 3 && g.OW >= 3 &&
		winoTiles(g) >= winogradWideMinCols && useWinoFused()
}

// winogradConvBatch is winogradConv over chunks of the batch: V
// [16][C][B·T] and M [16][OC][B·T] hold the B images of a chunk side by
// side, so each of the 16 GEMMs has B·T columns instead of T (49 at
// 14x14, 16 at 7x7). The chunk size depends on the sizes only
// (batchChunks); each GEMM is one call with fixed arguments, run on one
// thread while the threads share the 16 of them.
func winogradConvBatch(ys, xs, u, bias []float32, g backend.ConvGeom, oc int) {
	th, tw := (g.OH+1)/2, (g.OW+1)/2
	t := th * tw
	outImg := oc * g.OH * g.OW
	chunks := batchChunks(g.N, 16*(g.C+oc)*t)
	maxCols := (g.N + chunks - 1) / chunks * t
	vb, mb := alloc(16*g.C*maxCols, false), alloc(16*oc*maxCols, false)
	defer freeBuf(vb)
	defer freeBuf(mb)
	for ch := range chunks {
		n0, n1 := chunkRange(g.N, ch, chunks)
		cols := (n1 - n0) * t
		v, m := vb.D[:16*g.C*cols], mb.D[:16*oc*cols]
		winoInputChunk(v, xs, g, th, tw, n0, n1, cols)
		blas.Serial(func() {
			parallel.For(16, 2*oc*g.C*cols, func(lo, hi int) {
				for xi := lo; xi < hi; xi++ {
					blas.Sgemm(false, false, oc, cols, g.C, 1, u[xi*oc*g.C:], g.C, v[xi*g.C*cols:], cols, 0, m[xi*oc*cols:], cols)
				}
			})
		})
		parallel.For((n1-n0)*oc, 40*t, func(lo, hi int) {
			for i := lo; i < hi; {
				j, o := i/oc, i%oc
				e := min(hi, (j+1)*oc)
				winogradOutput(ys[(n0+j)*outImg:(n0+j+1)*outImg], m[j*t:], bias, g, oc, th, tw, cols, o, o+e-i)
				i = e
			}
		})
	}
}
