package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/tensor"
)

type unaryCase struct {
	op          backend.UnaryOp
	alpha, beta float32
	gen         func(r *rand.Rand, n int) []float32
	tl          tol
}

func positive(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(0.05 + 3*r.Float64())
	}
	return v
}

// withJoints is normal values including exact zeros and the clamp bounds,
// where conventions are pinned.
func withJoints(r *rand.Rand, n int) []float32 {
	v := normal(r, n, 2)
	for i := 0; i < n; i += 5 {
		v[i] = 0
	}
	if n > 3 {
		v[1], v[3] = -0.5, 0.75
	}
	return v
}

func unaryCases() []unaryCase {
	nz := func(r *rand.Rand, n int) []float32 { // away from 0 for 1/x
		v := normal(r, n, 1)
		for i := range v {
			if math.Abs(float64(v[i])) < 0.1 {
				v[i] += 0.2
			}
		}
		return v
	}
	wide := func(r *rand.Rand, n int) []float32 { return normal(r, n, 6) }
	return []unaryCase{
		{backend.Neg, 0, 0, withJoints, exact},
		{backend.Exp, 0, 0, wide, trans},
		{backend.Log, 0, 0, positive, trans},
		{backend.Sqrt, 0, 0, positive, ulp4},
		{backend.Abs, 0, 0, withJoints, exact},
		{backend.Square, 0, 0, withJoints, ulp4},
		{backend.Recip, 0, 0, nz, ulp4},
		{backend.ReLU, 0, 0, withJoints, exact},
		{backend.LeakyReLU, 0.1, 0, withJoints, ulp4},
		{backend.ELU, 1.3, 0, withJoints, trans},
		{backend.SELU, 0, 0, withJoints, trans},
		{backend.GELU, 0, 0, wide, trans},
		{backend.Sigmoid, 0, 0, wide, trans},
		{backend.Tanh, 0, 0, wide, trans},
		{backend.Sign, 0, 0, withJoints, exact},
		{backend.Pow, 1.7, 0, positive, trans},
		{backend.Pow, -0.5, 0, positive, trans},
		{backend.Pow, 2, 0, positive, trans},
		{backend.AddScalar, 0.7, 0, withJoints, ulp4},
		{backend.MulScalar, -1.9, 0, withJoints, ulp4},
		{backend.Clamp, -0.5, 0.75, withJoints, exact},
	}
}

func testUnary(t *testing.T, s *suite) {
	r := rng(t)
	for _, c := range unaryCases() {
		t.Run(fmt.Sprintf("%v(%g,%g)", c.op, c.alpha, c.beta), func(t *testing.T) {
			for _, n := range sizes {
				x := c.gen(r, n)
				got, orc := s.both(func(k backend.Backend, who int) []float32 {
					dst := k.Alloc(n)
					k.Unary(c.op, dst, up(k, x), c.alpha, c.beta)
					return down(k, dst, n)
				})
				ref := make([]float64, n)
				for i, v := range x {
					ref[i] = refUnary(c.op, float64(v), float64(c.alpha), float64(c.beta))
				}
				compare(t, fmt.Sprint(n), got, orc, ref, nil, c.tl)
			}
		})
	}
}

func testUnaryGrad(t *testing.T, s *suite) {
	r := rng(t)
	for _, c := range unaryCases() {
		t.Run(fmt.Sprintf("%v(%g,%g)", c.op, c.alpha, c.beta), func(t *testing.T) {
			for _, n := range sizes {
				x := c.gen(r, n)
				y := make([]float32, n)
				for i, v := range x {
					y[i] = float32(refUnary(c.op, float64(v), float64(c.alpha), float64(c.beta)))
				}
				dy := normal(r, n, 1)
				got, orc := s.both(func(k backend.Backend, who int) []float32 {
					dx := k.Alloc(n)
					k.UnaryGrad(c.op, dx, up(k, x), up(k, y), up(k, dy), c.alpha, c.beta)
					return down(k, dx, n)
				})
				ref, mag := make([]float64, n), make([]float64, n)
				for i, v := range x {
					d := refDeriv(c.op, float64(v), float64(c.alpha), float64(c.beta))
					ref[i] = float64(dy[i]) * d
					// A backend may compute f' from the rounded y (1-y² for
					// tanh): its error is relative to the terms, not to f'.
					yi, terms := math.Abs(float64(y[i])), math.Abs(d)
					switch c.op {
					case backend.Tanh:
						terms = 1 + yi*yi
					case backend.Sigmoid:
						terms = yi * (1 + yi)
					case backend.ELU, backend.SELU:
						terms += yi + seluScale*seluAlpha
					}
					mag[i] = math.Abs(float64(dy[i])) * terms
				}
				tl := c.tl
				if tl == exact {
					tl = ulp4
				}
				// Derivatives computed from the rounded y (σ(1-σ), 1-tanh²)
				// lose a little more.
				tl.rel *= 4
				compare(t, fmt.Sprint(n), got, orc, ref, mag, tl)
			}
		})
	}
}

