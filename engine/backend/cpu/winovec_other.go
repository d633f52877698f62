//go:build !amd64 || purego

package cpu

import "github.com/workbench-cv/workbench/engine/backend"

// winoVec is false: the fused path's transforms are the Go code of
// winofused.go.
var winoVec = false

func winoPackInputVec(v, xs []float32, g backend.ConvGeom, th, tw, q0, q1, nr, xiS int, pp []float32) {
	panic("cpu: no vector Winograd transforms")
}

func winoUnpackOutputVec(ys, m, bias []float32, g backend.ConvGeom, oc, th, tw, q0, q1, nb, o0, o1, mr int) {
	panic("cpu: no vector Winograd transforms")
}

func winogradInputVec(v, x []float32, g backend.ConvGeom, th, tw, ld, c0, c1 int, pp []float32) {
	panic("cpu: no vector Winograd transforms")
}

func winogradGradOutputVec(m, dy []float32, g backend.ConvGeom, oc, th, tw, ld, o0, o1 int, pp []float32) {
	panic("cpu: no vector Winograd transforms")
}
