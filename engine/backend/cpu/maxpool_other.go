//go:build !amd64 || purego

package cpu

import "github.com/workbench-cv/workbench/engine/backend"

var hasMaxPoolAVX512 = false

// maxPool2x2Plane pools one plane (non-overlapping 2x2 windows, no
// padding).
func maxPool2x2Plane(out, ix, src []float32, g backend.PoolGeom) { maxPool2x2(out, ix, src, g) }

// maxPool2x2GradPlane writes the gradient of one plane that non-overlapping
// 2x2 windows tile exactly.
func maxPool2x2GradPlane(dx, dy, ix []float32, g backend.PoolGeom) { maxPool2x2Grad(dx, dy, ix, g) }
