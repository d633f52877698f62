package cpu

import (
	"fmt"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// Convolution as a GEMM packed by the convolution itself, for the
// forward pass of groups-1 convolutions with a kernel larger than 1x1 that
// take no Winograd path and are strided or have output rows of 64 or more
// (fast style's 9x9 input layer and its stride-2 layers, ResNet-50's 7x7
// stem and stride-2 3x3 layers). The GEMM paths build a column matrix,
// hand it to Sgemm, which copies it once more into its own panels and
// first clears the output, and the whole-batch one then scatters the
// product back to NCHW; with few output channels (32 to 128) those copies
// cost as much as the multiply-adds. Here the output pixels of the batch
// are cut into blocks of NB (a multiple of the micro-kernel's NR, across
// image edges), and for each block and each KC slice of the C·KH·KW rows:
//
//   - the im2col values are written straight into the B-panel layout
//     [NB/NR][KC][NR] (one copy per run of a row for stride 1);
//   - the weights, packed once per call as A panels [⌈OC/MR⌉][K][MR]
//     with the bias as a last column (and a row of ones in B), are
//     multiplied into a block of the output M [OC][NB] by the
//     micro-kernel, which adds each KC slice's sum to M in order;
//
// and M goes to the NCHW output, one copy per channel and image, once the
// last slice is in. B stays under half a MiB and M under one; the weights
// are read once per block. When the blocks are fewer than twice the
// threads (one small image), the output channels are split among the
// threads as well. Every output is the same sum over the same KC slices in
// the same order whatever the block, the split, the thread count and the
// kernel, so the bits do not depend on the machine or on --threads.
//
// Where it does not pay (measured with BenchmarkConvBatch, gemm-form
// against batch, 2 threads): 1x1 layers (the planes are already the
// column matrix: as fast forward, 15-25% slower for the input gradient
// as a transposed 1x1 convolution), 1x1 stride 2 (a strided gather, 20%
// slower), stride-1 3x3 on rows under 64 (runs of a row shorter than NR:
// the speedrun's 24-to-64 layer on 31x31 took 1.2x as long), and few
// pixels (fusedMinPixels).

// fusedMinPixels is the fewest output pixels (over the batch) that take
// the packed path. Below it the blocks are too few for the threads and
// their channels are split among them, each packing the block again: at
// batch 1, ResNet-50's stride-2 3x3 layers (784, 196 and 49 pixels) took
// 1.4-1.6x the time of the GEMM path on 2 threads.
const fusedMinPixels = 4096

// useFusedConv reports whether the forward pass of a convolution that
// takes no Winograd path runs as fusedConv.
func useFusedConv(g backend.ConvGeom, o backend.ConvGroups) bool {
	return o.Groups == 1 && useWinoFused() && g.KH*g.KW > 1 && (g.SH > 1 || g.SW > 1 || g.OW >= 64) &&
		g.N*g.OH*g.OW >= fusedMinPixels
}

// fusedConvName is what ConvPath calls the fused forward pass.
func fusedConvName(g backend.ConvGeom) string {
	if pointwise(g) {
		return "1x1 packed gemm"
	}
	return fmt.Sprintf("%dx%d packed im2col", g.KH, g.KW)
}

// fusedConv writes y [N, oc, OH, OW] = x ⋆ w (+ bias) for geometry g
// (groups 1).
func fusedConv(ys, xs, ws, bs []float32, g backend.ConvGeom, oc int) {
	mk := micro()
	mr, nr, kcMax := mk.MR(), mk.NR(), mk.KC()
	// With a bias, the weights get a last column holding it and the
	// column matrix a last row of ones: the bias is one more term of each
	// sum, and M goes to the output as one copy.
	k := g.C * g.KH * g.KW
	if bs != nil {
		k++
	}
	kc := min(k, kcMax)
	nob := (oc + mr - 1) / mr
	ohw := g.OH * g.OW
	total := g.N * ohw
	// Block size: B (kc x nb) under 512 KiB, M (the channels of one item
	// x nb) under 1 MiB, at most 512 pixels, no more than the pixels.
	nb := (winoTarget / 2 / (4 * kc)) / nr * nr
	nb = min(nb, max(nr, (winoTarget/(4*nob*mr))/nr*nr), 512, (total+nr-1)/nr*nr)
	nb = max(nb, nr)
	blocks := (total + nb - 1) / nb
	threads := parallel.Threads()
	groups := 1
	if blocks < 2*threads {
		groups = min(nob, (2*threads+blocks-1)/blocks)
	}
	ap := alloc(nob*mr*k, false)
	defer freeBuf(ap)
	packConvWeights(ap.D, ws, bs, oc, g.C*g.KH*g.KW, mr)
	// Each item is one block and one group of output channel panels.
	parallel.For(blocks*groups, 2*oc*k*nb/groups, func(lo, hi int) {
		bb := alloc(kc*nb, false)
		mb := alloc(((nob+groups-1)/groups)*mr*nb, false)
		defer freeBuf(bb)
		defer freeBuf(mb)
		for it := lo; it < hi; it++ {
			blk, grp := it/groups, it%groups
			ob0, ob1 := grp*nob/groups, (grp+1)*nob/groups
			q0, q1 := blk*nb, min(total, (blk+1)*nb)
			panels := (q1 - q0 + nr - 1) / nr
			m := mb.D[:(ob1-ob0)*mr*nb]
			clear(m)
			for k0 := 0; k0 < k; k0 += kc {
				kl := min(kc, k-k0)
				b := bb.D[:panels*kl*nr]
				packIm2col(b, xs, g, q0, q1, nr, k0, k0+kl)
				for ob := ob0; ob < ob1; ob++ {
					a := ap.D[(ob*k+k0)*mr:]
					mrow := m[(ob-ob0)*mr*nb:]
					for tb := range panels {
						mk.Tile(kl, a, b[tb*kl*nr:], mrow[tb*nr:], nb)
					}
				}
			}
			// M to the NCHW output.
			o0, o1 := ob0*mr, min(oc, ob1*mr)
			for q := q0; q < q1; {
				n, p := q/ohw, q%ohw
				run := min(q1-q, ohw-p)
				j := q - q0
				for o := o0; o < o1; o++ {
					copy(ys[(n*oc+o)*ohw+p:(n*oc+o)*ohw+p+run], m[(o-o0)*nb+j:(o-o0)*nb+j+run])
				}
				q += run
			}
		}
	})
}

// packConvWeights writes the [oc][k] weight matrix, and the bias as a
// last column if there is one, as A panels: ap[(ob·k' + kk)·mr + i] = A[ob·mr + i][kk] (k' = k,
// or k+1 with the bias), zero for rows past oc.
func packConvWeights(ap, ws, bs []float32, oc, k, mr int) {
	nob := (oc + mr - 1) / mr
	kt := k
	if bs != nil {
		kt++
	}
	parallel.For(nob, k*mr*2, func(lo, hi int) {
		for ob := lo; ob < hi; ob++ {
			dst := ap[ob*kt*mr : (ob+1)*kt*mr]
			for i := range mr {
				r := ob*mr + i
				if r >= oc {
					for kk := range kt {
						dst[kk*mr+i] = 0
					}
					continue
				}
				if bs != nil {
					dst[k*mr+i] = bs[r]
				}
				for kk, v := range ws[r*k : (r+1)*k] {
					dst[kk*mr+i] = v
				}
			}
		}
	})
}

// packIm2col writes rows k0..k1-1 of the column matrix for output pixels
// q0..q1-1 of the batch (q = n·OH·OW + oh·OW + ow) as B panels: pixel j =
// q-q0 of row kk at b[(j/nr)·(k1-k0)·nr + (kk-k0)·nr + j%nr]. Row kk is
// (c, ky, kx) = (kk / KH·KW, kk / KW % KH, kk % KW), as in im2col; row
// C·KH·KW, the bias's, is ones.
func packIm2col(b, xs []float32, g backend.ConvGeom, q0, q1, nr, k0, k1 int) {
	kl := k1 - k0
	ohw, hw, khw := g.OH*g.OW, g.H*g.W, g.KH*g.KW
	pw := pointwise(g)
	for q := q0; q < q1; {
		n, p := q/ohw, q%ohw
		oh, ow := p/g.OW, p%g.OW
		j := q - q0
		lane := j % nr
		run := min(q1-q, nr-lane)
		if pw {
			run = min(run, ohw-p)
		} else {
			run = min(run, g.OW-ow)
		}
		base := j/nr*kl*nr + lane
		img := xs[n*g.C*hw : (n+1)*g.C*hw]
		if pw {
			for kk := k0; kk < min(k1, g.C); kk++ {
				copy(b[base+(kk-k0)*nr:base+(kk-k0)*nr+run], img[kk*hw+p:kk*hw+p+run])
			}
			if k1 > g.C {
				ones(b[base+(g.C-k0)*nr : base+(g.C-k0)*nr+run])
			}
			q += run
			continue
		}
		c, r := k0/khw, k0%khw
		ky, kx := r/g.KW, r%g.KW
		for off := base; off < base+kl*nr; off += nr {
			dst := b[off : off+run]
			if c == g.C {
				ones(dst)
			} else if ih := oh*g.SH - g.PH + ky*g.DH; ih < 0 || ih >= g.H {
				clear(dst)
			} else {
				row := img[c*hw+ih*g.W : c*hw+(ih+1)*g.W]
				// Pixels i of the run read column iw0 + i·SW; those in
				// [a, e) fall inside the plane.
				iw0 := ow*g.SW - g.PW + kx*g.DW
				a := 0
				if iw0 < 0 {
					a = min(run, (-iw0+g.SW-1)/g.SW)
				}
				e := a
				if g.W > iw0 {
					e = max(a, min(run, (g.W-iw0+g.SW-1)/g.SW))
				}
				clear(dst[:a])
				if g.SW == 1 {
					if a < e {
						copy(dst[a:e], row[iw0+a:iw0+e])
					}
				} else {
					for i := a; i < e; i++ {
						dst[i] = row[iw0+i*g.SW]
					}
				}
				clear(dst[e:])
			}
			if kx++; kx == g.KW {
				if kx = 0; ky+1 == g.KH {
					ky, c = 0, c+1
				} else {
					ky++
				}
			}
		}
		q += run
	}
}

func ones(s []float32) {
	for i := range s {
		s[i] = 1
	}
}
