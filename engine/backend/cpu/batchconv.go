package cpu

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/blas"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// Whole-batch convolution for small output planes. Image by image, the
// GEMM of a convolution has OH·OW columns: 784, 196 and 49 on ResNet-50's
// later stages, 256 and 64 on the speedrun net. There the library packs
// the whole weight matrix again for every few columns of output and runs
// its kernels on narrow edge blocks, far below its peak, and the weight
// gradient is a sum of N thin products. Here a chunk of images shares one
// column matrix [C·KH·KW (+1), B·OH·OW] (image j's columns at j·OH·OW; for
// a 1x1 stride-1 convolution it is the input planes gathered side by
// side), so each pass is one GEMM with B·OH·OW columns:
//
//	forward:         Y[OC, B·P]   = W · col           (scattered to NCHW)
//	weight gradient: dW[OC, CKK] += dY[OC, B·P] · colᵀ (k = B·P)
//	input gradient:  dcol         = Wᵀ · dY           (folded back per image)
//
// The bias is added as the output is scattered back to NCHW; its gradient
// rides in the weight gradient's product (a last row of ones in the
// column matrix gives a last column of dy's sums).
//
// The chunk size B bounds the scratch (batchScratch values) and depends on
// the sizes only, the products are threaded by engine/blas (blocks that
// depend on the sizes only) and the copies write disjoint ranges, so the
// result is the same bit for bit on any thread count.

var (
	// batchMaxPlane is the largest output plane that takes the whole-batch
	// path. Measured on ResNet-50's shapes at batch 16 (wall time on 2
	// threads, load 2-4, two runs): on 14x14 and 7x7 planes it takes 0.55
	// to 0.9 of the per-image time forward and backward; on 28x28 planes
	// about the same forward (0.85 to 1.15) and 0.7 to 1.0 backward (the
	// copies into and out of the column matrix cost about what the wider
	// GEMM saves forward; the weight gradient gains). On the speedrun
	// net's 31x31 plane (24 input channels) it made no difference. (A
	// variable: benchmarks move it.)
	batchMaxPlane = 28 * 28

	// batchMinWeights is the fewest weights (OC·C·KH·KW) of a convolution
	// that takes the whole-batch path. With few weights the products are
	// cheap next to the copies into and out of the batch's column matrix:
	// ref-cnn's two layers (32x1x3x3 on 28x28, 64x32x3x3 on 14x14; batch
	// 64) trained 10% and 12% slower on it than image by image (4,300-4,600
	// against 3,400-3,900 images/s, ours alone, alternated). Every layer
	// of ResNet-50 and of the speedrun net has at least 36,864.
	batchMinWeights = 1 << 15

	// batchScratch bounds a chunk's scratch (column matrix and the gathered
	// output or output gradient), in values (16 MiB); tests lower it to
	// cut small batches into chunks.
	batchScratch = 1 << 22
	// batchOff turns the whole-batch path off (benchmarks compare it with
	// the per-image path).
	batchOff bool
)

// useBatch reports whether a convolution takes the whole-batch path. It
// depends on the shapes only (never on the thread count), so the bits of
// the result do not either.
func useBatch(g backend.ConvGeom, o backend.ConvGroups) bool {
	return !batchOff && o.Groups == 1 && g.N >= 2 && g.OH*g.OW <= batchMaxPlane && o.OC*g.ColRows() >= batchMinWeights &&
		!useWinograd(g, o)
}

// batchChunks is how many chunks a batch of n images is cut into when each
// image needs perImage values of scratch.
func batchChunks(n, perImage int) int {
	b := max(1, min(n, batchScratch/max(1, perImage)))
	return (n + b - 1) / b
}

// chunkRange is the images [n0, n1) of chunk ch of chunks.
func chunkRange(n, ch, chunks int) (n0, n1 int) { return ch * n / chunks, (ch + 1) * n / chunks }

// convForwardBatch is ConvForward on the whole-batch path. The bias is
// added while the product is scattered back to NCHW.
func convForwardBatch(ys, xs, ws, bs []float32, g backend.ConvGeom, o backend.ConvGroups) {
	p, k := g.OH*g.OW, g.ColRows()
	chunks := batchChunks(g.N, (k+o.OC)*p)
	maxCols := (g.N + chunks - 1) / chunks * p
	colb, outb := alloc(k*maxCols, false), alloc(o.OC*maxCols, false)
	defer freeBuf(colb)
	defer freeBuf(outb)
	for ch := range chunks {
		n0, n1 := chunkRange(g.N, ch, chunks)
		cols := (n1 - n0) * p
		col, yc := colb.D[:k*cols], outb.D[:o.OC*cols]
		batchCols(col, xs, g, n0, n1, false)
		blas.Sgemm(false, false, o.OC, cols, k, 1, ws, k, col, cols, 0, yc, cols)
		scatterPlanes(ys, yc, bs, n0, n1, o.OC, p)
	}
}

