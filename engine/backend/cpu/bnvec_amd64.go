//go:build amd64 && !purego

package cpu

import "golang.org/x/sys/cpu"

// Batch norm's loops in AVX2 (bnvec_amd64.s), with the bits of their Go
// definitions in bnvec.go. The Go loops run about one value per cycle (a
// float32 add's latency over eight running sums, and scalar multiplies);
// the sums here keep 32 running sums in four vectors.

//go:noescape
func bnSumsAVX2(r *float32, n, planes, stride int, k float32, square int) float64

//go:noescape
func bnGradSumsAVX2(gr, y, x *float32, n, planes, stride int, m float32, masked int) (sum, sumx float64)

//go:noescape
func bnAffineAVX2(out, in, res *float32, n, planes, stride int, a, b float32, mode int)

//go:noescape
func bnGradAffineAVX2(dx, gr, y, x *float32, n, planes, stride int, p, q, r float32, masked, hasX int)

// bnVec is whether batch norm's loops take the AVX2 code (tests turn it
// off to compare with the Go code).
var bnVec = cpu.X86.HasAVX2

func bnBlockSumsVec(r []float32, k float32, square bool) float64 {
	sq := 0
	if square {
		sq = 1
	}
	return bnSumsAVX2(&r[0], len(r), 1, 0, k, sq)
}

// bnGradSumsVec needs len(y) and len(x) >= len(g) (y nil: unmasked).
func bnGradSumsVec(g, y, x []float32, m float32) (float64, float64) {
	_ = x[len(g)-1]
	if y == nil {
		return bnGradSumsAVX2(&g[0], nil, &x[0], len(g), 1, 0, m, 0)
	}
	_ = y[len(g)-1]
	return bnGradSumsAVX2(&g[0], &y[0], &x[0], len(g), 1, 0, m, 1)
}

// bnAffineVec does all len(in) values (res nil unless mode 2) and returns
// how many.
func bnAffineVec(out, in, res []float32, a, b float32, mode int) int {
	n := len(in)
	if n == 0 {
		return 0
	}
	_ = out[n-1]
	var rp *float32
	if mode == 2 {
		_ = res[n-1]
		rp = &res[0]
	}
	bnAffineAVX2(&out[0], &in[0], rp, n, 1, 0, a, b, mode)
	return n
}

// bnGradAffineVec does all len(dx) values and returns how many.
func bnGradAffineVec(dx, g, y, x []float32, p, q, r float32) int {
	n := len(dx)
	if n == 0 {
		return 0
	}
	_ = g[n-1]
	var yp, xp *float32
	masked, hasX := 0, 0
	if y != nil {
		_ = y[n-1]
		yp, masked = &y[0], 1
	}
	if x != nil {
		_ = x[n-1]
		xp, hasX = &x[0], 1
	}
	bnGradAffineAVX2(&dx[0], &g[0], yp, xp, n, 1, 0, p, q, r, masked, hasX)
	return n
}

// The channel versions run a channel's planes of an [outer][c][inner]
// tensor in one call, in the order and with the bits of the Go loops of
// batchnorm.go over the planes: on small planes (7x7, 3x3) a call a
// plane cost more than the values.

// chanPlanes checks that channel ch's planes lie inside s (nil passes)
// and returns a pointer to the first.
func chanPlanes(s []float32, outer, c, inner, ch int) *float32 {
	if s == nil || outer <= 0 || inner <= 0 {
		return nil
	}
	_ = s[((outer-1)*c+ch+1)*inner-1]
	return &s[ch*inner]
}

func bnChannelSumsVec(xs []float32, outer, c, inner, ch int, k float32, square bool) float64 {
	sq := 0
	if square {
		sq = 1
	}
	return bnSumsAVX2(chanPlanes(xs, outer, c, inner, ch), inner, outer, c*inner, k, sq)
}

func bnChannelGradSumsVec(g, y, x []float32, outer, c, inner, ch int, m float32) (float64, float64) {
	masked := 0
	if y != nil {
		masked = 1
	}
	return bnGradSumsAVX2(chanPlanes(g, outer, c, inner, ch), chanPlanes(y, outer, c, inner, ch), chanPlanes(x, outer, c, inner, ch),
		inner, outer, c*inner, m, masked)
}

func bnChannelAffineVec(out, in, res []float32, outer, c, inner, ch int, a, b float32, mode int) {
	if mode != 2 {
		res = nil
	}
	bnAffineAVX2(chanPlanes(out, outer, c, inner, ch), chanPlanes(in, outer, c, inner, ch), chanPlanes(res, outer, c, inner, ch),
		inner, outer, c*inner, a, b, mode)
}

func bnChannelGradAffineVec(dx, g, y, x []float32, outer, c, inner, ch int, p, q, r float32) {
	masked, hasX := 0, 0
	if y != nil {
		masked = 1
	}
	if x != nil {
		hasX = 1
	}
	bnGradAffineAVX2(chanPlanes(dx, outer, c, inner, ch), chanPlanes(g, outer, c, inner, ch), chanPlanes(y, outer, c, inner, ch),
		chanPlanes(x, outer, c, inner, ch), inner, outer, c*inner, p, q, r, masked, hasX)
}
