//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

//go:noescape
func interleave4AVX2(dst, src *float32, stride, lanes, w, h, wp int)

//go:noescape
func interleave4x4AVX(dst, src *float32, stride, lanes, w, h, wp int)

// interleaveVec is whether interleavePlanes moves four planes at a time in
// AVX2 (tests turn it off to compare with the Go loop).
var interleaveVec = interleaveVecOK

// interleaveVecOK is whether this machine can run interleave4AVX2.
var interleaveVecOK = cpu.X86.HasAVX2

// interleave4 is interleave4AVX2 on slices, checking that they hold every
// value it reads and writes.
func interleave4(dst, src []float32, stride, lanes, w, h, wp int) {
	if w < 4 || h < 1 || lanes < 4 {
		panic("cpu: interleave4 out of range")
	}
	_ = src[3*stride+h*w-1]
	_ = dst[((h-1)*wp+w-1)*lanes+3]
	if w < 8 {
		interleave4x4AVX(&dst[0], &src[0], stride, lanes, w, h, wp)
		return
	}
	interleave4AVX2(&dst[0], &src[0], stride, lanes, w, h, wp)
}
