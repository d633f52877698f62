package cpu

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"syscall"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

// refConv64 is the definition of a convolution (groups 1) in float64: y,
// and mag, the sum of the absolute values of each output's terms (the
// scale of its rounding error).
func refConv64(x, w, bias []float32, g backend.ConvGeom, oc int) (y, mag []float64) {
	y = make([]float64, g.N*oc*g.OH*g.OW)
	mag = make([]float64, len(y))
	for n := range g.N {
		for o := range oc {
			for oh := range g.OH {
				for ow := range g.OW {
					var s, m float64
					if bias != nil {
						s, m = float64(bias[o]), math.Abs(float64(bias[o]))
					}
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
								t := float64(x[((n*g.C+c)*g.H+ih)*g.W+iw]) * float64(w[((o*g.C+c)*g.KH+kh)*g.KW+kw])
								s += t
								m += math.Abs(t)
							}
						}
					}
					i := ((n*oc+o)*g.OH+oh)*g.OW + ow
					y[i], mag[i] = s, m
				}
			}
		}
	}
	return y, mag
}

// refConvDx64 is the input gradient of refConv64 for output gradient dy.
func refConvDx64(dy, w []float32, g backend.ConvGeom, oc int) (dx, mag []float64) {
	dx = make([]float64, g.N*g.C*g.H*g.W)
	mag = make([]float64, len(dx))
	for n := range g.N {
		for o := range oc {
			for oh := range g.OH {
				for ow := range g.OW {
					v := float64(dy[((n*oc+o)*g.OH+oh)*g.OW+ow])
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
								t := v * float64(w[((o*g.C+c)*g.KH+kh)*g.KW+kw])
								i := ((n*g.C+c)*g.H+ih)*g.W + iw
								dx[i] += t
								mag[i] += math.Abs(t)
							}
						}
					}
				}
			}
		}
	}
	return dx, mag
}

