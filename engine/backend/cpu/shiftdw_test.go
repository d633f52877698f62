package cpu

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/blas"
)

// The shifted-grid weight gradient against the definition on shapes that
// reach each of its cases: batches under shiftDWMinChunked (one partial,
// the threads split each image's units) and over it (chunks of images),
// channel counts that leave lanes of the last group empty on either side,
// x on the kernel's rows and on its columns, planes whose rows are cut
// into several micro-kernel calls (31 x 32 cells > KC), widths that are
// and are not multiples of 8, non-square planes. Every assembly
// micro-kernel, 1 and 2 threads and the Go and AVX2 interleaving give the
// same bits.
func TestShiftDWMatchesDefinition(t *testing.T) {
	defer SetThreads(Threads())
	defer func(m func() blas.Micro, v bool) { micro, interleaveVec = m, v }(micro, interleaveVec)
	if !micro().Vector() {
		t.Skip("no assembly micro-kernel: the weight gradient takes im2col")
	}
	rng := rand.New(rand.NewPCG(21, 22))
	b := New()
	orient := map[bool]bool{}
	for _, s := range []struct{ n, c, h, w, oc int }{
		{2, 16, 12, 12, 16},  // one partial, narrowest plane
		{3, 17, 13, 16, 33},  // one partial, lanes left empty, width a multiple of 8
		{9, 33, 15, 15, 20},  // chunks, the other orientation
		{10, 24, 31, 31, 64}, // chunks, rows cut into three calls
		{1, 64, 12, 20, 19},  // one image
	} {
		g := backend.ConvGeom{N: s.n, C: s.c, H: s.h, W: s.w, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1}.Out()
		o := backend.ConvGroups{OC: s.oc, Groups: 1}
		if !useShiftDW(g, o) {
			t.Fatalf("%+v does not take the shifted-grid path", s)
		}
		orient[shiftDWPlan(g, s.oc).xOnM] = true
		x, dy := randn(rng, g.N*g.C*g.H*g.W), randn(rng, g.N*s.oc*g.OH*g.OW)
		w := &Buf{D: randn(rng, s.oc*g.C*9)}
		ref, mag, _, _ := refConvDw64(dy, x, g, s.oc)
		var first []float32
		var firstName string
		for _, k := range blas.MicroKernels() {
			if !k.Vector() {
				continue
			}
			micro = func() blas.Micro { return k }
			for _, th := range []int{1, 2} {
				for _, vec := range []bool{false, true} {
					SetThreads(th)
					interleaveVec = vec && interleaveVecOK
					what := fmt.Sprintf("%+v, %s kernel, %d threads, vector interleave %v", s, k.Name(), th, interleaveVec)
					dw := &Buf{D: randn(rng, len(w.D))}
					b.ConvBackward(nil, dw, nil, &Buf{D: dy}, &Buf{D: x}, w, g, o)
					checkClose(t, what, dw.D, ref, mag)
					if first == nil {
						first, firstName = dw.D, what
					} else if !slices.Equal(dw.D, first) {
						t.Errorf("%s: bits differ from %s", what, firstName)
					}
				}
			}
		}
	}
	if len(orient) != 2 {
		t.Errorf("only one orientation reached: %v", orient)
	}
}

// interleave4 writes exactly the cells and lanes interleavePlanes' Go
// loop writes, with the same values, and nothing else: widths from 4 to
// 33 (multiples of 8 and 4 and not), lane counts of the kernels (4 to 32) and
// groups starting inside a lane group.
func TestInterleaveMatchesGo(t *testing.T) {
	if !interleaveVecOK {
		t.Skip("no AVX2")
	}
	defer func(v bool) { interleaveVec = v }(interleaveVec)
	rng := rand.New(rand.NewPCG(23, 24))
	for _, lanes := range []int{4, 6, 12, 16, 32} {
		for _, w := range []int{4, 5, 7, 8, 9, 15, 16, 17, 31, 33} {
			h, ch := 3, lanes+5
			wp := w + 1
			at := wp + 1
			cells := (h+2)*wp + 2
			src := randn(rng, ch*h*w)
			groups := (ch + lanes - 1) / lanes
			var got [2][]float32
			for i, vec := range []bool{false, true} {
				interleaveVec = vec
				grid := make([]float32, groups*cells*lanes)
				for j := range grid {
					grid[j] = -7
				}
				interleavePlanes(grid, src, 1, ch, h, w, lanes, cells, at, wp)
				got[i] = grid
			}
			if !slices.Equal(got[0], got[1]) {
				t.Errorf("lanes %d, width %d: AVX2 and Go grids differ", lanes, w)
			}
			// Spot-check the Go loop's placement itself.
			g := got[0]
			for _, j := range []int{1, ch - 1} {
				for _, yx := range [][2]int{{0, 0}, {h - 1, w - 1}, {1, w / 2}} {
					want := src[j*h*w+yx[0]*w+yx[1]]
					if v := g[(j/lanes*cells+at+yx[0]*wp+yx[1])*lanes+j%lanes]; v != want {
						t.Errorf("lanes %d, width %d: plane %d cell %v = %g, want %g", lanes, w, j, yx, v, want)
					}
				}
			}
			for _, c := range []int{at - 1, at + w, at + wp + w, at + (h-1)*wp + w, at + h*wp} {
				if v := g[c*lanes+1]; v != -7 {
					t.Errorf("lanes %d, width %d: padding cell %d was written (%g)", lanes, w, c, v)
				}
			}
		}
	}
}
