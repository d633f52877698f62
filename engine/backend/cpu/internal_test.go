package cpu

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

func TestSizeClasses(t *testing.T) {
	prev := 0
	for n := poolMin; n < 1<<22; n += 97 {
		idx, size := class(n)
		if size < n || size > n+n/4+1 {
			t.Fatalf("class(%d) size %d: want n <= size <= 1.25n", n, size)
		}
		if i2, s2 := class(size); i2 != idx || s2 != size {
			t.Fatalf("class(%d) = (%d, %d) but class of its size = (%d, %d)", n, idx, size, i2, s2)
		}
		if size < prev {
			t.Fatalf("class sizes not monotonic at %d", n)
		}
		prev = size
	}
}

// TestPoolRecyclesOnlyItsOwnBuffers: a freed buffer's storage serves the
// next allocation of its class (cleared by Alloc, stale for AllocUninit);
// a Buf wrapped around a caller's slice is never recycled; the freed Buf
// reads as empty.
func TestPoolRecyclesOnlyItsOwnBuffers(t *testing.T) {
	c := New()
	pool.drain()
	a := c.Alloc(5000).(*Buf)
	for i := range a.D {
		a.D[i] = 7
	}
	p := &a.D[0]
	c.Free(a)
	if a.D != nil || a.Len() != 0 {
		t.Fatal("a freed buffer still holds storage")
	}
	b := c.AllocUninit(4900).(*Buf) // same class (5120)
	if &b.D[0] != p || b.D[0] != 7 {
		t.Fatalf("AllocUninit did not reuse the freed storage with its contents")
	}
	c.Free(b)
	z := c.Alloc(5100).(*Buf)
	if &z.D[0] != p || z.D[0] != 0 || z.D[5099] != 0 {
		t.Fatal("Alloc reused storage without clearing it")
	}
	own := make([]float32, 5120)
	c.Free(&Buf{D: own})
	if n := c.AllocUninit(5000).(*Buf); &n.D[0] == &own[0] {
		t.Fatal("a caller's slice was recycled")
	}
	runtime.KeepAlive(z)
}

// TestMaxPoolZeroTies: in a window of -0 and +0 the first wins, as in
// PyTorch, and the value is the element itself.
func TestMaxPoolZeroTies(t *testing.T) {
	c := New()
	negz := float32(math.Copysign(0, -1))
	x := []float32{negz, 0, 0, negz, -1, -1, -1, -1}
	g := backend.PoolGeom{N: 1, C: 2, H: 2, W: 2, KH: 2, KW: 2, SH: 2, SW: 2}.Out()
	xb, y, idx := &Buf{D: x}, c.Alloc(2), c.Alloc(2)
	c.MaxPool(y, idx, xb, g)
	if ix := Data(idx); ix[0] != 0 || ix[1] != 0 {
		t.Errorf("indices %v, want the first of each window", ix)
	}
	if v := Data(y)[0]; math.Signbit(float64(v)) != true {
		t.Errorf("value %v, want the window's first element (-0)", v)
	}
}

