//go:build linux || windows

package opengl

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
)

// gemmTile is one tiling of the SGEMM kernel: a workgroup computes a BM×BN
// tile of C through BK-deep slices, each invocation a TM×TN block.
type gemmTile struct{ BM, BN, BK, TM, TN int }

func (t gemmTile) threads() int { return (t.BM / t.TM) * (t.BN / t.TN) }

func (t gemmTile) spec() kernelSpec {
	return kernelSpec{file: "gemm", defines: []string{
		fmt.Sprintf("BM %d", t.BM), fmt.Sprintf("BN %d", t.BN), fmt.Sprintf("BK %d", t.BK),
		fmt.Sprintf("TM %d", t.TM), fmt.Sprintf("TN %d", t.TN), fmt.Sprintf("NT %d", t.threads())}}
}

// The tilings, largest first: 128×128 with 8×8 per invocation for large
// products, 64×64 with 4×4 for middling ones, and 32×128 for the short, wide
// products of convolutions with few output channels.
var (
	tileLarge  = gemmTile{BM: 128, BN: 128, BK: 8, TM: 8, TN: 8}
	tileMedium = gemmTile{BM: 64, BN: 64, BK: 16, TM: 4, TN: 4}
	tileWide   = gemmTile{BM: 32, BN: 128, BK: 16, TM: 4, TN: 4}
	gemmTiles  = []gemmTile{tileLarge, tileMedium, tileWide}
)

// busyGroups is the number of workgroups below which a product is split
// along k so that a large GPU has work for all its cores.
const busyGroups = 256

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// pickTile chooses the tiling for an m×n product.
func pickTile(m, n int) gemmTile {
	switch {
	case m <= 32:
		return tileWide
	case ceilDiv(m, tileLarge.BM)*ceilDiv(n, tileLarge.BN) >= busyGroups:
		return tileLarge
	}
	return tileMedium
}

// gemmPlan picks the tiling and the number of k splits for a product.
func gemmPlan(m, n, k int) plan {
	t := pickTile(m, n)
	splits := 1
	if g := ceilDiv(m, t.BM) * ceilDiv(n, t.BN); g < busyGroups && k >= 1024 {
		splits = min(ceilDiv(busyGroups, g), k/512, 32)
	}
	return splitK(t, k, splits)
}

// splitK divides k into about splits chunks of whole BK slices.
func splitK(t gemmTile, k, splits int) plan {
	kChunk := ceilDiv(ceilDiv(k, max(splits, 1)), t.BK) * t.BK
	return plan{t: t, splits: ceilDiv(k, kChunk), kChunk: kChunk}
}

func checkMatrix(name string, rows, cols, off, ld, have int) {
	if ld < max(1, cols) {
		panic(fmt.Sprintf("opengl: Gemm's ld%s=%d is smaller than the row length %d", name, ld, max(1, cols)))
	}
	if off < 0 {
		panic(fmt.Sprintf("opengl: Gemm's %s offset %d is negative", name, off))
	}
	if rows == 0 || cols == 0 {
		return
	}
	if need := off + (rows-1)*ld + cols; have < need {
		panic(fmt.Sprintf("opengl: Gemm's %s holds %d values, too few for a %dx%d matrix at offset %d with ld%s=%d (need %d)",
			name, have, rows, cols, off, name, ld, need))
	}
}

// Gemm implements backend.Backend.
func (g *GL) Gemm(transA, transB bool, m, n, k int, alpha float32,
	a backend.Buffer, offA, lda int, b backend.Buffer, offB, ldb int,
	beta float32, c backend.Buffer, offC, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("opengl: Gemm of negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	ha := g.check(a, 0, "Gemm's a")
	hb := g.check(b, 0, "Gemm's b")
	hc := g.check(c, 0, "Gemm's c")
	checkMatrix("a", ar, ac, offA, lda, a.Len())
	checkMatrix("b", br, bc, offB, ldb, b.Len())
	checkMatrix("c", m, n, offC, ldc, c.Len())
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		if beta == 1 {
			return
		}
		g.w.post(func() { g.gemmReduce(nil, 0, m, n, offC, ldc, alpha, beta, hc.id) })
		return
	}
	g.gemm(gemmPlan(m, n, k), transA, transB, m, n, k, alpha, ha, offA, lda, hb, offB, ldb, beta, hc, offC, ldc)
}

// plan is a tiling and a split of k.
type plan struct {
	t              gemmTile
	splits, kChunk int
}

// gemm runs a checked product with the given plan (tests force each one).
func (g *GL) gemm(pl plan, transA, transB bool, m, n, k int, alpha float32,
	ha *handle, offA, lda int, hb *handle, offB, ldb int, beta float32, hc *handle, offC, ldc int) {
	t, splits, kChunk := pl.t, pl.splits, pl.kChunk
	vecA := offA%4 == 0 && lda%4 == 0
	vecB := offB%4 == 0 && ldb%4 == 0
	g.w.post(func() {
		p := g.prog(t.spec())
		p.setInt("M", m)
		p.setInt("N", n)
		p.setInt("K", k)
		p.setInt("offA", offA)
		p.setInt("lda", lda)
		p.setInt("offB", offB)
		p.setInt("ldb", ldb)
		p.setInt("offC", offC)
		p.setInt("ldc", ldc)
		p.setInt("kChunk", kChunk)
		p.setBool("transA", transA)
		p.setBool("transB", transB)
		p.setBool("vecA", vecA)
		p.setBool("vecB", vecB)
		p.setFloat("alpha", alpha)
		p.setFloat("beta", beta)
		gx, gy := ceilDiv(n, t.BN), ceilDiv(m, t.BM)
		if splits == 1 {
			p.setBool("partial", false)
			g.dispatch(p, gx, gy, 1, ha.id, hb.id, hc.id)
			return
		}
		bytes := sizeClass(splits * m * n)
		scratch := g.acquire(bytes)
		p.setBool("partial", true)
		g.dispatch(p, gx, gy, splits, ha.id, hb.id, scratch)
		g.gemmReduce(&scratch, splits, m, n, offC, ldc, alpha, beta, hc.id)
		g.put(scratch, bytes)
	})
}

// gemmReduce folds split-K partial products into C, or with no scratch
// applies C = beta*C (GL thread).
func (g *GL) gemmReduce(scratch *uint32, splits, m, n, offC, ldc int, alpha, beta float32, c uint32) {
	p := g.prog(kGemmReduce)
	p.setInt("M", m)
	p.setInt("N", n)
	p.setInt("offC", offC)
	p.setInt("ldc", ldc)
	p.setInt("splits", splits)
	p.setFloat("alpha", alpha)
	p.setFloat("beta", beta)
	src := g.dummy
	if scratch != nil {
		src = *scratch
	}
	g.dispatch(p, g.groups(m*n, wg), 1, 1, src, c)
}
