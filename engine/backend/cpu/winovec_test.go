package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

// firstDiff is the first index where a and b differ in their bits (any
// NaN matching any other, as for sameBits), or -1.
func firstDiff(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}

// specials sprinkles NaN, infinities, signed zeros and subnormals over s.
func specials(rng *rand.Rand, s []float32) {
	vals := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), 0, 1e-40, -3e-39, 1e30}
	for range len(s)/50 + 1 {
		s[rng.IntN(len(s))] = vals[rng.IntN(len(vals))]
	}
}

// The AVX2 transforms of the Winograd paths against the Go code, bit for
// bit (the fused path's, the GEMM form's input transform and the weight
// gradient's output-gradient transform): planes from 1x1 to 17x16 (tile rows of 1 to 9 tiles, so groups
// of four, tails and both together), paddings 0 to 2, blocks of tile rows
// that start and end inside an image, panels of 16 and 32 lanes (groups
// that would straddle two panels), biases and none, special values.
func TestWinogradVectorTransformsMatchGo(t *testing.T) {
	if !winoVec {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	cases := 0
	for _, h := range []int{1, 2, 3, 5, 7, 8, 14, 15, 17} {
		for _, w := range []int{1, 3, 4, 7, 9, 15, 16} {
			for p := range 3 {
				g := backend.ConvGeom{N: 3, C: 3, H: h, W: w, KH: 3, KW: 3, SH: 1, SW: 1, PH: p, PW: p, DH: 1, DW: 1}.Out()
				if g.OH < 1 || g.OW < 1 {
					continue
				}
				th, tw := (g.OH+1)/2, (g.OW+1)/2
				total := g.N * th
				xs := randn(rng, g.N*g.C*g.H*g.W)
				specials(rng, xs)
				// The GEMM form's input transform (rows of V) and the
				// weight gradient's output-gradient transform, for one image
				// of a chunk of three.
				ld := 3 * th * tw
				wantV, gotV := randn(rng, 16*g.C*ld), make([]float32, 16*g.C*ld)
				copy(gotV, wantV)
				img := xs[g.C*g.H*g.W : 2*g.C*g.H*g.W]
				winogradInput(wantV[th*tw:], img, g, th, tw, ld, 1, 3)
				winogradInputVec(gotV[th*tw:], img, g, th, tw, ld, 1, 3, make([]float32, winoPadLen(th, tw)))
				if i := firstDiff(wantV, gotV); i >= 0 {
					t.Fatalf("GEMM-form input %dx%d pad %d: value %d is %v, want %v", h, w, p, i, gotV[i], wantV[i])
				}
				const oc = 5
				dy := randn(rng, oc*g.OH*g.OW)
				specials(rng, dy)
				wantM, gotM := randn(rng, 16*oc*ld), make([]float32, 16*oc*ld)
				copy(gotM, wantM)
				winogradGradOutput(wantM[2*th*tw:], dy, g, oc, th, tw, ld, 1, 4)
				winogradGradOutputVec(gotM[2*th*tw:], dy, g, oc, th, tw, ld, 1, 4, make([]float32, winoGradPadLen(th, tw)))
				if i := firstDiff(wantM, gotM); i >= 0 {
					t.Fatalf("output gradient %dx%d pad %d: value %d is %v, want %v", h, w, p, i, gotM[i], wantM[i])
				}
				for _, nr := range []int{16, 32} {
					for _, rows := range []int{1, 2, th + 1, total} {
						for q0 := 0; q0 < total; q0 += rows {
							q1 := min(total, q0+rows)
							cases++
							nb := ((q1-q0)*tw + nr - 1) / nr * nr
							xiS := winoStride(g.C, nb)
							want, got := make([]float32, 16*xiS), make([]float32, 16*xiS)
							wp := 2*tw + 2
							winoPackInput(want, xs, g, th, tw, q0, q1, nb, nr, xiS, make([]float32, 8*wp))
							winoPackInputVec(got, xs, g, th, tw, q0, q1, nr, xiS, make([]float32, winoPadLen(th, tw)))
							if i := firstDiff(want, got); i >= 0 {
								t.Fatalf("input %dx%d pad %d, nr %d, tile rows %d..%d: value %d is %v, want %v", h, w, p, nr, q0, q1, i, got[i], want[i])
							}
							// The output transform of the same block, from an
							// M of mr rows.
							const mr, oc = 5, 7
							m := randn(rng, 16*mr*nb+8)
							specials(rng, m[:16*mr*nb])
							for _, bias := range [][]float32{nil, randn(rng, oc)} {
								yw, yg := randn(rng, g.N*oc*g.OH*g.OW), make([]float32, g.N*oc*g.OH*g.OW)
								copy(yg, yw)
								winoUnpackOutput(yw, m, bias, g, oc, th, tw, q0, q1, nb, 1, 1+mr, mr, make([]float32, 8*tw))
								winoUnpackOutputVec(yg, m, bias, g, oc, th, tw, q0, q1, nb, 1, 1+mr, mr)
								if i := firstDiff(yw, yg); i >= 0 {
									t.Fatalf("output %dx%d pad %d, nr %d, tile rows %d..%d, bias %v: value %d is %v, want %v", h, w, p, nr, q0, q1, bias != nil, i, yg[i], yw[i])
								}
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d blocks", cases)
}

// The whole fused convolution with the vector transforms and with the Go
// ones: the same bits, forward and input gradient, on the speedrun net's
// and ResNet-50's shapes (small batches).
func TestWinogradFusedVectorSameBits(t *testing.T) {
	if !winoVec || !useWinoFused() {
		t.Skip("no AVX2 or no fused path")
	}
	defer func(v bool) { winoVec = v }(winoVec)
	rng := rand.New(rand.NewPCG(7, 8))
	b := New()
	for _, s := range []struct{ n, c, h, oc int }{
		{32, 64, 15, 64}, {128, 256, 7, 256}, {512, 64, 3, 64}, {2, 128, 28, 128}, {3, 64, 56, 64}, {4, 256, 14, 256},
	} {
		g := backend.ConvGeom{N: s.n, C: s.c, H: s.h, W: s.h, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1}.Out()
		o := backend.ConvGroups{OC: s.oc, Groups: 1}
		if !useWinograd(g, o) && !useWinogradBatch(g, o) {
			t.Fatalf("%+v does not take a Winograd path", g)
		}
		x, w, bias := randn(rng, g.N*g.C*g.H*g.W), randn(rng, s.oc*g.C*9), randn(rng, s.oc)
		dy := randn(rng, g.N*s.oc*g.OH*g.OW)
		var outs [2][2][]float32
		for i, vec := range []bool{false, true} {
			winoVec = vec
			y, dx := &Buf{D: make([]float32, len(dy))}, &Buf{D: make([]float32, len(x))}
			b.ConvForward(y, &Buf{D: x}, &Buf{D: w}, &Buf{D: bias}, g, o)
			b.ConvBackward(dx, nil, nil, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
			outs[i] = [2][]float32{y.D, dx.D}
		}
		for k, what := range []string{"forward", "input gradient"} {
			if i := firstDiff(outs[0][k], outs[1][k]); i >= 0 {
				t.Errorf("%s of %s: value %d is %v with the vector transforms, %v without", what, fmt.Sprint(s), i, outs[1][k][i], outs[0][k][i])
			}
		}
	}
}