// shapes of broadcast operand pairs.
var bcastPairs = [][2][]int{
	{{5, 7}, {5, 7}},
	{{5, 7}, {7}},
	{{5, 7}, {5, 1}},
	{{7}, {5, 7}},
	{{2, 3, 4}, {3, 1}},
	{{1, 4}, {3, 1}},
	{{4, 1, 3}, {1, 5, 1}},
	{{2, 1, 3, 1, 2, 2}, {1, 2, 1, 3, 1, 2}},
	{{}, {}},
	{{1}, {3, 2}},
	{{64, 50}, {50}},
	{{3, 600}, {3, 600}},
	{{300, 120}, {300, 1}},
	{{2, 150, 120}, {150, 1}},
}

func testBinary(t *testing.T, s *suite) {
	r := rng(t)
	for op := backend.Add; op <= backend.GreaterMask; op++ {
		t.Run(op.String(), func(t *testing.T) {
			for _, p := range bcastPairs {
				st, err := tensor.Broadcast(p[0], p[1])
				if err != nil {
					t.Fatal(err)
				}
				na, nb, n := tensor.Numel(p[0]), tensor.Numel(p[1]), tensor.Numel(st.Shape)
				a, bv := normal(r, na, 1), normal(r, nb, 1)
				if op == backend.Div {
					for i := range bv {
						if math.Abs(float64(bv[i])) < 0.1 {
							bv[i] += 0.3
						}
					}
				}
				if op >= backend.Max && na > 1 && nb > 1 {
					bv[0] = a[0] // a tie
				}
				got, orc := s.both(func(k backend.Backend, who int) []float32 {
					dst := k.Alloc(n)
					k.Binary(op, dst, up(k, a), up(k, bv), st)
					return down(k, dst, n)
				})
				oa, ob := offsets(st.Shape, st.StrideA, st.StrideB)
				ref := make([]float64, n)
				for i := range ref {
					ref[i] = refBinary(op, float64(a[oa[i]]), float64(bv[ob[i]]))
				}
				tl := exact
				if op <= backend.Div {
					tl = ulp4
				}
				compare(t, fmt.Sprintf("%v with %v", p[0], p[1]), got, orc, ref, nil, tl)
			}
		})
	}
}

// The autograd package updates in place (bias adds, masks): dst may be the
// same buffer as x or a for the elementwise kernels.
func testInPlace(t *testing.T, s *suite) {
	r := rng(t)
	b := s.b
	n := 1001
	x := normal(r, n, 1)
	buf := up(b, x)
	b.Unary(backend.MulScalar, buf, buf, -2, 0)
	b.Unary(backend.AddScalar, buf, buf, 1, 0)
	ref := make([]float64, n)
	for i, v := range x {
		ref[i] = -2*float64(v) + 1
	}
	check(t, "Unary in place", down(b, buf, n), ref, nil, ulp4)

	bias := normal(r, 7, 1)
	rows := 143
	y := normal(r, rows*7, 1)
	ybuf := up(b, y)
	b.Binary(backend.Add, ybuf, ybuf, up(b, bias), backend.Strided{Shape: []int{rows, 7}, StrideA: []int{7, 1}, StrideB: []int{0, 1}})
	ref = make([]float64, rows*7)
	for i := range ref {
		ref[i] = float64(y[i]) + float64(bias[i%7])
	}
	check(t, "Binary in place", down(b, ybuf, rows*7), ref, nil, ulp4)
}

func testAxpy(t *testing.T, s *suite) {
	r := rng(t)
	for _, n := range sizes {
		y, x := normal(r, n, 1), normal(r, n, 1)
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			dst := up(k, y)
			k.Axpy(dst, -0.37, up(k, x))
			return down(k, dst, n)
		})
		ref, mag := make([]float64, n), make([]float64, n)
		for i := range ref {
			ref[i] = float64(y[i]) - 0.37*float64(x[i])
			mag[i] = math.Abs(float64(y[i])) + math.Abs(0.37*float64(x[i]))
		}
		compare(t, fmt.Sprint(n), got, orc, ref, mag, ulp4)
	}
}

