package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

// refConvDw64 is the weight gradient of refConv64 (groups 1) for output
// gradient dy, with the bias gradient and their term magnitudes.
func refConvDw64(dy, x []float32, g backend.ConvGeom, oc int) (dw, magW, db, magB []float64) {
	dw, magW = make([]float64, oc*g.C*g.KH*g.KW), make([]float64, oc*g.C*g.KH*g.KW)
	db, magB = make([]float64, oc), make([]float64, oc)
	for n := range g.N {
		for o := range oc {
			for oh := range g.OH {
				for ow := range g.OW {
					v := float64(dy[((n*oc+o)*g.OH+oh)*g.OW+ow])
					db[o] += v
					magB[o] += math.Abs(v)
					for c := range g.C {
						for kh := range g.KH {
							ih := oh*g.SH - g.PH + kh*g.DH
							if ih < 0 || ih >= g.H {
								continue
							}
							for kw := range g.KW {
								iw := ow*g.SW - g.PW + kw*g.DW
								if iw < 0 || iw >= g.W {
									continue
								}
								t := v * float64(x[((n*g.C+c)*g.H+ih)*g.W+iw])
								i := ((o*g.C+c)*g.KH+kh)*g.KW + kw
								dw[i] += t
								magW[i] += math.Abs(t)
							}
						}
					}
				}
			}
		}
	}
	return dw, magW, db, magB
}

