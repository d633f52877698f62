package cpu

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

// bnValues returns n values, some of them special (NaN, ±Inf, ±0,
// subnormal, huge) when special is set.
func bnValues(rng *rand.Rand, n int, special bool) []float32 {
	v := make([]float32, n)
	sp := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1)), 1e-41, -3e38, 3e38}
	for i := range v {
		v[i] = float32(rng.NormFloat64()*3 + 0.5)
		if special && rng.IntN(10) == 0 {
			v[i] = sp[rng.IntN(len(sp))]
		}
	}
	return v
}

// sameBits reports a and b equal bit for bit, any NaN equal to any
// other (which NaN an operation on two NaNs gives depends on the order of
// its operands, which the compiler picks).
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(u, v float32) bool {
		return math.Float32bits(u) == math.Float32bits(v) || (u != u && v != v)
	})
}

// The vector loops give the bits of their Go definitions: every length
// from 0 to 600 (whole and partial blocks of 256, tails of 1 to 31 past
// the 32-value steps, planes shorter than a vector), ordinary values and
// values with NaN, infinities, signed zeros and subnormals among them,
// with and without the ReLU mask, at unaligned starts.
func TestBatchNormVectorLoopsMatchGo(t *testing.T) {
	if !bnVec {
		t.Skip("no vector batch norm on this machine")
	}
	defer func(v bool) { bnVec = v }(bnVec)
	rng := rand.New(rand.NewPCG(21, 22))
	for n := range 601 {
		for _, special := range []bool{false, true} {
			off := rng.IntN(8)
			x := bnValues(rng, n+off, special)[off:]
			g := bnValues(rng, n+off, special)[off:]
			y := bnValues(rng, n+off, special)[off:]
			res := bnValues(rng, n+off, special)[off:]
			k, m := float32(rng.NormFloat64()), float32(rng.NormFloat64())
			a, b := float32(rng.NormFloat64()), float32(rng.NormFloat64())
			p, q, r := float32(rng.NormFloat64()), float32(rng.NormFloat64()), float32(rng.NormFloat64())
			type result struct {
				sum, sq, gs1, gs2, gm1, gm2 float64
				aff, relu, addRelu          []float32
				dxFull, dxMasked, dxG, dxGM []float32
			}
			run := func(vec bool) result {
				bnVec = vec
				var o result
				o.sum, o.sq = shiftedSum(x, k), squaredDev(x, m)
				o.gs1, o.gs2 = gradSumsMasked(g, nil, x, m)
				o.gm1, o.gm2 = gradSumsMasked(g, y, x, m)
				o.aff, o.relu, o.addRelu = make([]float32, n), make([]float32, n), make([]float32, n)
				affine(o.aff, x, a, b)
				affineReLU(o.relu, x, a, b)
				affineAddReLU(o.addRelu, x, res, a, b)
				o.dxFull, o.dxMasked, o.dxG, o.dxGM = make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
				gradAffineMasked(o.dxFull, g, nil, x, p, q, r)
				gradAffineMasked(o.dxMasked, g, y, x, p, q, r)
				gradAffineMasked(o.dxG, g, nil, nil, p, 0, 0)
				gradAffineMasked(o.dxGM, g, y, nil, p, 0, 0)
				return o
			}
			want, got := run(false), run(true)
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"shiftedSum", got.sum, want.sum}, {"squaredDev", got.sq, want.sq},
				{"gradSums sum", got.gs1, want.gs1}, {"gradSums sumx", got.gs2, want.gs2},
				{"gradSumsMasked sum", got.gm1, want.gm1}, {"gradSumsMasked sumx", got.gm2, want.gm2},
			} {
				if math.Float64bits(c.got) != math.Float64bits(c.want) && !(math.IsNaN(c.got) && math.IsNaN(c.want)) {
					t.Fatalf("n=%d special=%v: %s = %v (vector), %v (Go)", n, special, c.name, c.got, c.want)
				}
			}
			for _, c := range []struct {
				name      string
				got, want []float32
			}{
				{"affine", got.aff, want.aff}, {"affineReLU", got.relu, want.relu}, {"affineAddReLU", got.addRelu, want.addRelu},
				{"gradAffine", got.dxFull, want.dxFull}, {"gradAffine masked", got.dxMasked, want.dxMasked},
				{"gradAffine p g", got.dxG, want.dxG}, {"gradAffine p g masked", got.dxGM, want.dxGM},
			} {
				if !sameBits(c.got, c.want) {
					i := 0
					for sameBits(c.got[i:i+1], c.want[i:i+1]) {
						i++
					}
					t.Fatalf("n=%d special=%v: %s[%d] = %v (vector), %v (Go)", n, special, c.name, i, c.got[i], c.want[i])
				}
			}
		}
	}
}

