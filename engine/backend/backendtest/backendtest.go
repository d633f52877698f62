package backendtest

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/backend/cpu"
)

// Run checks every kernel of b, one subtest each.
func Run(t *testing.T, b backend.Backend) {
	s := &suite{b: b, o: cpu.New()}
	for _, k := range []struct {
		name string
		f    func(*testing.T, *suite)
	}{
		{"Memory", testMemory},
		{"Unary", testUnary},
		{"UnaryGrad", testUnaryGrad},
		{"Binary", testBinary},
		{"InPlace", testInPlace},
		{"Axpy", testAxpy},
		{"SumTo", testSumTo},
		{"Reduce", testReduce},
		{"Permute", testPermute},
		{"Gemm", testGemm},
		{"Im2Col", testIm2Col},
		{"Col2Im", testCol2Im},
		{"DirectConv", testDirectConv},
		{"MaxPool", testMaxPool},
		{"MaxPoolGrad", testMaxPoolGrad},
		{"MaxPoolReLU", testMaxPoolReLU},
		{"AvgPool", testAvgPool},
		{"AvgPoolGrad", testAvgPoolGrad},
		{"Softmax", testSoftmax},
		{"SoftmaxGrad", testSoftmaxGrad},
		{"SoftmaxXent", testSoftmaxXent},
		{"ChannelStats", testChannelStats},
		{"ChannelAffine", testChannelAffine},
		{"DropoutMask", testDropoutMask},
		{"SGDStep", testSGDStep},
		{"AdamStep", testAdamStep},
	} {
		t.Run(k.name, func(t *testing.T) { k.f(t, s) })
	}
}

type suite struct {
	b, o backend.Backend // under test, oracle
}

// rng is seeded per subtest so that each is reproducible on its own.
func rng(t *testing.T) *rand.Rand {
	var h uint64 = 14695981039346656037
	for _, c := range t.Name() {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return rand.New(rand.NewPCG(h, 0xbac))
}

func normal(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

func up(k backend.Backend, v []float32) backend.Buffer {
	buf := k.Alloc(len(v))
	k.Write(buf, 0, v)
	return buf
}

func down(k backend.Backend, buf backend.Buffer, n int) []float32 {
	v := make([]float32, n)
	k.Read(buf, 0, v)
	return v
}

// both runs f on the backend under test (who 0) and on the oracle (who 1).
// (Backends may be pointers to empty structs, which compare equal.)
func (s *suite) both(f func(k backend.Backend, who int) []float32) (got, oracle []float32) {
	return f(s.b, 0), f(s.o, 1)
}

// tol is a tolerance in float32 units in the last place (2⁻²³):
// |got - want| <= eps·(rel·magᵢ + abs·max(mag)), where magᵢ is the size of
// the terms that make up element i (|want| for a plain function).
type tol struct{ rel, abs float64 }

var (
	exact = tol{}
	ulp4  = tol{rel: 4}
	trans = tol{rel: 64, abs: 8} // exp, log, tanh and friends
)

const eps32 = 1.0 / (1 << 23)

func abs64(v []float64) []float64 {
	m := make([]float64, len(v))
	for i, x := range v {
		m[i] = math.Abs(x)
	}
	return m
}

func f64(v []float32) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = float64(x)
	}
	return o
}

// check compares got with want within tl and reports the count and the
// worst element.
func check(t *testing.T, what string, got []float32, want, mag []float64, tl tol) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	if mag == nil {
		mag = abs64(want)
	}
	maxMag := 0.0
	for _, m := range mag {
		if !math.IsInf(m, 0) && !math.IsNaN(m) {
			maxMag = max(maxMag, m)
		}
	}
	bad, worst, worstX := 0, 0, 0.0
	for i, g := range got {
		w, gg := want[i], float64(g)
		if gg == w || math.IsNaN(gg) && math.IsNaN(w) {
			continue
		}
		lim := eps32 * (tl.rel*mag[i] + tl.abs*maxMag)
		d := math.Abs(gg - w)
		if d <= lim {
			continue
		}
		bad++
		if x := d / max(lim, 1e-300); bad == 1 || x > worstX || math.IsNaN(d) {
			worst, worstX = i, x
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values out of tolerance (%g·ulp·|terms| + %g·ulp·max); worst at %d: got %.9g, want %.9g (%.3g× the limit)",
			what, bad, len(got), tl.rel, tl.abs, worst, got[worst], want[worst], worstX)
	}
}

// compare checks the backend's result against the oracle's and against
// the reference.
func compare(t *testing.T, what string, got, oracle []float32, ref, mag []float64, tl tol) {
	t.Helper()
	if mag == nil {
		mag = abs64(ref)
	}
	check(t, what+" vs cpu", got, f64(oracle), mag, tl)
	check(t, what+" vs reference", got, ref, mag, tl)
}

// sizes include one above the CPU backend's threshold for splitting work
// over goroutines even for the cheapest kernels.
