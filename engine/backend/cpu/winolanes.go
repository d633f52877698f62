package cpu

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// The weight gradient of a 3x3 "same" convolution on small planes in the
// Winograd domain, F(2x2, 3x3), with the micro-kernel reading the
// transformed values where the transforms wrote them:
//
//	dU[ξ] (OC x C) = Σ_tiles dM[ξ][oc][t] · V[ξ][c][t],  dw = Gᵀ dU G
//
// (winograd_dw.go derives it). The GEMM form there hands 16 slices of the
// whole batch's V and dM to Sgemm, which packs them again: on the
// speedrun net's 7x7 layers at batch 1024 the packing, the transforms'
// Go loops and the copies took half its time.
//
// Here each image is first copied with its channels interleaved in groups
// of the kernel's lane count (interleavePlanes, as for the shifted grid),
// into a grid with a zero border. A tile's transform is then the same
// few additions on every lane (eight at a time in AVX2), and its 16
// results go straight to where the micro-kernel reads them: slice ξ of V
// for a group of images is [C/L][tiles][L], each channel group a panel of
// kc tiles. The batch is taken a group of images at a time (about 256
// tiles, the depth of one micro-kernel call): the threads transform the
// group's images, then take the 16 slices' products, each adding into
// dU[ξ]. Every value of dU is the sum of one call per group, in the
// order of the groups, so the bits depend on neither the thread count
// nor the kernel (AVX-512 12x32 or AVX2 6x16).

// winoLanesOff turns the path off (tests and benchmarks compare it with
// the GEMM form's).
var winoLanesOff bool

// winoLanesKC is about how many tiles one micro-kernel call sums.
const winoLanesKC = 256

// useWinoLanesDW reports whether the weight gradient takes this path: a
// 3x3 stride-1 convolution with padding 1 on planes the shifted grid
// leaves (under 12 wide), 64 or more channels each side and 1,024 or more
// tiles over the batch, on a machine with an assembly micro-kernel and
// AVX2.
func useWinoLanesDW(g backend.ConvGeom, o backend.ConvGroups) bool {
	return !winoLanesOff && winoLanesVec && micro().Vector() && o.Groups == 1 && g.KH == 3 && g.KW == 3 &&
		g.SH == 1 && g.SW == 1 && g.PH == 1 && g.PW == 1 && g.DH == 1 && g.DW == 1 &&
		g.OH == g.H && g.OW == g.W && g.W < 12 && g.H >= 2 && g.W >= 2 &&
		g.C >= 64 && o.OC >= 64 && winoTiles(g) >= 1024
}

// winoLanesDW writes dw [oc][C][3][3] from x and dy for a geometry that
// useWinoLanesDW accepts.
func winoLanesDW(dws, dys, xs []float32, g backend.ConvGeom, oc int) {
	mk := micro()
	mr, nr := mk.MR(), mk.NR()
	th, tw := (g.OH+1)/2, (g.OW+1)/2
	t := th * tw
	xOnM := padUp(g.C, mr)*padUp(oc, nr) <= padUp(oc, mr)*padUp(g.C, nr)
	xl, yl := nr, mr
	if xOnM {
		xl, yl = mr, nr
	}
	cp, ocp := padUp(g.C, xl), padUp(oc, yl)
	per := max(1, winoLanesKC/t) // images a group
	kcMax := per * t
	// x's grid: the tiles' 4x4 windows reach one cell past the plane on
	// each side (rows -1 .. 2th); dy's: the 2x2 tiles, zero past the plane.
	xwp, ywp := 2*tw+2, 2*tw
	xCells, yCells := (2*th+2)*xwp, 2*th*ywp
	vb, mb := alloc(16*cp*kcMax, false), alloc(16*ocp*kcMax, false)
	ub := alloc(16*cp*ocp, true)
	defer freeBuf(vb)
	defer freeBuf(mb)
	defer freeBuf(ub)
	du := ub.D
	inImg, outImg := g.C*g.H*g.W, oc*g.OH*g.OW
	for n0 := 0; n0 < g.N; n0 += per {
		n1 := min(g.N, n0+per)
		kc := (n1 - n0) * t
		v, m := vb.D[:16*cp*kc], mb.D[:16*ocp*kc]
		parallel.For(n1-n0, 64*(cp+ocp)*t, func(lo, hi int) {
			xb, yb := alloc(cp*xCells, true), alloc(ocp*yCells, true)
			defer freeBuf(xb)
			defer freeBuf(yb)
			xg, yg := xb.D, yb.D
			for i := lo; i < hi; i++ {
				n := n0 + i
				interleavePlanes(xg, xs[n*inImg:(n+1)*inImg], 0, g.C, g.H, g.W, xl, xCells, xwp+1, xwp)
				interleavePlanes(yg, dys[n*outImg:(n+1)*outImg], 0, oc, g.OH, g.OW, yl, yCells, 0, ywp)
				for ty := range th {
					k := i*t + ty*tw
					for cb := 0; cb < cp; cb += xl {
						winoLanesIn(xg[cb*xCells+2*ty*xwp*xl:], xwp*xl, xl, tw, v[cb*kc+k*xl:], cp*kc)
					}
					for ob := 0; ob < ocp; ob += yl {
						winoLanesGrad(yg[ob*yCells+2*ty*ywp*yl:], ywp*yl, yl, tw, m[ob*kc+k*yl:], ocp*kc)
					}
				}
			}
		})
		parallel.For(16, 2*cp*ocp*kc, func(lo, hi int) {
			for xi := lo; xi < hi; xi++ {
				vx, mx, ux := v[xi*cp*kc:], m[xi*ocp*kc:], du[xi*cp*ocp:]
				// The kernel's B panel (NR side) outside, its A panels inside.
				if xOnM {
					for ob := 0; ob < ocp; ob += yl {
						for cb := 0; cb < cp; cb += xl {
							mk.Tile(kc, vx[cb*kc:], mx[ob*kc:], ux[cb*ocp+ob:], ocp)
						}
					}
				} else {
					for cb := 0; cb < cp; cb += xl {
						for ob := 0; ob < ocp; ob += yl {
							mk.Tile(kc, mx[ob*kc:], vx[cb*kc:], ux[ob*cp+cb:], cp)
						}
					}
				}
			}
		})
	}
	parallel.For(oc, 16*g.C, func(lo, hi int) {
		var u [16]float32
		for o := lo; o < hi; o++ {
			for c := range g.C {
				at := o*cp + c
				if xOnM {
					at = c*ocp + o
				}
				for xi := range u {
					u[xi] = du[xi*cp*ocp+at]
				}
				winoDWFinish(dws[(o*g.C+c)*9:(o*g.C+c)*9+9], &u)
			}
		}
	})
}

