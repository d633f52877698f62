package cpu

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/blas"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// The weight gradient of a 3x3 stride-1 convolution in the Winograd
// domain. The forward pass is y = Aᵀ [Σ_c U ⊙ V] A per 2x2 output tile,
// U = G w Gᵀ the transformed weights and V = Bᵀ d B the transformed 4x4
// input tiles, so by the chain rule
//
//	dU[ξ] (OC x C) = Σ_tiles dM[ξ][oc][t] · V[ξ][c][t],  dM = A dy Aᵀ,
//	dw = Gᵀ dU G,
//
// 16 GEMMs with the tiles as their depth: 16·OC·C·T multiply-adds where
// im2col's weight gradient takes 9·OC·C·4T, 2.25 times as many. The
// input tiles are transformed as in the forward pass (winogradInput), the
// output gradient's 2x2 tiles by A dy Aᵀ (winogradGradOutput). The batch
// is cut into chunks by size only (batchChunks); each chunk's 16 GEMMs add
// into dU in chunk order, one GEMM per thread at a time, so the bits do not
// depend on the thread count.

// winogradDWOff turns the Winograd weight gradient off (tests and
// benchmarks compare it with im2col's).
var winogradDWOff bool

// useWinogradDW reports whether the weight gradient of a convolution is
// computed in the Winograd domain: the shapes whose forward pass is
// Winograd's, except the batches of small layers outside
// winogradBatchCore (winogradBatchWide, winogradBatchVec) and
// winogradDWVec, whose weight gradient is faster on im2col.
func useWinogradDW(g backend.ConvGeom, o backend.ConvGroups) bool {
	return !winogradDWOff && (useWinograd(g, o) || (useWinogradBatch(g, o) && (winogradBatchCore(g, o) || winogradDWVec(g, o))))
}

// winogradDWVec is where, with the transforms in AVX2, the weight
// gradient of small planes also takes the Winograd domain: 128 channels or
// more each side, planes of 5x5 or more and 1,024 tiles or more over the
// batch. Measured 2026-12-07 on the Zen 5 guest (processor time, 2
// threads, against im2col, best of two alternations): 256 channels on 7x7
// at batch 1024 (the speedrun net's) 0.60-0.83, at batch 128 0.72; 128 on
// 7x7 at batch 64 0.69 and 1024 0.84; 256 on 5x5 0.60. Outside: 256 on 3x3
// at batch 1024 1.17; 512 on 7x7 at batch 16 (256 tiles) 1.07; 64 on 7x7
// 1.13; 64 to 256 channels on 15x15 at batch 1024 1.15-1.4 and 24 to 64 on
// 31x31 1.5 (the transformed output gradient, 16 values a 2x2 tile, and
// input, 16 values a 4x4 tile, outgrow the caches: there the output
// gradient's transform alone took a quarter of the time).
func winogradDWVec(g backend.ConvGeom, o backend.ConvGroups) bool {
	return winoVec && useWinoFused() && g.C >= 128 && o.OC >= 128 && g.OH >= 5 && g.OW >= 5 && winoTiles(g) >= 1024
}