func randn(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

// checkClose fails where |got - want| exceeds 1e-6 times the output's
// term magnitude plus 1e-6: about 16 float32 roundings of the largest
// term, far below the engine's forward tolerance (1e-5 + 1e-4 |y|) on
// these sizes, and far above what a wrong tap or tile edge gives.
func checkClose(t *testing.T, what string, got []float32, want, mag []float64) {
	t.Helper()
	bad := 0
	for i := range want {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= 1e-6*mag[i]+1e-6) {
			if bad < 3 {
				t.Errorf("%s: [%d] = %g, want %g (mag %g)", what, i, got[i], want[i], mag[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values off", what, bad, len(want))
	}
}

// winogradGeoms are stride-1 3x3 geometries that take the Winograd path:
// odd and even planes, non-square ones, every padding from 0 to 2, small
// and odd channel counts, batches smaller and larger than the threads.
func winogradGeoms() []struct {
	g  backend.ConvGeom
	oc int
} {
	var out []struct {
		g  backend.ConvGeom
		oc int
	}
	for i, s := range []struct{ n, c, h, w, ph, pw, oc int }{
		{1, 4, 40, 40, 1, 1, 4}, {1, 5, 41, 43, 1, 1, 7}, {2, 8, 42, 44, 0, 0, 6}, {3, 4, 41, 45, 2, 2, 5},
		{1, 17, 57, 40, 1, 0, 9}, {4, 4, 42, 42, 0, 2, 4}, {1, 16, 56, 56, 1, 1, 16}, {2, 7, 43, 41, 2, 1, 11},
	} {
		g := backend.ConvGeom{N: s.n, C: s.c, H: s.h, W: s.w, KH: 3, KW: 3, SH: 1, SW: 1, PH: s.ph, PW: s.pw, DH: 1, DW: 1}.Out()
		if !useWinograd(g, backend.ConvGroups{OC: s.oc, Groups: 1}) {
			panic(fmt.Sprintf("geometry %d does not take the Winograd path: %+v", i, g))
		}
		out = append(out, struct {
			g  backend.ConvGeom
			oc int
		}{g, s.oc})
	}
	return out
}

// Winograd's forward pass and input gradient against the definition, on
// 1 to 3 threads (the batch below and above the thread count), bit for
// bit the same on each.
func TestWinogradMatchesDefinition(t *testing.T) {
	defer SetThreads(Threads())
	rng := rand.New(rand.NewPCG(5, 6))
	b := New()
	for _, tc := range winogradGeoms() {
		g, oc := tc.g, tc.oc
		o := backend.ConvGroups{OC: oc, Groups: 1}
		x, w, bias := randn(rng, g.N*g.C*g.H*g.W), randn(rng, oc*g.C*9), randn(rng, oc)
		dy := randn(rng, g.N*oc*g.OH*g.OW)
		ref, mag := refConv64(x, w, bias, g, oc)
		refDx, magDx := refConvDx64(dy, w, g, oc)
		if !useWinogradGrad(g, o) {
			t.Fatalf("%+v: input gradient not on the Winograd path", g)
		}
		var first [][]float32
		for _, th := range []int{1, 2, 3} {
			SetThreads(th)
			y := &Buf{D: randn(rng, len(dy))}
			b.ConvForward(y, &Buf{D: x}, &Buf{D: w}, &Buf{D: bias}, g, o)
			what := fmt.Sprintf("N%d C%d %dx%d pad %d,%d OC%d on %d threads", g.N, g.C, g.H, g.W, g.PH, g.PW, oc, th)
			checkClose(t, "forward "+what, y.D, ref, mag)
			dx := &Buf{D: randn(rng, len(x))}
			b.ConvBackward(dx, nil, nil, &Buf{D: dy}, &Buf{D: x}, &Buf{D: w}, g, o)
			checkClose(t, "dx "+what, dx.D, refDx, magDx)
			if first == nil {
				first = [][]float32{y.D, dx.D}
			} else if !slices.Equal(first[0], y.D) || !slices.Equal(first[1], dx.D) {
				t.Errorf("%s: bits differ from 1 thread", what)
			}
		}
	}
}

// Shapes just outside the Winograd path keep im2col and are still right.
func TestWinogradChoosesByShape(t *testing.T) {
	mk := func(c, h, s, p, d, oc, grp int) (backend.ConvGeom, backend.ConvGroups) {
		return backend.ConvGeom{N: 1, C: c, H: h, W: h, KH: 3, KW: 3, SH: s, SW: s, PH: p, PW: p, DH: d, DW: d}.Out(), backend.ConvGroups{OC: oc, Groups: grp}
	}
	for _, tc := range []struct {
		c, h, s, p, d, oc, grp int
		want                   bool
	}{
		{64, 56, 1, 1, 1, 64, 1, true}, {128, 28, 1, 1, 1, 128, 1, false}, {256, 14, 1, 1, 1, 256, 1, false},
		{64, 56, 2, 1, 1, 64, 1, false}, {64, 56, 1, 2, 2, 64, 1, false}, {64, 56, 1, 1, 1, 64, 2, false},
		{64, 56, 1, 3, 1, 64, 1, false}, {3, 224, 1, 1, 1, 64, 1, false},
	} {
		g, o := mk(tc.c, tc.h, tc.s, tc.p, tc.d, tc.oc, tc.grp)
		if got := useWinograd(g, o); got != tc.want {
			t.Errorf("useWinograd(%+v, %+v) = %v, want %v", g, o, got, tc.want)
		}
	}
}

// cpuSeconds is the processor time of the process so far (user +
// system): on a busy machine a steadier figure than wall time.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return math.NaN()
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkConv3x3 compares Winograd with im2col + GEMM on ResNet-50's
// stride-1 3x3 layers: go test -run xxx -bench Conv3x3 ./engine/backend/cpu
func BenchmarkConv3x3(b *testing.B) {
	rng := rand.New(rand.NewPCG(7, 8))
	k := New()
	for _, s := range []struct{ n, c, h int }{{1, 64, 56}, {1, 128, 28}, {1, 256, 14}, {4, 64, 56}, {4, 256, 14}} {
		g := backend.ConvGeom{N: s.n, C: s.c, H: s.h, W: s.h, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1}.Out()
		o := backend.ConvGroups{OC: s.c, Groups: 1}
		x, w := &Buf{D: randn(rng, g.N*g.C*g.H*g.W)}, &Buf{D: randn(rng, s.c*s.c*9)}
		y, dx := &Buf{D: make([]float32, g.N*s.c*g.OH*g.OW)}, &Buf{D: make([]float32, len(x.D))}
		for _, path := range []string{"winograd", "im2col"} {
			name := fmt.Sprintf("N%d_C%d_%d/%s", s.n, s.c, s.h, path)
			b.Run(name+"/fwd", func(b *testing.B) {
				winogradOff = path == "im2col"
				defer func() { winogradOff = false }()
				c0 := cpuSeconds()
				for b.Loop() {
					k.ConvForward(y, x, w, nil, g, o)
				}
				b.ReportMetric((cpuSeconds()-c0)*1e3/float64(b.N), "cpu-ms/op")
			})
			b.Run(name+"/dx", func(b *testing.B) {
				winogradOff = path == "im2col"
				defer func() { winogradOff = false }()
				c0 := cpuSeconds()
				for b.Loop() {
					k.ConvBackward(dx, nil, nil, y, x, w, g, o)
				}
				b.ReportMetric((cpuSeconds()-c0)*1e3/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

// BenchmarkWinogradTransforms times the input and output transforms alone
// for one image of 128 channels at 28x28 and 256 at 14x14 (one thread):
// go test -run xxx -bench WinogradTransforms ./engine/backend/cpu
func BenchmarkWinogradTransforms(b *testing.B) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, s := range []struct{ c, h int }{{128, 28}, {256, 14}, {64, 56}} {
		g := backend.ConvGeom{N: 1, C: s.c, H: s.h, W: s.h, KH: 3, KW: 3, SH: 1, SW: 1, PH: 1, PW: 1, DH: 1, DW: 1}.Out()
		th, tw := (g.OH+1)/2, (g.OW+1)/2
		t := th * tw
		x, v := randn(rng, s.c*s.h*s.h), make([]float32, 16*s.c*t)
		y := make([]float32, s.c*g.OH*g.OW)
		b.Run(fmt.Sprintf("C%d_%d/input", s.c, s.h), func(b *testing.B) {
			c0 := cpuSeconds()
			for b.Loop() {
				winogradInput(v, x, g, th, tw, t, 0, s.c)
			}
			b.ReportMetric((cpuSeconds()-c0)*1e6/float64(b.N), "cpu-us/op")
		})
		b.Run(fmt.Sprintf("C%d_%d/output", s.c, s.h), func(b *testing.B) {
			c0 := cpuSeconds()
			for b.Loop() {
				winogradOutput(y, v, nil, g, s.c, th, tw, t, 0, s.c)
			}
			b.ReportMetric((cpuSeconds()-c0)*1e6/float64(b.N), "cpu-us/op")
		})
	}
}
