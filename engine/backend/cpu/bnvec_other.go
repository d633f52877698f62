//go:build !amd64 || purego

package cpu

// bnVec is false: batch norm's loops are the Go code of bnvec.go.
var bnVec = false

func bnBlockSumsVec(r []float32, k float32, square bool) float64 {
	panic("cpu: no vector batch norm")
}

func bnGradSumsVec(g, y, x []float32, m float32) (float64, float64) {
	panic("cpu: no vector batch norm")
}

func bnAffineVec(out, in, res []float32, a, b float32, mode int) int { return 0 }

func bnGradAffineVec(dx, g, y, x []float32, p, q, r float32) int { return 0 }

func reluVec(dst, src []float32) int { return 0 }

func addReLUVec(dst, a, b []float32) int { return 0 }

func reluGradVec(g, x, dy []float32) int { return 0 }

func reluMaskVec(dst, g, y []float32) int { return 0 }

func maxPool3x3S2Row(out, ix, src []float32, w, ih, pw, ow0, n int) int { return 0 }

func bnChannelSumsVec(xs []float32, outer, c, inner, ch int, k float32, square bool) float64 {
	panic("cpu: no vector batch norm")
}

func bnChannelGradSumsVec(g, y, x []float32, outer, c, inner, ch int, m float32) (float64, float64) {
	panic("cpu: no vector batch norm")
}

func bnChannelAffineVec(out, in, res []float32, outer, c, inner, ch int, a, b float32, mode int) {
	panic("cpu: no vector batch norm")
}

func bnChannelGradAffineVec(dx, g, y, x []float32, outer, c, inner, ch int, p, q, r float32) {
	panic("cpu: no vector batch norm")
}