// convBackwardBatch is ConvBackward on the whole-batch path. One scratch
// matrix serves as the column matrix of the weight gradient and then as
// the column-matrix gradient of the input gradient.
func convBackwardBatch(dxs, dws, dbs, dys, xs, ws []float32, g backend.ConvGeom, o backend.ConvGroups) {
	p, ckk := g.OH*g.OW, g.ColRows()
	if dws == nil && dxs == nil {
		if dbs != nil {
			biasGrad(dbs, dys, g.N, o.OC, p)
		}
		return
	}
	fold := dws != nil && dbs != nil
	kw := ckk
	if fold {
		kw = ckk + 1
	}
	rows := 0
	if dws != nil {
		rows = kw
	}
	if dxs != nil {
		rows = max(rows, ckk)
	}
	chunks := batchChunks(g.N, (rows+o.OC)*p)
	maxCols := (g.N + chunks - 1) / chunks * p
	dyb, colb := alloc(o.OC*maxCols, false), alloc(rows*maxCols, false)
	defer freeBuf(dyb)
	defer freeBuf(colb)
	// The weight gradient accumulates over the chunks in order, into dw
	// itself or, with the bias folded in, into an [OC, CKK+1] matrix.
	acc, ldAcc := dws, ckk
	if fold {
		ab := alloc(o.OC*kw, false)
		defer freeBuf(ab)
		acc, ldAcc = ab.D, kw
	}
	inImg := g.C * g.H * g.W
	for ch := range chunks {
		n0, n1 := chunkRange(g.N, ch, chunks)
		cols := (n1 - n0) * p
		dyc := dyb.D[:o.OC*cols]
		gatherPlanes(dyc, dys, n0, n1, o.OC, p)
		if dws != nil {
			col := colb.D[:kw*cols]
			batchCols(col, xs, g, n0, n1, fold)
			beta := float32(1)
			if ch == 0 {
				beta = 0
			}
			blas.Sgemm(false, true, o.OC, kw, cols, 1, dyc, cols, col, cols, beta, acc, ldAcc)
		}
		if dxs != nil {
			dcol := colb.D[:ckk*cols]
			blas.Sgemm(true, false, ckk, cols, o.OC, 1, ws, ckk, dyc, cols, 0, dcol, cols)
			if pointwise(g) {
				scatterPlanes(dxs, dcol, nil, n0, n1, g.C, p)
			} else {
				parallel.For(g.C, (n1-n0)*g.KH*g.KW*p, func(lo, hi int) {
					for n := n0; n < n1; n++ {
						col2imChannels(dxs[n*inImg:(n+1)*inImg], dcol[(n-n0)*p:], g, lo, hi, cols)
					}
				})
			}
		}
	}
	if fold {
		for oc := range o.OC {
			copy(dws[oc*ckk:(oc+1)*ckk], acc[oc*kw:oc*kw+ckk])
			dbs[oc] = acc[oc*kw+ckk]
		}
	}
	if dbs != nil && !fold {
		biasGrad(dbs, dys, g.N, o.OC, p)
	}
}

// biasGrad writes db[oc] = the sum of dy's planes oc over the n images,
// added in float64.
func biasGrad(db, dy []float32, n, oc, p int) {
	for c := range db[:oc] {
		var s float64
		for i := range n {
			s += sum64(dy[(i*oc+c)*p : (i*oc+c+1)*p])
		}
		db[c] = float32(s)
	}
}

// batchCols writes the column matrix of images n0..n1-1 of x into col
// ([C·KH·KW, (n1-n0)·OH·OW], image j's columns at j·OH·OW), with a last
// row of ones when ones is set.
func batchCols(col, xs []float32, g backend.ConvGeom, n0, n1 int, ones bool) {
	p, ckk := g.OH*g.OW, g.ColRows()
	cols := (n1 - n0) * p
	if pointwise(g) {
		gatherPlanes(col, xs, n0, n1, g.C, p)
	} else {
		inImg := g.C * g.H * g.W
		parallel.For(g.C, (n1-n0)*g.KH*g.KW*p, func(lo, hi int) {
			for n := n0; n < n1; n++ {
				im2colChannels(col[(n-n0)*p:], xs[n*inImg:(n+1)*inImg], g, lo, hi, cols)
			}
		})
	}
	if ones {
		last := col[ckk*cols : (ckk+1)*cols]
		for i := range last {
			last[i] = 1
		}
	}
}

// gatherPlanes copies the ch planes of p values of images n0..n1-1 of
// src (NCHW) into dst [ch, (n1-n0)·p].
func gatherPlanes(dst, src []float32, n0, n1, ch, p int) {
	cols := (n1 - n0) * p
	parallel.For(ch, cols, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			for n := n0; n < n1; n++ {
				copy(dst[c*cols+(n-n0)*p:c*cols+(n-n0+1)*p], src[(n*ch+c)*p:(n*ch+c+1)*p])
			}
		}
	})
}

// scatterPlanes is the inverse of gatherPlanes: src [ch, (n1-n0)·p] into
// the planes of images n0..n1-1 of dst (NCHW), plus bias[c] on plane c
// when bias is not nil.
func scatterPlanes(dst, src, bias []float32, n0, n1, ch, p int) {
	cols := (n1 - n0) * p
	parallel.For(ch, cols, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			for n := n0; n < n1; n++ {
				d, s := dst[(n*ch+c)*p:(n*ch+c+1)*p], src[c*cols+(n-n0)*p:c*cols+(n-n0+1)*p]
				if bias == nil {
					copy(d, s)
					continue
				}
				b := bias[c]
				for i, v := range s[:len(d)] {
					d[i] = v + b
				}
			}
		}
	})
}
