//go:build !amd64 || purego

package cpu

// winoLanesVec is false: the path is not taken (the GEMM form is).
var (
	winoLanesVec    = false
	winoLanesGoOnly bool
)

func winoLanesIn(src []float32, rowStride, lanes, tw int, dst []float32, xiStride int) {
	winoLanesInGo(src, rowStride, lanes, tw, dst, xiStride)
}

func winoLanesGrad(src []float32, rowStride, lanes, tw int, dst []float32, xiStride int) {
	winoLanesGradGo(src, rowStride, lanes, tw, dst, xiStride)
}
