package cpu

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/blas"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// Winograd fused into the micro-kernel. The GEMM form of winograd.go
// writes the whole transformed input V [16][C][T] (8 MB for one 64x64
// image with 128 channels), hands each of its 16 slices to Sgemm, which
// packs it again into its own panels and first clears M [16][OC][T] (as
// large again), and the output transform then reads M back from memory.
// On the fast-style network at 256 px that packing and clearing took as
// long as a third of the multiply-adds (perf: sgemm_itcopy 16%,
// sgemm_beta 5%, the kernel 25% of the time).
//
// Here the tiles are cut into blocks of whole tile rows (several images'
// rows over a batch), sized so that a block's transformed input stays in
// the core's L2 cache (winoBlockRows). Each thread takes whole blocks:
//
//   - the input transform writes the block's 16·C·NB values straight in
//     the micro-kernel's B-panel layout, [16][NB/NR][C][NR];
//   - the weights were transformed and packed once per call, as A panels
//     [16][⌈OC/MR⌉][C][MR] (zero rows past OC);
//   - for MR output channels at a time, the 16 products land in a small
//     M [16][MR][NB] that is cleared, filled by the kernel and then read by
//     the output transform while it is still in L1/L2.
//
// Every M value is the same sum, over the same KC blocks of channels in
// the same order, whatever the block sizes, the kernel (AVX-512 12x32,
// AVX2 6x16) and the thread count, so results keep the same bits on any
// machine and any --threads. The path needs an assembly micro-kernel
// (blas.Micro.Vector); elsewhere (the portable build, Accelerate on
// macOS) the GEMM form stays.

// micro is the micro-kernel the packed paths call (tests run them with
// each kernel the machine has).
var micro = blas.MicroKernel

// winoFusedOff turns the fused path off (tests and benchmarks compare it
// with the GEMM form).
var winoFusedOff bool

func useWinoFused() bool { return !winoFusedOff && micro().Vector() }

// winoTarget is the size in bytes that a block's transformed input should
// stay under (about half of a core's L2 on the machines we measured).
const winoTarget = 1 << 20

// winoBlockRows picks how many tile rows (tw tiles each, total rows in
// all) make one block: close to whole NR panels, as many tiles as fit
// winoTarget for C channels (more tiles share each load of the weight
// panels), and at least two blocks per thread when there are enough rows.
// The choice changes no bits.
func winoBlockRows(tw, total, nr, c, threads int) int {
	maxTiles := max(2*nr, winoTarget/(64*c))
	rMax := max(1, min(total, total/(2*threads)))
	best, bestEff := 1, -1.0
	for r := 1; r <= rMax && (r == 1 || r*tw <= maxTiles); r++ {
		t := r * tw
		nb := (t + nr - 1) / nr * nr
		eff := float64(t) / float64(nb) * float64(t) / float64(t+32)
		if eff > bestEff {
			best, bestEff = r, eff
		}
	}
	return best
}

// winoUStride is the distance between the 16 slices of the packed
// weights of rows x cols (rows padded to a multiple of mr): one cache line
// more than a slice, as winoStride, so that the 16 values each weight
// gives do not all fall in one set of the L1 cache. (Without the line,
// for 256 channels the weight transform took as long as the products of
// a 14x14 image.)
func winoUStride(rows, cols, mr int) int { return (rows+mr-1)/mr*mr*cols + 16 }

// winoPackWeights writes the transformed weights of winogradWeights as A
// panels: up[ξ·winoUStride + (r/mr·cols + c)·mr + r%mr], rows padded with
// zeros to a multiple of mr. rows and cols are OC and C (C and OC with
// flip).
func winoPackWeights(up, w []float32, oc, c int, flip bool, mr int) {
	rows, cols := oc, c
	if flip {
		rows, cols = c, oc
	}
	nob := (rows + mr - 1) / mr
	us := winoUStride(rows, cols, mr)
	if pad := nob*mr - rows; pad > 0 {
		for xi := range 16 {
			ob := nob - 1
			for cc := range cols {
				at := xi*us + (ob*cols+cc)*mr + mr - pad
				clear(up[at : at+pad])
			}
		}
	}
	winogradWeightsTo(up, w, oc, c, flip, func(r, cc int) int { return (r/mr*cols+cc)*mr + r%mr }, us, mr)
}

// winoStride is the distance between the 16 slices of a block's
// transformed input: C·nb plus one cache line, so that the 16 values a
// tile writes do not all fall in one set of the L1 cache (C·nb is a
// multiple of 4 KiB for most layers; without the line the input
// transform ran at half speed).
func winoStride(c, nb int) int { return c*nb + 16 }

