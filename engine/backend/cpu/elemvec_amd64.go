//go:build amd64 && !purego

package cpu

// The ReLU family in AVX2 (elemvec_amd64.s), with the bits of the Go
// loops; the wrappers do the first len&^7 values and return how many, the
// callers' Go loops the rest. Enabled with batch norm's loops (bnVec).

//go:noescape
func reluAVX2(dst, src *float32, n int)

//go:noescape
func addReLUAVX2(dst, a, b *float32, n int)

//go:noescape
func reluGradAVX2(gr, x, dy *float32, n int)

//go:noescape
func reluMaskAVX2(dst, gr, y *float32, n int)

func reluVec(dst, src []float32) int {
	n := len(dst) &^ 7
	if !bnVec || n == 0 {
		return 0
	}
	_ = src[n-1]
	reluAVX2(&dst[0], &src[0], n)
	return n
}

func addReLUVec(dst, a, b []float32) int {
	n := len(dst) &^ 7
	if !bnVec || n == 0 {
		return 0
	}
	_, _ = a[n-1], b[n-1]
	addReLUAVX2(&dst[0], &a[0], &b[0], n)
	return n
}

func reluGradVec(g, x, dy []float32) int {
	n := len(g) &^ 7
	if !bnVec || n == 0 {
		return 0
	}
	_, _ = x[n-1], dy[n-1]
	reluGradAVX2(&g[0], &x[0], &dy[0], n)
	return n
}

func reluMaskVec(dst, g, y []float32) int {
	n := len(dst) &^ 7
	if !bnVec || n == 0 {
		return 0
	}
	_, _ = g[n-1], y[n-1]
	reluMaskAVX2(&dst[0], &g[0], &y[0], n)
	return n
}