// The Go definitions compute what they say: the block sums against float64
// sums (ordinary values), the ReLU forms' zero and NaN cases.
func TestBatchNormLoopsDefinition(t *testing.T) {
	defer func(v bool) { bnVec = v }(bnVec)
	rng := rand.New(rand.NewPCG(23, 24))
	for _, vec := range []bool{false, bnVec} {
		bnVec = vec
		for _, n := range []int{1, 7, 31, 32, 33, 255, 256, 257, 1000} {
			x, g, y := bnValues(rng, n, false), bnValues(rng, n, false), bnValues(rng, n, false)
			k, m := float32(0.3), float32(-0.2)
			var s, sq, gs, gx, gm float64
			for i, v := range x {
				s += float64(v - k)
				d := float64(v - m)
				sq += d * d
				gs += float64(g[i])
				gx += float64(g[i]) * float64(x[i]-m)
				if y[i] > 0 {
					gm += float64(g[i])
				}
			}
			tol := func(want float64) float64 { return 1e-5 * (1 + math.Abs(want)) * math.Sqrt(float64(n)) }
			if got := shiftedSum(x, k); math.Abs(got-s) > tol(s) {
				t.Errorf("vec=%v n=%d: shiftedSum %v, want %v", vec, n, got, s)
			}
			if got := squaredDev(x, m); math.Abs(got-sq) > tol(sq) {
				t.Errorf("vec=%v n=%d: squaredDev %v, want %v", vec, n, got, sq)
			}
			a1, a2 := gradSumsMasked(g, nil, x, m)
			if math.Abs(a1-gs) > tol(gs) || math.Abs(a2-gx) > tol(gx)*10 {
				t.Errorf("vec=%v n=%d: gradSums %v %v, want %v %v", vec, n, a1, a2, gs, gx)
			}
			if b1, _ := gradSumsMasked(g, y, x, m); math.Abs(b1-gm) > tol(gm) {
				t.Errorf("vec=%v n=%d: masked sum %v, want %v", vec, n, b1, gm)
			}
		}
		in := []float32{-1, 0, float32(math.NaN()), 2, float32(math.Copysign(0, -1)), -3, 4, 5, 1}
		out := make([]float32, len(in))
		affineReLU(out, in, 1, 0)
		want := []float32{0, 0, float32(math.NaN()), 2, 0, 0, 4, 5, 1}
		for i := range out {
			if math.Float32bits(out[i]) != math.Float32bits(want[i]) && !(math.IsNaN(float64(out[i])) && math.IsNaN(float64(want[i]))) {
				t.Errorf("vec=%v: affineReLU(%v) = %v, want %v", vec, in[i], out[i], want[i])
			}
		}
	}
}

// The ReLU family's vector loops give the bits of the Go loops, special
// values included, every length from 0 to 100 at unaligned starts.
func TestReLUVectorLoopsMatchGo(t *testing.T) {
	if !bnVec {
		t.Skip("no vector loops on this machine")
	}
	defer func(v bool) { bnVec = v }(bnVec)
	rng := rand.New(rand.NewPCG(25, 26))
	for n := range 101 {
		off := rng.IntN(8)
		x := bnValues(rng, n+off, true)[off:]
		y := bnValues(rng, n+off, true)[off:]
		g := bnValues(rng, n+off, true)[off:]
		run := func(vec bool) [][]float32 {
			bnVec = vec
			out := make([][]float32, 5)
			for i := range out {
				out[i] = make([]float32, n)
			}
			relu(out[0], x)
			addReLUs := New()
			addReLUs.AddReLU(&Buf{D: out[1]}, &Buf{D: x}, &Buf{D: y})
			reluGrad(out[2], x, g)
			reluMask(out[3], g, y)
			copy(out[4], x)
			reluInPlace(out[4])
			return out
		}
		want, got := run(false), run(true)
		for i, name := range []string{"relu", "AddReLU", "reluGrad", "reluMask", "reluInPlace"} {
			if !sameBits(got[i], want[i]) {
				t.Fatalf("n=%d: %s differs: %v (vector) against %v (Go)", n, name, got[i], want[i])
			}
		}
	}
}

