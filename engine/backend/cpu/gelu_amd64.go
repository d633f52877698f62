//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

// geluAVX2 and geluGradAVX2 are geluSlice's and geluGradSlice's loops on
// eight values at a time (gelu_amd64.s), n a multiple of 8: the same
// operations as geluFast and geluGradFast, so the same bits, about
// eight times faster.
//
//go:noescape
func geluAVX2(y, x *float32, n int)

//go:noescape
func geluGradAVX2(dst, x, dy *float32, n int)

// hasGeluAVX2 is a variable so that tests can compare the two paths.
var hasGeluAVX2 = cpu.X86.HasAVX2

// geluBlocks writes y[i] = GELU(x[i]) for the longest prefix of y that is
// a multiple of 8, where the CPU has AVX2, and returns its length.
func geluBlocks(y, x []float32) int {
	n := len(y) &^ 7
	if !hasGeluAVX2 || n == 0 {
		return 0
	}
	_ = x[n-1]
	geluAVX2(&y[0], &x[0], n)
	return n
}

// geluGradBlocks is geluBlocks for the gradient: g[i] = dy[i]·GELU'(x[i]).
func geluGradBlocks(g, x, dy []float32) int {
	n := len(g) &^ 7
	if !hasGeluAVX2 || n == 0 {
		return 0
	}
	_, _ = x[n-1], dy[n-1]
	geluGradAVX2(&g[0], &x[0], &dy[0], n)
	return n
}
