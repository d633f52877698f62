//go:build amd64 && !purego

package cpu

import (
	"golang.org/x/sys/cpu"

	"github.com/workbench-cv/workbench/engine/backend"
)

// The fused Winograd path's input and output transforms in AVX2
// (winovec_amd64.s), four tiles of a tile row at a time, with the bits of
// the Go code (winoPackInput, winoUnpackOutput). In Go they took half the
// time of the speedrun net's 64-channel layers (the output transform 35%,
// the input transform 13%, the micro-kernel 39%; perf, 64 to 256 channels
// on 15x15, batch 1024).

//go:noescape
func winoOutAVX2(m *float32, xs int, y *float32, ow, oh, tw, ty0, ty1 int, bias float32)

//go:noescape
func winoInAVX2(p *float32, wp, tw, ty0, ty1 int, v *float32, lane, nr, skip, xis int)

// winoVec is whether the fused path's transforms take the AVX2 code
// (tests turn it off to compare with the Go code).
var winoVec = cpu.X86.HasAVX2

// winoPackInputVec is winoPackInput: each image's plane is copied into
// pp, a zero-padded plane of winoPadLen values (zero outside the plane's
// cells, which are the only ones written), and its tile rows transformed
// from there.
func winoPackInputVec(v, xs []float32, g backend.ConvGeom, th, tw, q0, q1, nr, xiS int, pp []float32) {
	wp := 2*tw + 2
	plane := g.H * g.W
	_ = pp[winoPadLen(th, tw)-1]
	for c := range g.C {
		for q := q0; q < q1; {
			n, ty0 := q/th, q%th
			ty1 := min(th, ty0+q1-q)
			src := xs[(n*g.C+c)*plane : (n*g.C+c+1)*plane]
			for y := max(0, 2*ty0-g.PH); y < min(g.H, 2*ty1+2-g.PH); y++ {
				at := (y+g.PH)*wp + g.PW
				copy(pp[at:at+g.W], src[y*g.W:(y+1)*g.W])
			}
			j := (q - q0) * tw
			winoInAVX2(&pp[0], wp, tw, ty0, ty1, &v[j/nr*g.C*nr+c*nr+j%nr], j%nr, nr, 4*(g.C-1)*nr, xiS)
			q += ty1 - ty0
		}
	}
}

// winoUnpackOutputVec is winoUnpackOutput; m holds 8 values more than its
// 16·mr·nb (the code reads up to three tiles past a plane's last).
func winoUnpackOutputVec(ys, m, bias []float32, g backend.ConvGeom, oc, th, tw, q0, q1, nb, o0, o1, mr int) {
	p := g.OH * g.OW
	_ = m[16*mr*nb+7]
	for o := o0; o < o1; o++ {
		var b float32
		if bias != nil {
			b = bias[o]
		}
		row := o - o0
		for q := q0; q < q1; {
			n, ty0 := q/th, q%th
			ty1 := min(th, ty0+q1-q)
			winoOutAVX2(&m[row*nb+(q-q0)*tw], mr*nb, &ys[(n*oc+o)*p], g.OW, g.OH, tw, ty0, ty1, b)
			q += ty1 - ty0
		}
	}
}

//go:noescape
func winoGradOutAVX2(p *float32, wp, tw, ty0, ty1 int, m *float32, xs int)

// winogradInputVec is winogradInput, each plane copied into pp (as for
// winoPackInputVec) and its tiles written in rows of V that no panel
// cuts.
func winogradInputVec(v, x []float32, g backend.ConvGeom, th, tw, ld, c0, c1 int, pp []float32) {
	wp := 2*tw + 2
	_ = pp[winoPadLen(th, tw)-1]
	for c := c0; c < c1; c++ {
		src := x[c*g.H*g.W : (c+1)*g.H*g.W]
		for y := range g.H {
			at := (y+g.PH)*wp + g.PW
			copy(pp[at:at+g.W], src[y*g.W:(y+1)*g.W])
		}
		winoInAVX2(&pp[0], wp, tw, 0, th, &v[c*ld], 0, 1<<40, 0, g.C*ld)
	}
}

// winogradGradOutputVec is winogradGradOutput, each output-gradient
// plane copied into pp, zero-padded to 2·th rows of 2·tw values
// (winoGradPadLen).
func winogradGradOutputVec(m, dy []float32, g backend.ConvGeom, oc, th, tw, ld, o0, o1 int, pp []float32) {
	wp, p := 2*tw, g.OH*g.OW
	_ = pp[winoGradPadLen(th, tw)-1]
	for o := o0; o < o1; o++ {
		src := dy[o*p : (o+1)*p]
		for y := range g.OH {
			copy(pp[y*wp:y*wp+g.OW], src[y*g.OW:(y+1)*g.OW])
		}
		winoGradOutAVX2(&pp[0], wp, tw, 0, th, &m[o*ld], oc*ld)
	}
}