// The whole-batch path against the definition in float64: 1x1 stride 1
// and 2, 3x3 with paddings 0-2, stride 2 and dilation, 7x7 stride 2,
// non-square and odd planes, odd batches, with and without a bias, every
// subset of the gradients, the batch in one chunk and cut into uneven
// chunks (a chunk of one image included), on 1 to 3 threads with the
// same bits on each.
func TestConvBatchMatchesDefinition(t *testing.T) {
	defer SetThreads(Threads())
	defer func(v int) { batchScratch = v }(batchScratch)
	defer func(v int) { batchMinWeights = v }(batchMinWeights)
	batchMinWeights = 0 // small shapes, so that the float64 definition stays quick
	rng := rand.New(rand.NewPCG(9, 10))
	b := New()
	for _, s := range []struct{ n, c, h, w, k, st, p, dl, oc int }{
		{2, 8, 7, 7, 1, 1, 0, 1, 12}, {5, 6, 9, 5, 1, 1, 0, 1, 7}, {3, 9, 11, 8, 1, 2, 0, 1, 10},
		{2, 5, 8, 8, 3, 1, 1, 1, 6}, {5, 4, 7, 9, 3, 1, 0, 1, 5}, {3, 3, 6, 7, 3, 1, 2, 1, 4},
		{5, 4, 13, 12, 3, 2, 1, 1, 9}, {4, 3, 12, 11, 3, 1, 2, 2, 5}, {3, 3, 19, 17, 7, 2, 3, 1, 8},
	} {
		g := backend.ConvGeom{N: s.n, C: s.c, H: s.h, W: s.w, KH: s.k, KW: s.k, SH: s.st, SW: s.st,
			PH: s.p, PW: s.p, DH: s.dl, DW: s.dl}.Out()
		o := backend.ConvGroups{OC: s.oc, Groups: 1}
		if !useBatch(g, o) {
			t.Fatalf("%+v does not take the whole-batch path", g)
		}
		x, w, bias := randn(rng, g.N*g.C*g.H*g.W), randn(rng, s.oc*g.ColRows()), randn(rng, s.oc)
		dy := randn(rng, g.N*s.oc*g.OH*g.OW)
		refY, magY := refConv64(x, w, bias, g, s.oc)
		refY0, magY0 := refConv64(x, w, nil, g, s.oc)
		refDx, magDx := refConvDx64(dy, w, g, s.oc)
		refDw, magDw, refDb, magDb := refConvDw64(dy, x, g, s.oc)
		p := g.OH * g.OW
		// Whole batch, two images a chunk (chunks of 1 and 2 for odd
		// batches), one image a chunk.
		for _, perChunk := range []int{g.N, 2, 1} {
			batchScratch = perChunk * (g.ColRows() + 1 + s.oc) * p
			var first [][]float32
			for _, th := range []int{1, 2, 3} {
				SetThreads(th)
				what := fmt.Sprintf("N%d C%d %dx%d k%d s%d p%d d%d OC%d, %d images a chunk, %d threads",
					g.N, g.C, g.H, g.W, s.k, s.st, s.p, s.dl, s.oc, perChunk, th)
				y, y0 := &Buf{D: randn(rng, len(dy))}, &Buf{D: randn(rng, len(dy))}
				b.ConvForward(y, &Buf{D: x}, &Buf{D: w}, &Buf{D: bias}, g, o)
				b.ConvForward(y0, &Buf{D: x}, &Buf{D: w}, nil, g, o)
				checkClose(t, "forward "+what, y.D, refY, magY)
				checkClose(t, "forward without bias "+what, y0.D, refY0, magY0)
				dx, dw, db := &Buf{D: randn(rng, len(x))}, &Buf{D: randn(rng, len(w))}, &Buf{D: randn(rng, s.oc)}
				b.ConvBackward(dx, dw, db, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
				checkClose(t, "dx "+what, dx.D, refDx, magDx)
				checkClose(t, "dw "+what, dw.D, refDw, magDw)
				checkClose(t, "db "+what, db.D, refDb, magDb)
				// Subsets: dx alone, dw alone, dw and db without dx, db alone.
				dx1, dw1, db1, db2 := &Buf{D: randn(rng, len(x))}, &Buf{D: randn(rng, len(w))}, &Buf{D: randn(rng, s.oc)}, &Buf{D: randn(rng, s.oc)}
				b.ConvBackward(dx1, nil, nil, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
				checkClose(t, "dx alone "+what, dx1.D, refDx, magDx)
				b.ConvBackward(nil, dw1, nil, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
				checkClose(t, "dw alone "+what, dw1.D, refDw, magDw)
				dw2 := &Buf{D: randn(rng, len(w))}
				b.ConvBackward(nil, dw2, db1, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
				checkClose(t, "dw with db "+what, dw2.D, refDw, magDw)
				checkClose(t, "db with dw "+what, db1.D, refDb, magDb)
				b.ConvBackward(nil, nil, db2, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
				checkClose(t, "db alone "+what, db2.D, refDb, magDb)
				got := [][]float32{y.D, y0.D, dx.D, dw.D, db.D}
				if first == nil {
					first = got
					continue
				}
				for i := range got {
					if !slices.Equal(got[i], first[i]) {
						t.Errorf("%s: output %d differs from 1 thread", what, i)
					}
				}
			}
		}
	}
}

// The path choice: small planes with groups 1 and at least two images go
// whole-batch; a single image, groups, large planes and Winograd's shapes
// do not.
func TestConvBatchChoosesByShape(t *testing.T) {
	mk := func(n, c, h, k, s, p, oc, grp int) (backend.ConvGeom, backend.ConvGroups) {
		return backend.ConvGeom{N: n, C: c, H: h, W: h, KH: k, KW: k, SH: s, SW: s, PH: p, PW: p, DH: 1, DW: 1}.Out(), backend.ConvGroups{OC: oc, Groups: grp}
	}
	for _, tc := range []struct {
		n, c, h, k, s, p, oc, grp int
		want                      bool
	}{
		{16, 256, 14, 1, 1, 0, 1024, 1, true}, {16, 512, 7, 3, 1, 1, 512, 1, true}, {1024, 64, 15, 3, 1, 1, 256, 1, true},
		{16, 512, 28, 1, 2, 0, 1024, 1, true}, {2, 64, 8, 3, 1, 1, 64, 1, true}, {16, 128, 28, 3, 1, 1, 128, 1, true}, {16, 128, 56, 3, 2, 1, 128, 1, true},
		{16, 24, 31, 3, 1, 1, 64, 1, false},
		// ref-cnn's layers: too few weights.
		{64, 1, 28, 3, 1, 1, 32, 1, false}, {64, 32, 14, 3, 1, 1, 64, 1, false}, {2, 3, 8, 3, 1, 1, 4, 1, false},
		{1, 256, 14, 1, 1, 0, 1024, 1, false}, {16, 64, 56, 1, 1, 0, 256, 1, false}, {16, 64, 56, 3, 1, 1, 64, 1, false},
		{16, 64, 14, 3, 1, 1, 64, 2, false}, {16, 3, 224, 7, 2, 3, 64, 1, false},
	} {
		g, o := mk(tc.n, tc.c, tc.h, tc.k, tc.s, tc.p, tc.oc, tc.grp)
		if got := useBatch(g, o); got != tc.want {
			t.Errorf("useBatch(%+v, %+v) = %v, want %v", g, o, got, tc.want)
		}
	}
	// With the transforms in AVX2: 16 channels or more each side, planes
	// of 3x3 to 39x39, 192 tiles or more over the batch.
	if winoVec && useWinoFused() {
		for _, tc := range []struct {
			n, c, h, oc int
			want        bool
		}{
			{1024, 24, 31, 64, true}, {16, 512, 7, 512, true}, {4, 256, 14, 256, true}, {1, 128, 28, 128, true},
			{64, 32, 14, 64, true}, {256, 16, 15, 16, true}, {1024, 256, 3, 256, true}, {16, 128, 28, 128, true},
			{1024, 64, 15, 256, true}, {1, 16, 39, 16, true}, {1024, 256, 7, 256, true}, {64, 128, 7, 128, true}, {63, 128, 7, 128, true},
			{2, 256, 14, 256, false}, {8, 512, 7, 512, false}, {1, 256, 14, 256, false}, {64, 1, 28, 32, false},
			{1024, 15, 15, 64, false}, {1024, 64, 15, 15, false}, {4096, 256, 2, 256, false}, {1, 16, 40, 16, false},
		} {
			g, o := mk(tc.n, tc.c, tc.h, 3, 1, 1, tc.oc, 1)
			if got := useWinogradBatch(g, o); got != tc.want {
				t.Errorf("useWinogradBatch(%+v, %+v) = %v, want %v", g, o, got, tc.want)
			}
			if got, want := useWinogradDW(g, o), (tc.want && (winogradBatchCore(g, o) || tc.c >= 128 && tc.oc >= 128 && tc.h >= 5 && tc.n*(tc.h+1)/2*((tc.h+1)/2) >= 1024)) || useWinograd(g, o); got != want {
				t.Errorf("useWinogradDW(%+v, %+v) = %v, want %v", g, o, got, want)
			}
		}
	}
	// Without them (the Go transforms, or no vector micro-kernel):
	defer func(v bool) { winoVec = v }(winoVec)
	winoVec = false
	// Winograd over the batch: 3x3 stride 1 on 10x10 to 39x39 planes with
	// 128 channels or more each side.
	for _, tc := range []struct {
		n, c, h, k, s, p, oc, grp int
		want                      bool
	}{
		{16, 128, 28, 3, 1, 1, 128, 1, true}, {16, 256, 14, 3, 1, 1, 256, 1, true}, {2, 128, 10, 3, 1, 1, 128, 1, true},
		{16, 512, 7, 3, 1, 1, 512, 1, false}, {16, 64, 56, 3, 1, 1, 64, 1, false}, {16, 64, 14, 3, 1, 1, 256, 1, false},
		{1, 256, 14, 3, 1, 1, 256, 1, false}, {16, 256, 28, 3, 2, 1, 256, 1, false}, {16, 256, 14, 1, 1, 0, 256, 1, false},
		{16, 256, 14, 3, 1, 1, 256, 2, false},
	} {
		g, o := mk(tc.n, tc.c, tc.h, tc.k, tc.s, tc.p, tc.oc, tc.grp)
		if got := useWinogradBatch(g, o); got != tc.want {
			t.Errorf("useWinogradBatch(%+v, %+v) = %v, want %v", g, o, got, tc.want)
		}
		if got, want := useWinogradDW(g, o), tc.want || useWinograd(g, o); got != want {
			t.Errorf("useWinogradDW(%+v, %+v) = %v, want %v", g, o, got, want)
		}
	}
	// And over wide batches (2,048 tiles or more) with 64 channels or
	// more and planes down to 3x3, where there is a vector micro-kernel:
	// the speedrun net's layers at batch 1024; their weight gradients stay
	// on im2col.
	for _, tc := range []struct {
		n, c, h, oc int
		want        bool
	}{
		{1024, 64, 15, 256, true}, {1024, 64, 15, 64, true}, {1024, 256, 7, 256, true}, {1024, 256, 3, 256, true},
		{32, 64, 15, 64, true}, {128, 256, 7, 256, true},
		{31, 64, 15, 64, false}, {127, 256, 7, 256, false}, {1024, 32, 15, 64, false}, {1024, 64, 15, 32, false},
		{1024, 24, 31, 64, false}, {4096, 256, 2, 256, false}, {16, 512, 7, 512, false},
	} {
		g, o := mk(tc.n, tc.c, tc.h, 3, 1, 1, tc.oc, 1)
		want := tc.want && useWinoFused()
		if got := useWinogradBatch(g, o); got != want {
			t.Errorf("useWinogradBatch(%+v, %+v) = %v, want %v", g, o, got, want)
		}
		if useWinogradDW(g, o) {
			t.Errorf("useWinogradDW(%+v, %+v) = true: the wide batches' weight gradients are im2col's", g, o)
		}
	}
}

// BenchmarkConvBatch compares the whole-batch paths (batch: as chosen;
// batch-im2col: Winograd off) with the per-image one on ResNet-50's
// (batch 16) and the speedrun net's (batch 64) small-plane convolutions:
// forward, and backward with all three gradients.
//
//	go test -run xxx -bench ConvBatch ./engine/backend/cpu
func BenchmarkConvBatch(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 12))
	k := New()
	for _, s := range []struct {
		name                   string
		n, c, h, kk, st, p, oc int
	}{
		{"r50_7x7s2_3-64_224", 16, 3, 224, 7, 2, 3, 64},
		{"r50_1x1s2_256-512_56", 16, 256, 56, 1, 2, 0, 512},
		{"r50_1x1_64-256_56", 16, 64, 56, 1, 1, 0, 256},
		{"r50_1x1_512-128_28", 16, 512, 28, 1, 1, 0, 128},
		{"r50_1x1_128-512_28", 16, 128, 28, 1, 1, 0, 512},
		{"r50_3x3_128_28", 16, 128, 28, 3, 1, 1, 128},
		{"r50_3x3s2_128_56", 16, 128, 56, 3, 2, 1, 128},
		{"r50_1x1_1024-256_14", 16, 1024, 14, 1, 1, 0, 256},
		{"r50_1x1_256-1024_14", 16, 256, 14, 1, 1, 0, 1024},
		{"r50_3x3_256_14", 16, 256, 14, 3, 1, 1, 256},
		{"r50_1x1_2048-512_7", 16, 2048, 7, 1, 1, 0, 512},
		{"r50_3x3_512_7", 16, 512, 7, 3, 1, 1, 512},
		{"sr_3x3_24-64_31", 64, 24, 31, 3, 1, 1, 64},
		{"sr_3x3_64-256_15", 64, 64, 15, 3, 1, 1, 256},
		{"sr_3x3_256_7", 64, 256, 7, 3, 1, 1, 256},
	} {
		g := backend.ConvGeom{N: s.n, C: s.c, H: s.h, W: s.h, KH: s.kk, KW: s.kk, SH: s.st, SW: s.st, PH: s.p, PW: s.p, DH: 1, DW: 1}.Out()
		o := backend.ConvGroups{OC: s.oc, Groups: 1}
		x, w, bias := &Buf{D: randn(rng, g.N*g.C*g.H*g.W)}, &Buf{D: randn(rng, s.oc*g.ColRows())}, &Buf{D: randn(rng, s.oc)}
		y := &Buf{D: make([]float32, g.N*s.oc*g.OH*g.OW)}
		dx, dw, db := &Buf{D: make([]float32, len(x.D))}, &Buf{D: make([]float32, len(w.D))}, &Buf{D: make([]float32, s.oc)}
		for _, path := range []string{"batch", "batch-im2col", "image", "gemm-form"} {
			if path == "batch-im2col" && s.kk != 3 {
				continue
			}
			run := func(b *testing.B, f func()) {
				defer func(b, w, f bool) { batchOff, winogradOff, winoFusedOff = b, w, f }(batchOff, winogradOff, winoFusedOff)
				batchOff, winogradOff, winoFusedOff = path == "image", path == "batch-im2col", path == "gemm-form"
				c0 := cpuSeconds()
				for b.Loop() {
					f()
				}
				b.ReportMetric((cpuSeconds()-c0)*1e3/float64(b.N), "cpu-ms/op")
			}
			b.Run(s.name+"/"+path+"/fwd", func(b *testing.B) { run(b, func() { k.ConvForward(y, x, w, bias, g, o) }) })
			b.Run(s.name+"/"+path+"/bwd", func(b *testing.B) {
				run(b, func() { k.ConvBackward(dx, dw, db, y, x, w, g, o) })
			})
		}
	}
}

// Winograd over chunks of the batch against the definition in float64:
// forward (with and without a bias) and every gradient (the input
// gradient on the transposed geometry, the weight and bias gradients on
// the whole-batch im2col), odd and non-square planes, paddings 0 to 2,
// odd batches in one chunk and in uneven chunks, 1 to 3 threads with the
// same bits on each. The size thresholds are lowered to cover small
// shapes; one case has the real ones.
func TestWinogradBatchMatchesDefinition(t *testing.T) {
	defer SetThreads(Threads())
	defer func(v, p, c, s, vc, vt int, vec bool) {
		batchScratch, winogradBatchMinPlane, winogradBatchMinC, winogradSoloMinTiles = v, p, c, s
		winoVecMinC, winoVecMinTiles, winoVec = vc, vt, vec
	}(batchScratch, winogradBatchMinPlane, winogradBatchMinC, winogradSoloMinTiles, winoVecMinC, winoVecMinTiles, winoVec)
	// The rules without the vector transforms, and with them where the
	// machine has them.
	modes := []bool{false}
	if winoVec && useWinoFused() {
		modes = append(modes, true)
	}
	for _, vec := range modes {
		winoVec = vec
		t.Run(fmt.Sprintf("vector transforms %v", vec), func(t *testing.T) { testWinogradBatch(t, vec) })
	}
}

func testWinogradBatch(t *testing.T, vec bool) {
	rng := rand.New(rand.NewPCG(13, 14))
	b := New()
	for _, s := range []struct {
		n, c, h, w, ph, pw, oc int
		real                   bool
	}{
		{2, 4, 10, 10, 1, 1, 5, false}, {3, 5, 11, 9, 0, 0, 4, false}, {5, 6, 9, 13, 2, 2, 7, false},
		{4, 7, 14, 15, 1, 0, 6, false}, {3, 4, 38, 39, 0, 2, 4, false}, {3, 128, 10, 11, 1, 1, 129, true},
		// One image: with the thresholds lowered, and 144 tiles with the real ones.
		{1, 5, 9, 11, 1, 1, 6, false}, {1, 128, 24, 23, 1, 1, 130, true},
		// A wide batch of a small layer (2,048 tiles of 64 channels).
		{32, 64, 15, 15, 1, 1, 64, true},
		// 16 channels, 392 tiles: the smallest of the vector region.
		{8, 16, 13, 13, 1, 1, 16, true},
	} {
		if s.c < 128 && s.real && (!useWinoFused() || testing.Short()) && !(vec && s.c == 16) {
			continue // the wide batches need the fused kernels (and take seconds)
		}
		winogradBatchMinPlane, winogradBatchMinC, winogradSoloMinTiles = 10*10, 128, 12*12
		winoVecMinC, winoVecMinTiles = 16, 192
		if !s.real {
			winogradBatchMinPlane, winogradBatchMinC, winogradSoloMinTiles = 1, 1, 1
			winoVecMinC, winoVecMinTiles = 1, 1
		}
		g := backend.ConvGeom{N: s.n, C: s.c, H: s.h, W: s.w, KH: 3, KW: 3, SH: 1, SW: 1, PH: s.ph, PW: s.pw, DH: 1, DW: 1}.Out()
		o := backend.ConvGroups{OC: s.oc, Groups: 1}
		if vec && s.real && !winogradBatchVec(g, o) || !vec && s.c == 16 {
			continue // the real bounds of one rule, outside the other's
		}
		if !useWinogradBatch(g, o) {
			t.Fatalf("%+v does not take the whole-batch Winograd path", g)
		}
		x, w, bias := randn(rng, g.N*g.C*g.H*g.W), randn(rng, s.oc*g.C*9), randn(rng, s.oc)
		dy := randn(rng, g.N*s.oc*g.OH*g.OW)
		refY, magY := refConv64(x, w, bias, g, s.oc)
		refY0, magY0 := refConv64(x, w, nil, g, s.oc)
		refDx, magDx := refConvDx64(dy, w, g, s.oc)
		refDw, magDw, refDb, magDb := refConvDw64(dy, x, g, s.oc)
		t4 := ((g.OH + 1) / 2) * ((g.OW + 1) / 2) * 16
		tg := ((g.H + 1) / 2) * ((g.W + 1) / 2) * 16
		for _, perChunk := range []int{g.N, 2, 1} {
			// The smallest of the forward's and the input gradient's
			// per-image scratch, so both are cut into chunks of perChunk.
			batchScratch = perChunk * min((g.C+s.oc)*t4, (g.C+s.oc)*tg)
			var first [][]float32
			for _, th := range []int{1, 2, 3} {
				SetThreads(th)
				what := fmt.Sprintf("N%d C%d %dx%d pad %d,%d OC%d, %d images a chunk, %d threads",
					g.N, g.C, g.H, g.W, s.ph, s.pw, s.oc, perChunk, th)
				y, y0 := &Buf{D: randn(rng, len(dy))}, &Buf{D: randn(rng, len(dy))}
				b.ConvForward(y, &Buf{D: x}, &Buf{D: w}, &Buf{D: bias}, g, o)
				b.ConvForward(y0, &Buf{D: x}, &Buf{D: w}, nil, g, o)
				checkClose(t, "forward "+what, y.D, refY, magY)
				checkClose(t, "forward without bias "+what, y0.D, refY0, magY0)
				dx, dw, db := &Buf{D: randn(rng, len(x))}, &Buf{D: randn(rng, len(w))}, &Buf{D: randn(rng, s.oc)}
				b.ConvBackward(dx, dw, db, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
				checkClose(t, "dx "+what, dx.D, refDx, magDx)
				checkClose(t, "dw "+what, dw.D, refDw, magDw)
				checkClose(t, "db "+what, db.D, refDb, magDb)
				dx1 := &Buf{D: randn(rng, len(x))}
				b.ConvBackward(dx1, nil, nil, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
				checkClose(t, "dx alone "+what, dx1.D, refDx, magDx)
				got := [][]float32{y.D, y0.D, dx.D, dw.D, db.D, dx1.D}
				if first == nil {
					first = got
					continue
				}
				for i := range got {
					if !slices.Equal(got[i], first[i]) {
						t.Errorf("%s: output %d differs from 1 thread", what, i)
					}
				}
			}
		}
	}
}
