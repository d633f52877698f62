package blas

import (
	"sync"
)

// kernel is a register-blocked micro-kernel plus the cache block sizes
// that suit it. fn adds the product of a packed mr x kc sliver of A (kc
// groups of mr values, one per row) and a packed kc x nr sliver of B (kc
// rows of nr values) to the mr x nr block of C starting at c[0], whose
// rows are ldc elements apart. A kernel with edge set writes only the
// top-left h x w corner of that block; others always write the whole
// block and get a scratch tile at the edges of C.
type kernel struct {
	name   string
	mr, nr int
	mc, kc int // rows of A and depth packed per block (mc is a multiple of mr)
	nc     int // columns of B packed per panel (a multiple of nr)
	edge   bool
	fn     func(kc int, a, b, c []float32, ldc, h, w int)
}

// kcAll is the depth KC of every micro-kernel. Each kernel sums an
// element's products over one KC block from zero with fused multiply-adds
// in order of k, then adds that sum to C, so kernels with the same KC give
// the same bits: the AVX-512, AVX2 and portable kernels agree exactly, and
// a product computed with the pure-Go build has the same bits on AVX2 and
// AVX-512 machines (see TestGoKernelsAgreeBitForBit).
const kcAll = 384

// minFlopsPerThread is the work below which another thread costs more
// (goroutine start, a second packing of B) than it saves.
const minFlopsPerThread = 96 * 96 * 96

