package backendtest

import (
	"fmt"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

func testChannelStats(t *testing.T, s *suite) {
	r := rng(t)
	for _, g := range [][3]int{{4, 3, 5}, {1, 1, 2}, {2, 5, 1}, {16, 8, 49}, {64, 3, 1}, {32, 16, 49}} {
		outer, c, inner := g[0], g[1], g[2]
		for _, shift := range []float64{0, 100} {
			x := normal(r, outer*c*inner, 1)
			for i := range x {
				x[i] += float32(shift) // statistics far from zero must stay accurate
			}
			var gotVar, orcVar []float32
			got, orc := s.both(func(k backend.Backend, who int) []float32 {
				mean, variance := k.Alloc(c), k.Alloc(c)
				k.ChannelStats(mean, variance, up(k, x), outer, c, inner)
				if who == 0 {
					gotVar = down(k, variance, c)
				} else {
					orcVar = down(k, variance, c)
				}
				return down(k, mean, c)
			})
			mean, variance := refChannelStats(x, outer, c, inner)
			count := float64(outer * inner)
			what := fmt.Sprintf("[%d,%d,%d] shifted by %g", outer, c, inner, shift)
			meanMag := make([]float64, c)
			for i := range meanMag {
				meanMag[i] = math.Abs(mean[i]) + math.Sqrt(variance[i])
			}
			compare(t, what+" mean", got, orc, mean, meanMag, tol{rel: 2 * count})
			// The variance must be accurate relative to itself, not to
			// mean² (the one-pass E[x²]-E[x]² formula fails this).
			compare(t, what+" variance", gotVar, orcVar, variance, nil, tol{rel: 4 * count, abs: 1})
		}
	}
}

func testChannelAffine(t *testing.T, s *suite) {
	r := rng(t)
	for _, g := range [][3]int{{4, 3, 5}, {1, 1, 2}, {2, 5, 1}, {16, 8, 49}, {32, 16, 49}} {
		outer, c, inner := g[0], g[1], g[2]
		n := outer * c * inner
		x, scale, shift := normal(r, n, 1), normal(r, c, 1), normal(r, c, 1)
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			dst := k.Alloc(n)
			k.ChannelAffine(dst, up(k, x), up(k, scale), up(k, shift), outer, c, inner)
			return down(k, dst, n)
		})
		ref, mag := make([]float64, n), make([]float64, n)
		for i, v := range x {
			ch := (i / inner) % c
			ref[i] = float64(v)*float64(scale[ch]) + float64(shift[ch])
			mag[i] = math.Abs(float64(v)*float64(scale[ch])) + math.Abs(float64(shift[ch]))
		}
		compare(t, fmt.Sprintf("[%d,%d,%d]", outer, c, inner), got, orc, ref, mag, ulp4)
	}
}

func testDropoutMask(t *testing.T, s *suite) {
	for _, c := range []struct {
		n    int
		p    float32
		seed uint64
	}{{1, 0.5, 1}, {10007, 0.3, 12345}, {5000, 0, 7}, {4096, 0.9, 1 << 40}} {
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			m := k.Alloc(c.n)
			k.DropoutMask(m, c.p, c.seed)
			return down(k, m, c.n)
		})
		keep := 1 / (1 - c.p)
		ref := make([]float64, c.n)
		kept := 0
		for i := range ref {
			if backend.Uniform(c.seed, uint64(i)) >= c.p {
				ref[i] = float64(keep)
				kept++
			}
		}
		// Bit for bit: every backend draws the same mask.
		compare(t, fmt.Sprintf("n=%d p=%g seed=%d", c.n, c.p, c.seed), got, orc, ref, nil, exact)
		if c.n > 1000 {
			if frac := float64(kept) / float64(c.n); math.Abs(frac-float64(1-c.p)) > 0.03 {
				t.Errorf("p=%g keeps %.3f of the elements", c.p, frac)
			}
		}
	}
}

func testSGDStep(t *testing.T, s *suite) {
	r := rng(t)
	n := 10007
	for _, c := range []struct {
		momentum, wd float32
		nesterov     bool
	}{{0, 0, false}, {0, 0.01, false}, {0.9, 0, false}, {0.9, 5e-4, true}} {
		w0, v0 := normal(r, n, 1), make([]float32, n)
		grads := [][]float32{normal(r, n, 1), normal(r, n, 1), normal(r, n, 1)}
		var gotV, orcV []float32
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			w := up(k, w0)
			var v backend.Buffer
			if c.momentum != 0 {
				v = up(k, v0)
			}
			for _, g := range grads {
				k.SGDStep(w, up(k, g), v, 0.1, c.momentum, c.wd, c.nesterov)
			}
			if v != nil {
				if who == 0 {
					gotV = down(k, v, n)
				} else {
					orcV = down(k, v, n)
				}
			}
			return down(k, w, n)
		})
		w, v := f64(w0), f64(v0)
		for _, g := range grads {
			refSGD(w, v, g, 0.1, float64(c.momentum), float64(c.wd), c.nesterov)
		}
		what := fmt.Sprintf("momentum %g wd %g nesterov %v", c.momentum, c.wd, c.nesterov)
		mag := make([]float64, n)
		for i := range mag {
			mag[i] = math.Abs(float64(w0[i])) + 0.5 // |w| plus the steps' size
		}
		compare(t, what+" weights", got, orc, w, mag, tol{rel: 16})
		if c.momentum != 0 {
			compare(t, what+" velocity", gotV, orcV, v, nil, tol{rel: 16, abs: 4})
		}
	}
}

func testAdamStep(t *testing.T, s *suite) {
	r := rng(t)
	n := 10007
	for _, c := range []struct {
		wd        float32
		decoupled bool
	}{{0, false}, {0.01, false}, {0.05, true}} {
		w0 := normal(r, n, 1)
		grads := [][]float32{normal(r, n, 1), normal(r, n, 0.1), normal(r, n, 3)}
		p := backend.AdamParams{LR: 1e-2, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: c.wd, Decoupled: c.decoupled}
		var moments [2][]float32
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			w, m, v := up(k, w0), k.Alloc(n), k.Alloc(n)
			for i, g := range grads {
				p.Step = i + 1
				k.AdamStep(w, up(k, g), m, v, p)
			}
			if who == 0 {
				moments = [2][]float32{down(k, m, n), down(k, v, n)}
			}
			return down(k, w, n)
		})
		w, m, v := f64(w0), make([]float64, n), make([]float64, n)
		for i, g := range grads {
			p.Step = i + 1
			refAdam(w, m, v, g, p)
		}
		what := fmt.Sprintf("wd %g decoupled %v", c.wd, c.decoupled)
		mag := make([]float64, n)
		for i := range mag {
			mag[i] = math.Abs(float64(w0[i])) + 0.03 // |w| plus three steps of lr
		}
		compare(t, what+" weights", got, orc, w, mag, tol{rel: 16})
		check(t, what+" first moment", moments[0], m, nil, tol{rel: 16, abs: 4})
		check(t, what+" second moment", moments[1], v, nil, tol{rel: 16, abs: 4})
	}
}