// The 3x3 stride-2 max-pool's vector rows give the values and indices of
// the Go loop: planes of odd and even sizes (rows of 0 to 5 vector blocks
// and tails), padding 0 and 1, many ties (values on a coarse grid: the
// first of equal cells wins) and NaN (it wins, and a later NaN replaces
// an earlier one).
func TestMaxPool3x3VectorMatchesGo(t *testing.T) {
	if !bnVec {
		t.Skip("no vector loops on this machine")
	}
	defer func(v bool) { bnVec = v }(bnVec)
	rng := rand.New(rand.NewPCG(27, 28))
	for _, h := range []int{3, 4, 7, 17, 18, 33, 35, 56, 112} {
		for _, w := range []int{3, 17, 18, 19, 34, 49, 112} {
			for _, pad := range []int{0, 1} {
				g := backend.PoolGeom{N: 1, C: 2, H: h, W: w, KH: 3, KW: 3, SH: 2, SW: 2, PH: pad, PW: pad}
				g.OH, g.OW = (h+2*pad-3)/2+1, (w+2*pad-3)/2+1
				src := make([]float32, g.C*h*w)
				for i := range src {
					src[i] = float32(rng.IntN(7) - 3)
					if rng.IntN(40) == 0 {
						src[i] = float32(math.NaN())
					}
				}
				run := func(vec bool) (out, ix []float32) {
					bnVec = vec
					out, ix = make([]float32, g.C*g.OH*g.OW), make([]float32, g.C*g.OH*g.OW)
					maxPool(out, ix, src, g, false)
					return out, ix
				}
				wantOut, wantIx := run(false)
				gotOut, gotIx := run(true)
				if !sameBits(gotOut, wantOut) || !sameBits(gotIx, wantIx) {
					t.Fatalf("%dx%d pad %d: vector pool differs from the Go loop:\nvalues  %v\nwant    %v\nindices %v\nwant    %v", h, w, pad, gotOut, wantOut, gotIx, wantIx)
				}
			}
		}
	}
}

// The whole batch-norm kernels with the vector loops, which run a
// channel's planes in one call, against the Go loops, which run them
// plane by plane: the same bits, forward (plain, + ReLU, + residual +
// ReLU) and backward (training and not, masked by y and not), on planes of
// 1 to 300 values (the whole-vector part, the one-by-one tail, several
// 256-value blocks), with NaN, infinities, signed zeros and subnormals.
func TestBatchNormChannelCallsMatchGo(t *testing.T) {
	if !bnVec {
		t.Skip("no vector batch norm on this machine")
	}
	defer func(v bool) { bnVec = v }(bnVec)
	rng := rand.New(rand.NewPCG(31, 32))
	k := New()
	for _, inner := range []int{1, 3, 7, 9, 15, 49, 50, 255, 256, 257, 300} {
		for _, shape := range [][2]int{{1, 1}, {3, 2}, {5, 3}} {
			outer, c := shape[0], shape[1]
			n := outer * c * inner
			x, g, res := randn(rng, n), randn(rng, n), randn(rng, n)
			for _, v := range [][]float32{x, g, res} {
				specials(rng, v)
			}
			gamma, beta := randn(rng, c), randn(rng, c)
			type out struct{ y, m, v, inv, k []float32 }
			fwd := func(mode int) out {
				o := out{make([]float32, n), make([]float32, c), make([]float32, c), make([]float32, c), make([]float32, c)}
				b := func(s []float32) *Buf { return &Buf{D: s} }
				switch mode {
				case 2:
					k.BatchNormAddReLUForward(b(o.y), b(o.m), b(o.v), b(o.inv), b(o.k), b(x), b(res), b(gamma), b(beta), outer, c, inner, 1e-5)
				default:
					k.BatchNormForward(b(o.y), b(o.m), b(o.v), b(o.inv), b(o.k), b(x), b(gamma), b(beta), outer, c, inner, 1e-5, mode == 1)
				}
				return o
			}
			for mode := range 3 {
				bnVec = false
				want := fwd(mode)
				bnVec = true
				got := fwd(mode)
				for i, pair := range [][2][]float32{{want.y, got.y}, {want.m, got.m}, {want.v, got.v}, {want.inv, got.inv}, {want.k, got.k}} {
					if j := firstDiff(pair[0], pair[1]); j >= 0 {
						t.Fatalf("forward mode %d, %dx%dx%d: output %d value %d is %v, want %v", mode, outer, c, inner, i, j, pair[1][j], pair[0][j])
					}
				}
				// Backward from this forward's statistics.
				for _, training := range []bool{true, false} {
					for _, masked := range []bool{true, false} {
						var y backend.Buffer
						if masked {
							y = &Buf{D: want.y}
						}
						bwd := func() [3][]float32 {
							dx, dg, db := make([]float32, n), make([]float32, c), make([]float32, c)
							k.BatchNormGrad(&Buf{D: dx}, &Buf{D: dg}, &Buf{D: db}, &Buf{D: g}, y, &Buf{D: x},
								&Buf{D: want.m}, &Buf{D: want.inv}, &Buf{D: want.k}, outer, c, inner, training)
							return [3][]float32{dx, dg, db}
						}
						bnVec = false
						w := bwd()
						bnVec = true
						gt := bwd()
						for i := range w {
							if j := firstDiff(w[i], gt[i]); j >= 0 {
								t.Fatalf("backward (training %v, masked %v) after mode %d, %dx%dx%d: output %d value %d is %v, want %v",
									training, masked, mode, outer, c, inner, i, j, gt[i][j], w[i][j])
							}
						}
					}
				}
			}
		}
	}
}
