package cpu

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/blas"
)

// The lane-interleaved Winograd weight gradient against the definition:
// odd and even planes (7x7 has a half-empty last tile row and column),
// non-square ones, 3x3 planes, channel counts that leave lanes of the
// last group empty, x on either side of the kernel, a batch whose last
// group is short. Every assembly micro-kernel, 1 and 2 threads and the Go
// and AVX2 transforms give the same bits.
func TestWinoLanesDWMatchesDefinition(t *testing.T) {
	defer SetThreads(Threads())
	defer func(m func() blas.Micro, v bool) { micro, winoLanesGoOnly = m, v }(micro, winoLanesGoOnly)
	if !micro().Vector() || !winoLanesVec {
		t.Skip("no assembly micro-kernel or AVX2: the GEMM form runs")
	}
	rng := rand.New(rand.NewPCG(25, 26))
	b := New()
	orient := map[bool]bool{}
	shapes := []struct{ n, c, h, w, oc int }{
		{70, 64, 7, 7, 64},  // 16 tiles an image: four groups of 16 and one of 6
		{90, 97, 8, 5, 66},  // the other orientation on AVX-512
		{70, 70, 6, 9, 65},  // lanes left empty, non-square
		{300, 64, 3, 3, 96}, // 4 tiles an image, groups of 64
	}
	threads := []int{1, 2}
	if testing.Short() {
		// Under the race detector: both orientations, two threads.
		shapes, threads = shapes[:2], []int{2}
	}
	for _, s := range shapes {
		g := backend.ConvGeom{N: s.n, C: s.c, H: s.h, W: s.w, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1}.Out()
		o := backend.ConvGroups{OC: s.oc, Groups: 1}
		if !useWinoLanesDW(g, o) {
			t.Fatalf("%+v does not take the lane-interleaved Winograd path", s)
		}
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
			mk := k
			orient[padUp(g.C, mk.MR())*padUp(s.oc, mk.NR()) <= padUp(s.oc, mk.MR())*padUp(g.C, mk.NR())] = true
			for _, th := range threads {
				for _, goOnly := range []bool{false, true} {
					SetThreads(th)
					winoLanesGoOnly = goOnly
					what := fmt.Sprintf("%+v, %s kernel, %d threads, Go transforms %v", s, k.Name(), th, goOnly)
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
