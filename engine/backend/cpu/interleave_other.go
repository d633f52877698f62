//go:build !amd64 || purego

package cpu

// interleaveVec is false: interleavePlanes is the Go loop.
var interleaveVec, interleaveVecOK = false, false

func interleave4(dst, src []float32, stride, lanes, w, h, wp int) {
	panic("cpu: no vector interleave")
}