// winoDWFinish writes dw = Gᵀ dU G for one (oc, c) pair, dU[4r+c] its 4x4
// values, Gᵀ = [1 ½ ½ 0; 0 ½ -½ 0; 0 ½ ½ 1] (as winogradWeightGrad).
func winoDWFinish(dst []float32, du *[16]float32) {
	var r [12]float32 // Gᵀ dU, 3 x 4
	for q := range 4 {
		u0, u1, u2, u3 := du[q], du[4+q], du[8+q], du[12+q]
		r[q] = u0 + 0.5*(u1+u2)
		r[4+q] = 0.5 * (u1 - u2)
		r[8+q] = 0.5*(u1+u2) + u3
	}
	for i := range 3 {
		a0, a1, a2, a3 := r[4*i], r[4*i+1], r[4*i+2], r[4*i+3]
		dst[3*i] = a0 + 0.5*(a1+a2)
		dst[3*i+1] = 0.5 * (a1 - a2)
		dst[3*i+2] = 0.5*(a1+a2) + a3
	}
}

// winoLanesInGo writes V = Bᵀ d B for the tw tiles of a tile row: src is
// the row's first 4x4 window (cell (0, 0), lane 0) in a grid whose cells
// hold lanes values and whose rows are rowStride values apart; tile tx's
// window starts 2·tx cells on. Value ξ = 4r+c of tile tx, lane l goes to
// dst[ξ·xiStride + tx·lanes + l].
func winoLanesInGo(src []float32, rowStride, lanes, tw int, dst []float32, xiStride int) {
	for tx := range tw {
		s, o := src[2*tx*lanes:], dst[tx*lanes:]
		for l := range lanes {
			var t [4][4]float32 // d B, row by row
			for i := range 4 {
				d0, d1, d2, d3 := s[i*rowStride+l], s[i*rowStride+lanes+l], s[i*rowStride+2*lanes+l], s[i*rowStride+3*lanes+l]
				t[i] = [4]float32{d0 - d2, d1 + d2, d2 - d1, d1 - d3}
			}
			for j := range 4 {
				o[j*xiStride+l] = t[0][j] - t[2][j]
				o[(4+j)*xiStride+l] = t[1][j] + t[2][j]
				o[(8+j)*xiStride+l] = t[2][j] - t[1][j]
				o[(12+j)*xiStride+l] = t[1][j] - t[3][j]
			}
		}
	}
}

// winoLanesGradGo writes dM = A g Aᵀ, A = [1 0; 1 1; 1 -1; 0 -1], for the
// tw 2x2 output-gradient tiles of a tile row, laid out as winoLanesInGo's.
func winoLanesGradGo(src []float32, rowStride, lanes, tw int, dst []float32, xiStride int) {
	for tx := range tw {
		s, o := src[2*tx*lanes:], dst[tx*lanes:]
		for l := range lanes {
			g00, g01 := s[l], s[lanes+l]
			g10, g11 := s[rowStride+l], s[rowStride+lanes+l]
			rows := [4][2]float32{{g00, g01}, {g00 + g10, g01 + g11}, {g00 - g10, g01 - g11}, {-g10, -g11}}
			for r, ab := range rows {
				a, b := ab[0], ab[1]
				o[4*r*xiStride+l] = a
				o[(4*r+1)*xiStride+l] = a + b
				o[(4*r+2)*xiStride+l] = a - b
				o[(4*r+3)*xiStride+l] = -b
			}
		}
	}
}
