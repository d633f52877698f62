//go:build amd64 && !purego

package cpu

import (
	"golang.org/x/sys/cpu"

	"github.com/workbench-cv/workbench/engine/backend"
)

// maxPool2x2AVX512 is maxPool2x2 on one plane in AVX-512 (maxpool_amd64.s):
// the scalar loop spends about 7 ns per output on data-dependent branches
// and index conversions, a third of ref-cnn's forward pass.
//
//go:noescape
func maxPool2x2AVX512(out, idx, src *float32, oh, ow, w, relu int, tailOut, tailIn0, tailIn1 uint64)

// maxPool2x2GradAVX512 is the gradient of maxPool2x2AVX512 for a plane
// the windows tile (even height and width): every cell of dx is written.
//
//go:noescape
func maxPool2x2GradAVX512(dx, dy, idx, y *float32, oh, ow, w int, tailOut, tailIn0, tailIn1 uint64)

var hasMaxPoolAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512BW

// maxPool2x2Plane pools one plane (non-overlapping 2x2 windows, no
// padding), in AVX-512 where the CPU has it; with relu the outputs are
// max(0, maximum).
func maxPool2x2Plane(out, ix, src []float32, g backend.PoolGeom, relu bool) {
	if !hasMaxPoolAVX512 || g.OH == 0 || g.OW == 0 {
		maxPool2x2(out, ix, src, g)
		if relu {
			reluInPlace(out[:g.OH*g.OW])
		}
		return
	}
	// The assembly reads rows 0..2*OH-1 up to column 2*OW-1 and writes
	// OH*OW outputs: check the slices cover them.
	_, _, _ = out[g.OH*g.OW-1], ix[g.OH*g.OW-1], src[(2*g.OH-1)*g.W+2*g.OW-1]
	k := g.OW % 16
	in0, in1 := min(2*k, 16), max(0, 2*k-16)
	r := 0
	if relu {
		r = 1
	}
	maxPool2x2AVX512(&out[0], &ix[0], &src[0], g.OH, g.OW, g.W, r, 1<<k-1, 1<<in0-1, 1<<in1-1)
}

// maxPool2x2GradPlane writes the gradient of one plane that non-overlapping
// 2x2 windows tile exactly (even H and W): dy at each window's maximum, 0
// in its other cells. With y (the relu variant's output), only where y > 0.
func maxPool2x2GradPlane(dx, dy, ix, y []float32, g backend.PoolGeom) {
	if !hasMaxPoolAVX512 || g.OH == 0 || g.OW == 0 {
		maxPool2x2Grad(dx, dy, ix, y, g)
		return
	}
	n := g.OH * g.OW
	_, _, _ = dy[n-1], ix[n-1], dx[(2*g.OH-1)*g.W+2*g.OW-1]
	var yp *float32
	if y != nil {
		_ = y[n-1]
		yp = &y[0]
	}
	k := g.OW % 16
	in0, in1 := min(2*k, 16), max(0, 2*k-16)
	maxPool2x2GradAVX512(&dx[0], &dy[0], &ix[0], yp, g.OH, g.OW, g.W, 1<<k-1, 1<<in0-1, 1<<in1-1)
}