func testSumTo(t *testing.T, s *suite) {
	r := rng(t)
	for _, p := range bcastPairs {
		// Sum a gradient of the broadcast shape back to each operand.
		for side := 0; side < 2; side++ {
			st, _ := tensor.Broadcast(p[0], p[1])
			small := p[side]
			strides := st.StrideA
			if side == 1 {
				strides = st.StrideB
			}
			n, ns := tensor.Numel(st.Shape), tensor.Numel(small)
			g := normal(r, n, 1)
			got, orc := s.both(func(k backend.Backend, who int) []float32 {
				dst := up(k, normal(r, ns, 1)) // overwritten
				k.SumTo(dst, up(k, g), backend.Strided{Shape: st.Shape, StrideA: strides})
				return down(k, dst, ns)
			})
			off, _ := offsets(st.Shape, strides, strides)
			ref, mag := make([]float64, ns), make([]float64, ns)
			for i, v := range g {
				ref[off[i]] += float64(v)
				mag[off[i]] += math.Abs(float64(v))
			}
			compare(t, fmt.Sprintf("%v to %v", st.Shape, small), got, orc, ref, mag, tol{rel: float64(2 * n / ns)})
		}
	}
}

func testReduce(t *testing.T, s *suite) {
	r := rng(t)
	geoms := [][3]int{{1, 1, 1}, {3, 5, 7}, {1, 100, 1}, {7, 9, 1}, {2, 1, 5}, {16, 301, 1}, {5, 64, 33}, {1, 3, 1000}, {64, 600, 1}, {40, 30, 40}, {1, 65536, 1}, {1, 1 << 18, 1}, {2, 20000, 3}}
	for _, op := range []backend.ReduceOp{backend.Sum, backend.Mean, backend.MaxReduce} {
		t.Run(fmt.Sprint([]string{"sum", "mean", "max"}[op]), func(t *testing.T) {
			for _, g := range geoms {
				for _, shift := range []float32{0, 100} {
					outer, n, inner := g[0], g[1], g[2]
					x := normal(r, outer*n*inner, 1)
					for i := range x {
						x[i] += shift
					}
					got, orc := s.both(func(k backend.Backend, who int) []float32 {
						dst := k.Alloc(outer * inner)
						k.Reduce(op, dst, up(k, x), outer, n, inner)
						return down(k, dst, outer*inner)
					})
					ref, mag := refReduce(op, x, outer, n, inner)
					// A sum must be as good as a pairwise (tree) sum,
					// O(log n) ulps: a float32 running sum of 65536 values
					// near 100 is off by hundreds, enough to spoil a layer
					// norm's mean.
					tl := tol{rel: math.Ceil(math.Log2(float64(n))) + 4}
					if op == backend.MaxReduce {
						tl = exact
					}
					compare(t, fmt.Sprintf("[%d,%d,%d] shifted by %g", outer, n, inner, shift), got, orc, ref, mag, tl)
				}
			}
		})
	}
}

func testPermute(t *testing.T, s *suite) {
	r := rng(t)
	cases := []struct{ shape, perm []int }{
		{[]int{2, 3, 4}, []int{0, 1, 2}},
		{[]int{2, 3, 4}, []int{0, 2, 1}},
		{[]int{2, 3, 4}, []int{1, 0, 2}},
		{[]int{2, 3, 4}, []int{1, 2, 0}},
		{[]int{2, 3, 4}, []int{2, 0, 1}},
		{[]int{2, 3, 4}, []int{2, 1, 0}},
		{[]int{3, 1, 5, 2}, []int{3, 0, 2, 1}},
		{[]int{7, 9}, []int{1, 0}},
		{[]int{32, 8, 196}, []int{1, 0, 2}},
		{[]int{2, 3, 1, 2, 2, 3}, []int{5, 4, 3, 2, 1, 0}},
	}
	for _, c := range cases {
		n := tensor.Numel(c.shape)
		x := normal(r, n, 1)
		got, orc := s.both(func(k backend.Backend, who int) []float32 {
			dst := k.Alloc(n)
			k.Permute(dst, up(k, x), c.shape, c.perm)
			return down(k, dst, n)
		})
		outShape := make([]int, len(c.shape))
		inSt := tensor.Strides(c.shape)
		st := make([]int, len(c.shape))
		for i, p := range c.perm {
			outShape[i], st[i] = c.shape[p], inSt[p]
		}
		off, _ := offsets(outShape, st, st)
		ref := make([]float64, n)
		for i := range ref {
			ref[i] = float64(x[off[i]])
		}
		compare(t, fmt.Sprintf("%v by %v", c.shape, c.perm), got, orc, ref, nil, exact)
	}
}