// winogradFused writes y = x ⋆ w (+ bias) for a 3x3 stride-1 geometry g
// and oc output channels, from weights packed by winoPackWeights.
func winogradFused(ys, xs, up, bias []float32, g backend.ConvGeom, oc int) {
	mk := micro()
	mr, nr, kc := mk.MR(), mk.NR(), mk.KC()
	th, tw := (g.OH+1)/2, (g.OW+1)/2
	total := g.N * th
	rows := winoBlockRows(tw, total, nr, g.C, parallel.Threads())
	nb := (rows*tw + nr - 1) / nr * nr
	blocks := (total + rows - 1) / rows
	nob := (oc + mr - 1) / mr
	xiS := winoStride(g.C, nb)
	us := winoUStride(oc, g.C, mr)
	parallel.For(blocks, 2*16*oc*g.C*nb, func(lo, hi int) {
		// Zeroed: the padding tiles of a block read zeros (their columns
		// of M are never read, but should not hold NaN from old buffers).
		vb := alloc(16*xiS, true)
		mb := alloc(16*mr*nb+8, false)
		defer freeBuf(vb)
		defer freeBuf(mb)
		v, m := vb.D, mb.D
		wp := 2*tw + 2
		var pp []float32
		if winoVec {
			pb := alloc(winoPadLen(th, tw), true)
			defer freeBuf(pb)
			pp = pb.D
		}
		buf := make([]float32, 8*wp+8*tw)
		for b := lo; b < hi; b++ {
			q0, q1 := b*rows, min(total, (b+1)*rows)
			if winoVec {
				winoPackInputVec(v, xs, g, th, tw, q0, q1, nr, xiS, pp)
			} else {
				winoPackInput(v, xs, g, th, tw, q0, q1, nb, nr, xiS, buf[:8*wp])
			}
			panels := ((q1-q0)*tw + nr - 1) / nr
			for ob := range nob {
				clear(m)
				for xi := range 16 {
					a := up[xi*us+ob*g.C*mr:]
					for tb := range panels {
						bp := v[xi*xiS+tb*g.C*nr:]
						cp := m[xi*mr*nb+tb*nr:]
						for k0 := 0; k0 < g.C; k0 += kc {
							mk.Tile(min(kc, g.C-k0), a[k0*mr:], bp[k0*nr:], cp, nb)
						}
					}
				}
				if winoVec {
					winoUnpackOutputVec(ys, m, bias, g, oc, th, tw, q0, q1, nb, ob*mr, min(oc, ob*mr+mr), mr)
				} else {
					winoUnpackOutput(ys, m, bias, g, oc, th, tw, q0, q1, nb, ob*mr, min(oc, ob*mr+mr), mr, buf[:8*tw])
				}
			}
		}
	})
}

// winoPadLen is the size of the zero-padded input plane of the vector
// input transform: 2·th+2 rows of 2·tw+2 values (the tiles' 4x4 patches)
// and 8 more, which the code reads past the last tile.
func winoPadLen(th, tw int) int { return (2*th+2)*(2*tw+2) + 8 }

// winoGradPadLen is the size of the zero-padded output-gradient plane of
// the vector transform of winogradWeightGrad: 2·th rows of 2·tw values and
// 8 more, which the code reads past the last tile.
func winoGradPadLen(th, tw int) int { return 4*th*tw + 8 }

