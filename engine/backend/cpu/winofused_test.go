package cpu

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/blas"
)

// The fused Winograd path (where the machine has an assembly
// micro-kernel) and the GEMM form (elsewhere) against the definition, on
// shapes the per-image tests do not reach, with the weight gradient in
// the Winograd domain or on the shifted grid (and im2col's with the GEMM form): more channels than one KC
// block of the micro-kernel (the sum is cut into two calls), output
// channels that leave most of the last MR panel empty, and the
// whole-batch geometry; 1 and 2 threads give the same bits.
func TestWinogradFusedAndGEMMFormMatchDefinition(t *testing.T) {
	defer SetThreads(Threads())
	defer func(v, w, x bool) { winoFusedOff, winogradDWOff, shiftDWOff = v, w, x }(winoFusedOff, winogradDWOff, shiftDWOff)
	rng := rand.New(rand.NewPCG(11, 12))
	b := New()
	kc := blas.MicroKernel().KC()
	for _, s := range []struct{ n, c, h, w, p, oc int }{
		{1, kc + 17, 40, 41, 1, 13}, // per image, two KC blocks
		{5, 130, 12, 13, 1, 131},    // whole batch (210 tiles)
		{5, kc + 3, 11, 10, 2, 129}, // whole batch, two KC blocks, padding 2
		{1, 33, 64, 64, 1, 25},      // many blocks of whole tile rows
	} {
		g := backend.ConvGeom{N: s.n, C: s.c, H: s.h, W: s.w, KH: 3, KW: 3, SH: 1, SW: 1, PH: s.p, PW: s.p, DH: 1, DW: 1}.Out()
		o := backend.ConvGroups{OC: s.oc, Groups: 1}
		if !useWinograd(g, o) && !useWinogradBatch(g, o) {
			t.Fatalf("%+v does not take a Winograd path", g)
		}
		x, w, bias := randn(rng, g.N*g.C*g.H*g.W), randn(rng, s.oc*g.C*9), randn(rng, s.oc)
		dy := randn(rng, g.N*s.oc*g.OH*g.OW)
		ref, mag := refConv64(x, w, bias, g, s.oc)
		refDx, magDx := refConvDx64(dy, w, g, s.oc)
		refDw, magDw, refDb, magDb := refConvDw64(dy, x, g, s.oc)
		for _, fused := range []bool{true, false} {
			// The GEMM form's run also takes im2col's weight gradient.
			winoFusedOff, winogradDWOff, shiftDWOff = !fused, !fused, !fused
			var first [][]float32
			for _, th := range []int{1, 2} {
				SetThreads(th)
				what := fmt.Sprintf("N%d C%d %dx%d OC%d fused %v on %d threads", g.N, g.C, g.H, g.W, s.oc, fused && useWinoFused(), th)
				y := &Buf{D: randn(rng, len(dy))}
				b.ConvForward(y, &Buf{D: x}, &Buf{D: w}, &Buf{D: bias}, g, o)
				checkClose(t, "forward "+what, y.D, ref, mag)
				dx, dw, db := &Buf{D: randn(rng, len(x))}, &Buf{D: randn(rng, len(w))}, &Buf{D: randn(rng, s.oc)}
				b.ConvBackward(dx, dw, db, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
				checkClose(t, "dx "+what, dx.D, refDx, magDx)
				checkClose(t, "dw "+what, dw.D, refDw, magDw)
				checkClose(t, "db "+what, db.D, refDb, magDb)
				dw1 := &Buf{D: randn(rng, len(w))}
				b.ConvBackward(nil, dw1, nil, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
				checkClose(t, "dw alone "+what, dw1.D, refDw, magDw)
				got := [][]float32{y.D, dx.D, dw.D, db.D, dw1.D}
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

// Blocks are whole tile rows, cover every row once, and stay near the
// cache budget.
func TestWinoBlockRows(t *testing.T) {
	for _, s := range []struct{ tw, total, nr, c, threads int }{
		{32, 32, 32, 128, 2}, {7, 7 * 64, 32, 256, 2}, {128, 128, 32, 64, 2}, {20, 20, 16, 64, 8}, {4, 4, 32, 512, 1},
	} {
		r := winoBlockRows(s.tw, s.total, s.nr, s.c, s.threads)
		nb := (r*s.tw + s.nr - 1) / s.nr * s.nr
		if r < 1 || r > s.total {
			t.Errorf("%+v: %d rows", s, r)
		}
		if r > 1 && 64*s.c*nb > 2*winoTarget {
			t.Errorf("%+v: %d rows make %d bytes a block", s, r, 64*s.c*nb)
		}
	}
}

// BenchmarkConvFastStyle times the convolutions of the fast-style
// network on a 256-px image (forward, batch 1; the last one, 32 to 3
// channels, is autograd's Conv2dFewOut), GFLOP/s counted on the direct
// convolution's multiply-adds:
// go test -run '^$' -bench ConvFastStyle ./engine/backend/cpu
func BenchmarkConvFastStyle(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	k := New()
	for _, s := range []struct {
		name                string
		c, h, kh, st, p, oc int
	}{
		{"in9x9_3to32_256", 3, 264, 9, 1, 0, 32},
		{"down3x3s2_32to64_256", 32, 258, 3, 2, 0, 64},
		{"down3x3s2_64to128_128", 64, 130, 3, 2, 0, 128},
		{"res3x3_128_64", 128, 66, 3, 1, 0, 128},
		{"up3x3_128to64_128", 128, 130, 3, 1, 0, 64},
		{"up3x3_64to32_256", 64, 258, 3, 1, 0, 32},
	} {
		g := backend.ConvGeom{N: 1, C: s.c, H: s.h, W: s.h, KH: s.kh, KW: s.kh, SH: s.st, SW: s.st, PH: s.p, PW: s.p, DH: 1, DW: 1}.Out()
		o := backend.ConvGroups{OC: s.oc, Groups: 1}
		x, w, bias := &Buf{D: randn(rng, g.C*g.H*g.W)}, &Buf{D: randn(rng, s.oc*s.c*s.kh*s.kh)}, &Buf{D: randn(rng, s.oc)}
		y := &Buf{D: make([]float32, s.oc*g.OH*g.OW)}
		flops := 2 * float64(s.oc*s.c*s.kh*s.kh*g.OH*g.OW)
		b.Run(s.name, func(b *testing.B) {
			for b.Loop() {
				k.ConvForward(y, x, w, bias, g, o)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// The packed GEMM convolution against the definition: more rows than one
// KC slice (two and three slices), output channels past the last full MR
// panel, blocks across image edges, one small image (output channels
// split among the threads), strides, dilation, paddings, with and without
// a bias; 1 to 3 threads give the same bits.
func TestFusedConvMatchesDefinition(t *testing.T) {
	if !useWinoFused() {
		t.Skip("no assembly micro-kernel on this machine: the GEMM forms run")
	}
	defer SetThreads(Threads())
	rng := rand.New(rand.NewPCG(13, 14))
	b := New()
	kc := blas.MicroKernel().KC()
	for _, s := range []struct{ n, c, h, w, k, st, p, dl, oc int }{
		{1, kc/9 + 3, 130, 129, 3, 2, 1, 1, 13}, // two slices, one image
		{3, 2*kc/9 + 5, 77, 79, 3, 2, 1, 1, 27}, // three slices, batch
		{10, 7, 41, 39, 5, 2, 2, 1, 40},         // stride 2, blocks across images
		{1, 3, 72, 70, 9, 1, 4, 1, 32},          // fast style's first layer, smaller
		{5, 6, 67, 66, 3, 2, 2, 2, 9},           // dilation
		{3, 4, 29, 68, 5, 1, 0, 1, 30},          // no padding, long rows
		{1, 16, 128, 128, 3, 2, 1, 1, 50},       // 8 blocks: channels split on 8 threads
	} {
		g := backend.ConvGeom{N: s.n, C: s.c, H: s.h, W: s.w, KH: s.k, KW: s.k, SH: s.st, SW: s.st,
			PH: s.p, PW: s.p, DH: s.dl, DW: s.dl}.Out()
		o := backend.ConvGroups{OC: s.oc, Groups: 1}
		if useWinograd(g, o) || useWinogradBatch(g, o) || !useFusedConv(g, o) {
			t.Fatalf("%+v does not take the packed path", g)
		}
		x, w, bias := randn(rng, g.N*g.C*g.H*g.W), randn(rng, s.oc*g.ColRows()), randn(rng, s.oc)
		dy := randn(rng, g.N*s.oc*g.OH*g.OW)
		refY, magY := refConv64(x, w, bias, g, s.oc)
		refY0, magY0 := refConv64(x, w, nil, g, s.oc)
		refDx, magDx := refConvDx64(dy, w, g, s.oc)
		var first [][]float32
		for _, th := range []int{1, 2, 3, 8} {
			SetThreads(th)
			what := fmt.Sprintf("N%d C%d %dx%d k%d s%d p%d d%d OC%d on %d threads", g.N, g.C, g.H, g.W, s.k, s.st, s.p, s.dl, s.oc, th)
			y := &Buf{D: randn(rng, len(dy))}
			b.ConvForward(y, &Buf{D: x}, &Buf{D: w}, &Buf{D: bias}, g, o)
			checkClose(t, "forward "+what, y.D, refY, magY)
			y0 := &Buf{D: randn(rng, len(dy))}
			b.ConvForward(y0, &Buf{D: x}, &Buf{D: w}, nil, g, o)
			checkClose(t, "forward without bias "+what, y0.D, refY0, magY0)
			dx := &Buf{D: randn(rng, len(x))}
			b.ConvBackward(dx, nil, nil, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
			checkClose(t, "dx "+what, dx.D, refDx, magDx)
			if first == nil {
				first = [][]float32{y.D, dx.D, y0.D}
			} else if !slices.Equal(first[0], y.D) || !slices.Equal(first[1], dx.D) || !slices.Equal(first[2], y0.D) {
				t.Errorf("%s: bits differ from 1 thread", what)
			}
		}
	}
}

// The GEMM forms (what the portable build and Accelerate run) keep
// passing the definition tests with the packed paths turned off.
func TestGEMMFormsMatchDefinition(t *testing.T) {
	if !useWinoFused() {
		t.Skip("the GEMM forms already run in the other tests")
	}
	defer func(v bool) { winoFusedOff = v }(winoFusedOff)
	winoFusedOff = true
	t.Run("batch", TestConvBatchMatchesDefinition)
	t.Run("winograd", TestWinogradMatchesDefinition)
	t.Run("winograd-batch", TestWinogradBatchMatchesDefinition)
	t.Run("threads", TestConvBitsDoNotDependOnThreads)
}

// Every assembly micro-kernel this machine has (AVX-512 and AVX2 here)
// gives the packed paths the same bits: their panels differ (12x32 and
// 6x16), so do the blocks, but not the sums.
func TestPackedPathsSameBitsOnEveryKernel(t *testing.T) {
	defer func(m func() blas.Micro) { micro = m }(micro)
	rng := rand.New(rand.NewPCG(17, 18))
	b := New()
	for _, s := range []struct{ n, c, h, w, k, st, p, oc int }{
		{1, 37, 44, 41, 3, 1, 1, 29},   // per-image Winograd
		{5, 130, 12, 13, 3, 1, 1, 131}, // whole-batch Winograd (210 tiles)
		{2, 5, 70, 66, 5, 2, 2, 19},    // packed im2col
	} {
		g := backend.ConvGeom{N: s.n, C: s.c, H: s.h, W: s.w, KH: s.k, KW: s.k, SH: s.st, SW: s.st, PH: s.p, PW: s.p, DH: 1, DW: 1}.Out()
		o := backend.ConvGroups{OC: s.oc, Groups: 1}
		if s.k == 3 && !useWinograd(g, o) && !useWinogradBatch(g, o) {
			t.Fatalf("%+v does not take a Winograd path", s)
		}
		x, w, bias := randn(rng, g.N*g.C*g.H*g.W), randn(rng, s.oc*g.ColRows()), randn(rng, s.oc)
		dy := randn(rng, g.N*s.oc*g.OH*g.OW)
		var first [][]float32
		var firstName string
		for _, k := range blas.MicroKernels() {
			if !k.Vector() {
				continue
			}
			micro = func() blas.Micro { return k }
			y, dx, dw := make([]float32, len(dy)), make([]float32, len(x)), make([]float32, len(w))
			b.ConvForward(&Buf{D: y}, &Buf{D: x}, &Buf{D: w}, &Buf{D: bias}, g, o)
			b.ConvBackward(&Buf{D: dx}, &Buf{D: dw}, nil, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
			got := [][]float32{y, dx, dw}
			if first == nil {
				first, firstName = got, k.Name()
				continue
			}
			for i := range got {
				if !slices.Equal(got[i], first[i]) {
					t.Errorf("%+v: output %d differs between the %s and %s kernels", s, i, firstName, k.Name())
				}
			}
		}
	}
}

// BenchmarkWinogradWeightGrad compares the weight gradient on the
// shifted grid (where it runs), in the Winograd domain and im2col's on
// ResNet-50's stride-1 3x3 layers (batch 16 and 1), fast style's residual
// layer at its training size and the speedrun net's layers at batch 1024:
// go test -run '^$' -bench WinogradWeightGrad ./engine/backend/cpu
func BenchmarkWinogradWeightGrad(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	k := New()
	for _, s := range []struct {
		name        string
		n, c, h, oc int
	}{
		{"r50_64_56_b16", 16, 64, 56, 64},
		{"r50_128_28_b16", 16, 128, 28, 128},
		{"r50_256_14_b16", 16, 256, 14, 256},
		{"fs_128_32_b2", 2, 128, 32, 128},
		{"r50_64_56_b1", 1, 64, 56, 64},
		{"r50_128_28_b1", 1, 128, 28, 128},
		{"sr_24_64_31_b1024", 1024, 24, 31, 64},
		{"sr_64_256_15_b1024", 1024, 64, 15, 256},
	} {
		g := backend.ConvGeom{N: s.n, C: s.c, H: s.h, W: s.h, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1}.Out()
		o := backend.ConvGroups{OC: s.oc, Groups: 1}
		x, w := &Buf{D: randn(rng, g.N*g.C*g.H*g.W)}, &Buf{D: randn(rng, s.oc*s.c*9)}
		dy := &Buf{D: randn(rng, g.N*s.oc*g.OH*g.OW)}
		dw := &Buf{D: make([]float32, len(w.D))}
		for _, path := range []string{"shifted", "winograd", "im2col"} {
			b.Run(s.name+"/"+path, func(b *testing.B) {
				defer func(v, w bool) { winogradDWOff, shiftDWOff = v, w }(winogradDWOff, shiftDWOff)
				winogradDWOff, shiftDWOff = path == "im2col", path != "shifted"
				if path == "shifted" && !useShiftDW(g, o) {
					b.Skip("not a shifted-grid shape")
				}
				for b.Loop() {
					k.ConvBackward(nil, dw, nil, dy, x, w, g, o)
				}
			})
		}
	}
}
