//go:build !amd64 || purego

package cpu

import "github.com/workbench-cv/workbench/engine/backend"

var hasMaxPoolAVX512 = false

// maxPool2x2Plane pools one plane (non-overlapping 2x2 windows, no
// padding); with relu the outputs are max(0, maximum).
func maxPool2x2Plane(out, ix, src []float32, g backend.PoolGeom, relu bool) {
	maxPool2x2(out, ix, src, g)
	if relu {
		reluInPlace(out[:g.OH*g.OW])
	}
}

// maxPool2x2GradPlane writes the gradient of one plane that non-overlapping
// 2x2 windows tile exactly (with y: only where y > 0).
func maxPool2x2GradPlane(dx, dy, ix, y []float32, g backend.PoolGeom) {
	maxPool2x2Grad(dx, dy, ix, y, g)
}
