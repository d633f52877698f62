//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

//go:noescape
func winoLanesInAVX2(src *float32, rowStride, lanes, tw int, dst *float32, xiStride int)

//go:noescape
func winoLanesGradAVX2(src *float32, rowStride, lanes, tw int, dst *float32, xiStride int)

// winoLanesVec is whether this machine runs winolanes_amd64.s (the path
// needs it); winoLanesGoOnly makes the path take the Go transforms (tests
// compare the two).
var (
	winoLanesVec    = cpu.X86.HasAVX2
	winoLanesGoOnly bool
)

// winoLanesIn is winoLanesInGo in AVX2 (lanes even), after checking that
// the slices hold every value it reads and writes.
func winoLanesIn(src []float32, rowStride, lanes, tw int, dst []float32, xiStride int) {
	if winoLanesGoOnly {
		winoLanesInGo(src, rowStride, lanes, tw, dst, xiStride)
		return
	}
	if lanes < 2 || lanes%2 != 0 || tw < 1 {
		panic("cpu: winoLanesIn out of range")
	}
	_ = src[3*rowStride+(2*tw+2)*lanes-1]
	_ = dst[15*xiStride+tw*lanes-1]
	winoLanesInAVX2(&src[0], rowStride, lanes, tw, &dst[0], xiStride)
}

// winoLanesGrad is winoLanesGradGo in AVX2 (lanes even).
func winoLanesGrad(src []float32, rowStride, lanes, tw int, dst []float32, xiStride int) {
	if winoLanesGoOnly {
		winoLanesGradGo(src, rowStride, lanes, tw, dst, xiStride)
		return
	}
	if lanes < 2 || lanes%2 != 0 || tw < 1 {
		panic("cpu: winoLanesGrad out of range")
	}
	_ = src[rowStride+2*tw*lanes-1]
	_ = dst[15*xiStride+tw*lanes-1]
	winoLanesGradAVX2(&src[0], rowStride, lanes, tw, &dst[0], xiStride)
}