// SgemmGo is Sgemm computed by the pure-Go implementation of this package,
// whatever Impl says. It has the same contract as Sgemm and uses Threads()
// goroutines.
func SgemmGo(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkArgs(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	gemmGo(bestKernel, Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// GoKernel names the micro-kernel SgemmGo uses on this machine: "avx512",
// "avx2" or "generic".
func GoKernel() string { return bestKernel.name }

// gemmGo is SgemmGo with an explicit kernel and thread count; arguments
// have been checked.
func gemmGo(kr *kernel, nt int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	g := gemmJob{kr: kr, transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha,
		a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc}
	// int64: m*n*k overflows int on 32-bit systems.
	if w := int64(m) * int64(n) * int64(k) / minFlopsPerThread; w < int64(nt) {
		nt = max(1, int(w))
	}
	tm, tn := splitGrid(nt, m, n, kr.mr, kr.nr)
	if tm*tn == 1 {
		g.run(0, m, 0, n)
		return
	}
	mTiles, nTiles := ceilDiv(m, kr.mr), ceilDiv(n, kr.nr)
	var wg sync.WaitGroup
	for ti := 0; ti < tm; ti++ {
		i0, i1 := min(m, ti*mTiles/tm*kr.mr), min(m, (ti+1)*mTiles/tm*kr.mr)
		for tj := 0; tj < tn; tj++ {
			j0, j1 := min(n, tj*nTiles/tn*kr.nr), min(n, (tj+1)*nTiles/tn*kr.nr)
			if i0 == i1 || j0 == j1 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				g.run(i0, i1, j0, j1)
			}()
		}
	}
	wg.Wait()
}

// splitGrid chooses how to cut an m x n C into tm x tn thread tiles,
// tm*tn <= nt, along mr x nr micro-tile boundaries, so that the largest
// tile is as small as possible; among equals it prefers tiles closer to
// square (less packing), then splitting rows (contiguous memory).
func splitGrid(nt, m, n, mr, nr int) (tm, tn int) {
	mTiles, nTiles := ceilDiv(m, mr), ceilDiv(n, nr)
	tm, tn = 1, 1
	best, bestPerim := m*n, m+n
	for t := nt; t >= 1; t-- {
		for i := t; i >= 1; i-- {
			if t%i != 0 {
				continue
			}
			j := t / i
			if i > mTiles || j > nTiles {
				continue
			}
			h, w := min(m, ceilDiv(mTiles, i)*mr), min(n, ceilDiv(nTiles, j)*nr)
			if area, perim := h*w, h+w; area < best || (area == best && perim < bestPerim) {
				tm, tn, best, bestPerim = i, j, area, perim
			}
		}
	}
	return tm, tn
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// gemmJob holds one product's operands; run computes one tile of C.
type gemmJob struct {
	kr             *kernel
	transA, transB bool
	m, n, k        int
	alpha          float32
	a              []float32
	lda            int
	b              []float32
	ldb            int
	beta           float32
	c              []float32
	ldc            int
}

// buffers are a worker's packing space, reused across calls.
type buffers struct{ ap, bp, tmp []float32 }

var bufPool = sync.Pool{New: func() any { return new(buffers) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// run computes rows [i0,i1) and columns [j0,j1) of C. Each block of C is
// scaled by beta just before its first update, while it is in cache.
func (g *gemmJob) run(i0, i1, j0, j1 int) {
	kr := g.kr
	mr, nr := kr.mr, kr.nr
	buf := bufPool.Get().(*buffers)
	defer bufPool.Put(buf)
	kcMax := min(kr.kc, g.k)
	ncMax := min(kr.nc, ceilDiv(j1-j0, nr)*nr)
	mcMax := min(kr.mc, ceilDiv(i1-i0, mr)*mr)
	buf.ap = grow(buf.ap, mcMax*kcMax)
	buf.bp = grow(buf.bp, ncMax*kcMax)
	buf.tmp = grow(buf.tmp, mr*nr)

	for jc := j0; jc < j1; jc += kr.nc {
		nc := min(kr.nc, j1-jc)
		for pc := 0; pc < g.k; pc += kr.kc {
			kc := min(kr.kc, g.k-pc)
			g.packB(buf.bp, pc, kc, jc, nc)
			for ic := i0; ic < i1; ic += kr.mc {
				mc := min(kr.mc, i1-ic)
				if pc == 0 {
					scaleC(mc, nc, g.beta, g.c[ic*g.ldc+jc:], g.ldc)
				}
				g.packA(buf.ap, ic, mc, pc, kc)
				g.macro(buf, ic, mc, jc, nc, kc)
			}
		}
	}
}

// macro multiplies the packed mc x kc block of A by the packed kc x nc
// panel of B into C, one mr x nr micro-tile at a time. Micro-tiles that
// stick out of C are computed in a scratch tile that holds C's values
// (zeros outside C) and copied back, so each element gets the kernel's
// own c + sum, as inside C.
func (g *gemmJob) macro(buf *buffers, ic, mc, jc, nc, kc int) {
	kr := g.kr
	mr, nr := kr.mr, kr.nr
	c, ldc := g.c, g.ldc
	for ir := 0; ir < mc; ir += mr {
		h := min(mr, mc-ir)
		as := buf.ap[ir*kc : ir*kc+mr*kc]
		for jr := 0; jr < nc; jr += nr {
			w := min(nr, nc-jr)
			bs := buf.bp[jr*kc : jr*kc+nr*kc]
			off := (ic+ir)*ldc + jc + jr
			if kr.edge || (h == mr && w == nr) {
				kr.fn(kc, as, bs, c[off:], ldc, h, w)
				continue
			}
			tmp := buf.tmp
			clear(tmp)
			for r := 0; r < h; r++ {
				copy(tmp[r*nr:r*nr+w], c[off+r*ldc:off+r*ldc+w])
			}
			kr.fn(kc, as, bs, tmp, nr, mr, nr)
			for r := 0; r < h; r++ {
				copy(c[off+r*ldc:off+r*ldc+w], tmp[r*nr:r*nr+w])
			}
		}
	}
}

// packA copies alpha * op(A)[ic:ic+mc, pc:pc+kc] into ap as slivers of mr
// rows: sliver s holds, for each p, the mr values op(A)[ic+s*mr+r, pc+p].
// Rows past mc are zero.
func (g *gemmJob) packA(ap []float32, ic, mc, pc, kc int) {
	mr := g.kr.mr
	alpha, a, lda := g.alpha, g.a, g.lda
	for is := 0; is < mc; is += mr {
		h := min(mr, mc-is)
		dst := ap[is*kc : is*kc+mr*kc]
		if g.transA {
			// Stored k x m: each p is a contiguous run of h values.
			for p := 0; p < kc; p++ {
				src := a[(pc+p)*lda+ic+is:]
				src = src[:h]
				d := dst[p*mr : p*mr+mr]
				for r, v := range src {
					d[r] = alpha * v
				}
				clear(d[h:])
			}
			continue
		}
		// Stored m x k: interleave h rows, four at a time.
		row := func(r int) []float32 { return a[(ic+is+r)*lda+pc:][:kc] }
		r := 0
		for ; r+4 <= h; r += 4 {
			interleave4(dst[r:], mr, row(r), row(r+1), row(r+2), row(r+3), alpha)
		}
		for ; r < h; r++ {
			interleave1(dst[r:], mr, row(r), alpha)
		}
		if h < mr {
			for p := 0; p < kc; p++ {
				clear(dst[p*mr+h : p*mr+mr])
			}
		}
	}
}

// interleave4 sets d[p*stride+i] = alpha * ri[p] for the four rows r0-r3
// (of equal length): the transposing copy that packing needs.
func interleave4(d []float32, stride int, r0, r1, r2, r3 []float32, alpha float32) {
	n := len(r0)
	r1, r2, r3 = r1[:n], r2[:n], r3[:n]
	if n == 0 {
		return
	}
	_ = d[(n-1)*stride+3]
	for p := range r0 {
		q := d[p*stride : p*stride+4 : p*stride+4]
		q[0] = alpha * r0[p]
		q[1] = alpha * r1[p]
		q[2] = alpha * r2[p]
		q[3] = alpha * r3[p]
	}
}

// interleave1 sets d[p*stride] = alpha * r0[p].
func interleave1(d []float32, stride int, r0 []float32, alpha float32) {
	for p, v := range r0 {
		d[p*stride] = alpha * v
	}
}

// packB copies op(B)[pc:pc+kc, jc:jc+nc] into bp as slivers of nr
// columns: sliver s holds, for each p, the nr values
// op(B)[pc+p, jc+s*nr+j]. Columns past nc are zero.
func (g *gemmJob) packB(bp []float32, pc, kc, jc, nc int) {
	nr := g.kr.nr
	b, ldb := g.b, g.ldb
	for js := 0; js < nc; js += nr {
		w := min(nr, nc-js)
		dst := bp[js*kc : js*kc+nr*kc]
		if !g.transB {
			for p := 0; p < kc; p++ {
				d := dst[p*nr : p*nr+nr]
				copy(d, b[(pc+p)*ldb+jc+js:][:w])
				clear(d[w:])
			}
			continue
		}
		// Stored n x k: column j of op(B) is row jc+js+j of b.
		col := func(j int) []float32 { return b[(jc+js+j)*ldb+pc:][:kc] }
		j := 0
		for ; j+4 <= w; j += 4 {
			interleave4(dst[j:], nr, col(j), col(j+1), col(j+2), col(j+3), 1)
		}
		for ; j < w; j++ {
			interleave1(dst[j:], nr, col(j), 1)
		}
		if w < nr {
			for p := 0; p < kc; p++ {
				clear(dst[p*nr+w : p*nr+nr])
			}
		}
	}
}