// winoPackInput writes the transformed 4x4 input tiles of tile rows
// q0..q1-1 (row q is tile row q%th of image q/th) in B-panel layout:
// tile j of the block (j = (q-q0)·tw + tx), channel c and position ξ at
// v[ξ·xiS + (j/nr)·C·nr + c·nr + j%nr] (xiS from winoStride). The arithmetic is
// winogradInput's: Bᵀ d over four padded input rows, then d B over the
// columns of each tile.
func winoPackInput(v, xs []float32, g backend.ConvGeom, th, tw, q0, q1, nb, nr, xiS int, buf []float32) {
	wp := 2*tw + 2
	rows := [4][]float32{buf[0:wp], buf[wp : 2*wp], buf[2*wp : 3*wp], buf[3*wp : 4*wp]}
	e := [4][]float32{buf[4*wp : 5*wp], buf[5*wp : 6*wp], buf[6*wp : 7*wp], buf[7*wp : 8*wp]}
	plane := g.H * g.W
	fill := func(row, src []float32, iy int) { winoFillRow(row, src, g, iy) }
	for c := range g.C {
		prev := -1 // the last tile row filled, to reuse its lower two input rows
		for q := q0; q < q1; q++ {
			n, ty := q/th, q%th
			src := xs[(n*g.C+c)*plane : (n*g.C+c+1)*plane]
			y0 := 2*ty - g.PH
			if prev == q-1 && ty > 0 {
				rows[0], rows[1], rows[2], rows[3] = rows[2], rows[3], rows[0], rows[1]
				fill(rows[2], src, y0+2)
				fill(rows[3], src, y0+3)
			} else {
				for r := range 4 {
					fill(rows[r], src, y0+r)
				}
			}
			prev = q
			winoRowTransform(&e, &rows, wp)
			// The column transform, over runs of tiles that are
			// contiguous in the panels (at most NR, split where a panel
			// ends).
			j0 := (q - q0) * tw
			for r := range 4 {
				er := e[r][:wp]
				vr := v[4*r*xiS : (4*r+4)*xiS]
				for tx := 0; tx < tw; {
					j := j0 + tx
					lane := j % nr
					n := min(tw-tx, nr-lane)
					off := j/nr*g.C*nr + c*nr + lane
					o0 := vr[off : off+n]
					o1 := vr[xiS+off : xiS+off+n]
					o2 := vr[2*xiS+off : 2*xiS+off+n]
					o3 := vr[3*xiS+off : 3*xiS+off+n]
					src := er[2*tx : 2*tx+2*n+2]
					for i := range o0 {
						t := src[2*i : 2*i+4 : 2*i+4]
						o0[i] = t[0] - t[2]
						o1[i] = t[1] + t[2]
						o2[i] = t[2] - t[1]
						o3[i] = t[1] - t[3]
					}
					tx += n
				}
			}
		}
	}
}

// winoUnpackOutput writes output channels o0..o1-1 (rows o-o0 of M, which
// is [16][mr][nb]) of tile rows q0..q1-1: Y = Aᵀ m A (+ bias), the
// arithmetic of winogradOutput.
func winoUnpackOutput(ys, m, bias []float32, g backend.ConvGeom, oc, th, tw, q0, q1, nb, o0, o1, mr int, buf []float32) {
	p := g.OH * g.OW
	var r [8][]float32
	for i := range r {
		r[i] = buf[i*tw : (i+1)*tw]
	}
	for o := o0; o < o1; o++ {
		var b float32
		if bias != nil {
			b = bias[o]
		}
		row := o - o0
		for q := q0; q < q1; q++ {
			n, ty := q/th, q%th
			dst := ys[(n*oc+o)*p : (n*oc+o+1)*p]
			at := row*nb + (q-q0)*tw
			winoOutRows(&r, m, mr*nb, at, tw)
			for h := range 2 {
				yy := 2*ty + h
				if yy >= g.OH {
					break
				}
				q0r, q1r, q2r, q3r := r[4*h], r[4*h+1][:tw], r[4*h+2][:tw], r[4*h+3][:tw]
				out := dst[yy*g.OW : (yy+1)*g.OW]
				full := g.OW / 2
				for i := range full {
					out[2*i] = q0r[i] + q1r[i] + q2r[i] + b
					out[2*i+1] = q1r[i] - q2r[i] - q3r[i] + b
				}
				if g.OW%2 == 1 {
					out[2*full] = q0r[full] + q1r[full] + q2r[full] + b
				}
			}
		}
	}
}

// runWinograd computes a Winograd convolution of geometry gt (a layer's
// forward geometry, or with flip the geometry of its input gradient,
// winogradGradGeom) from the layer's weights ws [oc][c][3][3]: fused when
// the machine has an assembly micro-kernel, else as 16 GEMMs over the
// batch (batch) or image by image (intra: threads inside an image).
func runWinograd(ys, xs, ws, bs []float32, gt backend.ConvGeom, oc, c int, flip, batch, intra bool) {
	rows := oc
	if flip {
		rows = c
	}
	if useWinoFused() {
		mr := micro().MR()
		ub := alloc(16*winoUStride(rows, gt.C, mr), false)
		defer freeBuf(ub)
		winoPackWeights(ub.D, ws, oc, c, flip, mr)
		winogradFused(ys, xs, ub.D, bs, gt, rows)
		return
	}
	ub := alloc(16*oc*c, false)
	defer freeBuf(ub)
	winogradWeights(ub.D, ws, oc, c, flip)
	if batch {
		winogradConvBatch(ys, xs, ub.D, bs, gt, rows)
	} else {
		winogradConv(ys, xs, ub.D, bs, gt, rows, intra)
	}
}