// winogradWeightGrad writes dw [oc][C][3][3] of a 3x3 stride-1
// convolution of geometry g from its input x and output gradient dy.
func winogradWeightGrad(dws, dys, xs []float32, g backend.ConvGeom, oc int) {
	th, tw := (g.OH+1)/2, (g.OW+1)/2
	t := th * tw
	outImg := oc * g.OH * g.OW
	chunks := batchChunks(g.N, 16*(g.C+oc)*t)
	maxCols := (g.N + chunks - 1) / chunks * t
	vb, mb := alloc(16*g.C*maxCols, false), alloc(16*oc*maxCols, false)
	ub := alloc(16*oc*g.C, false)
	defer freeBuf(vb)
	defer freeBuf(mb)
	defer freeBuf(ub)
	du := ub.D
	for ch := range chunks {
		n0, n1 := chunkRange(g.N, ch, chunks)
		cols := (n1 - n0) * t
		v, m := vb.D[:16*g.C*cols], mb.D[:16*oc*cols]
		winoInputChunk(v, xs, g, th, tw, n0, n1, cols)
		parallel.For((n1-n0)*oc, 20*t, func(lo, hi int) {
			var pp []float32
			if winoVec {
				pb := alloc(winoGradPadLen(th, tw), true)
				defer freeBuf(pb)
				pp = pb.D
			}
			for i := lo; i < hi; {
				j, o := i/oc, i%oc
				e := min(hi, (j+1)*oc)
				if winoVec {
					winogradGradOutputVec(m[j*t:], dys[(n0+j)*outImg:(n0+j+1)*outImg], g, oc, th, tw, cols, o, o+e-i, pp)
				} else {
					winogradGradOutput(m[j*t:], dys[(n0+j)*outImg:(n0+j+1)*outImg], g, oc, th, tw, cols, o, o+e-i)
				}
				i = e
			}
		})
		beta := float32(1)
		if ch == 0 {
			beta = 0
		}
		blas.Serial(func() {
			parallel.For(16, 2*oc*g.C*cols, func(lo, hi int) {
				for xi := lo; xi < hi; xi++ {
					blas.Sgemm(false, true, oc, g.C, cols, 1, m[xi*oc*cols:], cols, v[xi*g.C*cols:], cols, beta, du[xi*oc*g.C:], g.C)
				}
			})
		})
	}
	// dw = Gᵀ dU G for each (oc, c), Gᵀ = [1 ½ ½ 0; 0 ½ -½ 0; 0 ½ ½ 1].
	plane := oc * g.C
	parallel.For(plane, 64, func(lo, hi int) {
		for at := lo; at < hi; at++ {
			var r [12]float32 // Gᵀ dU, 3 x 4
			for q := range 4 {
				u0, u1, u2, u3 := du[q*plane+at], du[(4+q)*plane+at], du[(8+q)*plane+at], du[(12+q)*plane+at]
				r[q] = u0 + 0.5*(u1+u2)
				r[4+q] = 0.5 * (u1 - u2)
				r[8+q] = 0.5*(u1+u2) + u3
			}
			dst := dws[at*9 : at*9+9]
			for i := range 3 {
				a0, a1, a2, a3 := r[4*i], r[4*i+1], r[4*i+2], r[4*i+3]
				dst[3*i] = a0 + 0.5*(a1+a2)
				dst[3*i+1] = 0.5 * (a1 - a2)
				dst[3*i+2] = 0.5*(a1+a2) + a3
			}
		}
	})
}

// winogradGradOutput writes dM[ξ][o][tile] = (A dy Aᵀ)[ξ] for output
// channels o0..o1-1 of one image, dy the 2x2 output-gradient tile (zeros
// outside the plane), A = [1 0; 1 1; 1 -1; 0 -1]: the adjoint of
// winogradOutput. Row o of dM[ξ] is m[(ξ·OC+o)·ld:], as for
// winogradOutput.
func winogradGradOutput(m, dy []float32, g backend.ConvGeom, oc, th, tw, ld, o0, o1 int) {
	ot := oc * ld
	p := g.OH * g.OW
	w2 := 2 * tw
	buf := make([]float32, 6*w2)
	r0, r1 := buf[:w2], buf[w2:2*w2]
	e := [4][]float32{r0, buf[2*w2 : 3*w2], buf[3*w2 : 4*w2], buf[4*w2 : 5*w2]}
	for o := o0; o < o1; o++ {
		src := dy[o*p : (o+1)*p]
		for ty := range th {
			// The tile row's two output rows, padded with zeros to 2·tw.
			for h, r := range [2][]float32{r0, r1} {
				if yy := 2*ty + h; yy < g.OH {
					copy(r, src[yy*g.OW:(yy+1)*g.OW])
					clear(r[g.OW:])
				} else {
					clear(r)
				}
			}
			// A over the rows: e0..e3 = r0, r0+r1, r0-r1, -r1.
			e1, e2, e3 := e[1][:w2], e[2][:w2], e[3][:w2]
			for i, a := range r0 {
				b := r1[i]
				e1[i] = a + b
				e2[i] = a - b
				e3[i] = -b
			}
			// Aᵀ over the columns of each tile, (a, b) -> (a, a+b, a-b, -b),
			// each of the 16 outputs a contiguous run over the tiles.
			at := o*ld + ty*tw
			for k := range 4 {
				ek := e[k][:w2]
				q0 := m[(4*k+0)*ot+at : (4*k+0)*ot+at+tw]
				q1 := m[(4*k+1)*ot+at : (4*k+1)*ot+at+tw]
				q2 := m[(4*k+2)*ot+at : (4*k+2)*ot+at+tw]
				q3 := m[(4*k+3)*ot+at : (4*k+3)*ot+at+tw]
				q1, q2, q3 = q1[:len(q0)], q2[:len(q0)], q3[:len(q0)]
				for tx := range q0 {
					ab := ek[2*tx : 2*tx+2 : 2*tx+2]
					a, b := ab[0], ab[1]
					q0[tx] = a
					q1[tx] = a + b
					q2[tx] = a - b
					q3[tx] = -b
				}
			}
		}
	}
}