// TestMaxPool2x2PlaneMatchesScalar compares the vectorised 2x2 pooling
// with the scalar loop on every width up to 40 (full and partial vectors),
// odd planes, plateaus (ties go to the first in row-major order) and NaNs.
func TestMaxPool2x2PlaneMatchesScalar(t *testing.T) {
	if !hasMaxPoolAVX512 {
		t.Skip("no AVX-512 on this CPU: the scalar loop is the only path")
	}
	r := rand.New(rand.NewPCG(4, 4))
	for w := 2; w <= 81; w++ {
		for _, h := range []int{2, 3, 6} {
			g := backend.PoolGeom{N: 1, C: 1, H: h, W: w, KH: 2, KW: 2, SH: 2, SW: 2}.Out()
			src := make([]float32, h*w)
			for i := range src {
				switch r.IntN(8) {
				case 0:
					src[i] = 1 // plateaus
				case 1:
					src[i] = float32(math.NaN())
				case 2:
					src[i] = float32(math.Copysign(0, -1)) // relu(-0) and ties of -0, +0
				case 3:
					src[i] = 0
				default:
					src[i] = float32(r.NormFloat64())
				}
			}
			n := g.OH * g.OW
			relu := w%2 == 0
			// Guard cells after the outputs must survive.
			got, gotIx := make([]float32, n+1), make([]float32, n+1)
			got[n], gotIx[n] = 42, 42
			want, wantIx := make([]float32, n), make([]float32, n)
			maxPool2x2Plane(got, gotIx, src, g, relu)
			maxPool2x2(want, wantIx, src, g)
			if relu {
				reluInPlace(want)
			}
			for i := range n {
				// Bit for bit (signed zeros too): results must not depend
				// on whether the CPU has AVX-512.
				same := math.Float32bits(got[i]) == math.Float32bits(want[i]) || math.IsNaN(float64(got[i])) && math.IsNaN(float64(want[i]))
				if !same || gotIx[i] != wantIx[i] {
					t.Fatalf("%dx%d output %d: %v at %v, want %v at %v", h, w, i, got[i], gotIx[i], want[i], wantIx[i])
				}
			}
			if got[n] != 42 || gotIx[n] != 42 {
				t.Fatalf("%dx%d: wrote past the outputs", h, w)
			}
		}
	}
}

// TestMaxPool2x2GradPlaneMatchesScalar: the vectorised gradient writes
// every cell of even planes of every width up to 80, as the scalar loop.
func TestMaxPool2x2GradPlaneMatchesScalar(t *testing.T) {
	if !hasMaxPoolAVX512 {
		t.Skip("no AVX-512 on this CPU: the scalar loop is the only path")
	}
	r := rand.New(rand.NewPCG(5, 5))
	for w := 2; w <= 80; w += 2 {
		for _, h := range []int{2, 4, 6} {
			g := backend.PoolGeom{N: 1, C: 1, H: h, W: w, KH: 2, KW: 2, SH: 2, SW: 2}.Out()
			src := make([]float32, h*w)
			for i := range src {
				src[i] = float32(r.IntN(3)) // plateaus too
			}
			n := g.OH * g.OW
			out, ix := make([]float32, n), make([]float32, n)
			maxPool2x2(out, ix, src, g)
			dy := make([]float32, n)
			for i := range dy {
				dy[i] = float32(r.NormFloat64())
			}
			got, want := make([]float32, h*w+1), make([]float32, h*w)
			for i := range got {
				got[i] = 9 // stale values must all be overwritten
			}
			var y []float32 // the relu variant's output: only y > 0 passes
			if w%4 == 0 {
				y = make([]float32, n)
				for i := range y {
					y[i] = float32(r.IntN(3) - 1)
				}
			}
			maxPool2x2GradPlane(got, dy, ix, y, g)
			maxPool2x2Grad(want, dy, ix, y, g)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%dx%d cell %d: %v, want %v", h, w, i, got[i], want[i])
				}
			}
			if got[h*w] != 9 {
				t.Fatalf("%dx%d: wrote past the plane", h, w)
			}
		}
	}
}

func TestReLUGradMatchesDefinition(t *testing.T) {
	x := []float32{1, -1, 0, float32(math.Copysign(0, -1)), float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32, math.MaxFloat32, 3.5, -2e-30}
	dy := make([]float32, len(x))
	for i := range dy {
		dy[i] = float32(i) - 4.5
	}
	g := make([]float32, len(x))
	reluGrad(g, x, dy)
	for i, v := range x {
		want := float32(0)
		if v > 0 {
			want = dy[i]
		}
		if math.Float32bits(g[i]) != math.Float32bits(want) {
			t.Errorf("x = %g: gradient %g, want %g", v, g[i], want)
		}
	}
}

// TestMaxPool3x3PlaneMatchesRect: the unrolled 3x3 pooling gives the
// values and indices of the generic loop, bit for bit, with ties, NaNs
// and every border (strides 1 to 3, paddings 0 to 2, odd planes).
func TestMaxPool3x3PlaneMatchesRect(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for _, s := range []struct{ h, w, st, p int }{
		{112, 112, 2, 1}, {9, 7, 2, 1}, {8, 8, 1, 1}, {10, 13, 3, 2}, {3, 3, 2, 0}, {5, 4, 1, 0}, {3, 5, 2, 2},
	} {
		g := backend.PoolGeom{N: 1, C: 1, H: s.h, W: s.w, KH: 3, KW: 3, SH: s.st, SW: s.st, PH: s.p, PW: s.p}
		g.OH, g.OW = (s.h+2*s.p-3)/s.st+1, (s.w+2*s.p-3)/s.st+1
		src := make([]float32, s.h*s.w)
		for i := range src {
			switch r := rng.IntN(20); {
			case r == 0:
				src[i] = float32(math.NaN())
			case r < 6:
				src[i] = float32(rng.IntN(3)) // ties
			default:
				src[i] = float32(rng.NormFloat64())
			}
		}
		n := g.OH * g.OW
		got, gotIx, want, wantIx := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
		maxPool3x3Plane(got, gotIx, src, g)
		maxPoolRect(want, wantIx, src, g, 0, g.OH, 0, g.OW)
		for i := range n {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) || gotIx[i] != wantIx[i] {
				t.Fatalf("%+v: output %d = %v at %v, want %v at %v", s, i, got[i], gotIx[i], want[i], wantIx[i])
			}
		}
	}
}

// BenchmarkMaxPool3x3 times ResNet's stem pool (3x3 stride 2 padding 1,
// 64 planes of 112x112) unrolled and through the generic loop, on one
// goroutine: go test -run '^$' -bench MaxPool3x3 ./engine/backend/cpu
func BenchmarkMaxPool3x3(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := backend.PoolGeom{N: 1, C: 64, H: 112, W: 112, KH: 3, KW: 3, SH: 2, SW: 2, PH: 1, PW: 1, OH: 56, OW: 56}
	src := randn(rng, 64*112*112)
	out, ix := make([]float32, 64*56*56), make([]float32, 64*56*56)
	for _, path := range []string{"unrolled", "generic"} {
		b.Run(path, func(b *testing.B) {
			for b.Loop() {
				for p := range 64 {
					o, x, s := out[p*3136:(p+1)*3136], ix[p*3136:(p+1)*3136], src[p*12544:(p+1)*12544]
					if path == "unrolled" {
						maxPool3x3Plane(o, x, s, g)
					} else {
						maxPoolRect(o, x, s, g, 0, 56, 0, 56)
					}
				}
			}
		})
	}
}

// TestBinaryRowMatchesScalar: the per-op loops for contiguous and
// broadcast strides give binary's bits for every op, NaN, infinities and
// signed zeros included, and the generic strides still work.
func TestBinaryRowMatchesScalar(t *testing.T) {
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -2.5, 3e38, -3e38, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 1e-40, 0.1, 7}
	ops := []backend.BinaryOp{backend.Add, backend.Sub, backend.Mul, backend.Div, backend.Max, backend.Min, backend.GreaterMask}
	n := len(vals)
	a := make([]float32, 2*n*n)
	b := make([]float32, 2*n*n)
	for i := range a {
		a[i] = vals[i%n]
		b[i] = vals[(i/n)%n]
	}
	for _, op := range ops {
		for _, st := range [][2]int{{1, 1}, {1, 0}, {0, 1}, {2, 1}, {0, 0}, {1, 2}} {
			out := make([]float32, n*n)
			binaryRow(op, out, a, st[0], b, st[1])
			for i, got := range out {
				want := binary(op, a[i*st[0]], b[i*st[1]])
				if math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("%v strides %v at %d: %g, want %g (binary(%g, %g))", op, st, i, got, want, a[i*st[0]], b[i*st[1]])
				}
			}
		}
	}
}
