//go:build linux || windows

package opengl

import (
	"fmt"
	"math"
	"testing"

	"github.com/workbench-cv/workbench/engine/backend"
)

// convCase is a convolution to check: geometry, channels and groups.
type convCase struct {
	name string
	g    backend.ConvGeom
	o    backend.ConvGroups
}

func cg(n, c, h, w, k, s, p, d int) backend.ConvGeom {
	return backend.ConvGeom{N: n, C: c, H: h, W: w, KH: k, KW: k, SH: s, SW: s, PH: p, PW: p, DH: d, DW: d}.Out()
}

// convCases cover the shapes networks use and the kernel's edges: 1×1,
// 3×3 padded, strided, ResNet's 7×7 stem, dilation, groups, depthwise,
// rectangular and odd sizes, batch 1 and 3, channel counts either side
// of the 32- and 128-row tiles, and products long enough to split k.
func convCases() []convCase {
	rect := backend.ConvGeom{N: 2, C: 3, H: 7, W: 9, KH: 1, KW: 5, SH: 2, SW: 1, PH: 0, PW: 2, DH: 1, DW: 1}.Out()
	stride32 := backend.ConvGeom{N: 1, C: 2, H: 13, W: 10, KH: 5, KW: 3, SH: 3, SW: 2, PH: 2, PW: 1, DH: 2, DW: 1}.Out()
	return []convCase{
		{"1x1", cg(3, 8, 9, 9, 1, 1, 0, 1), backend.ConvGroups{OC: 16, Groups: 1}},
		{"3x3 pad 1", cg(1, 5, 13, 13, 3, 1, 1, 1), backend.ConvGroups{OC: 7, Groups: 1}},
		{"3x3 stride 2", cg(3, 6, 15, 11, 3, 2, 1, 1), backend.ConvGroups{OC: 12, Groups: 1}},
		{"7x7 stride 2 pad 3", cg(1, 3, 23, 23, 7, 2, 3, 1), backend.ConvGroups{OC: 10, Groups: 1}},
		{"dilation 2", cg(2, 4, 10, 10, 3, 1, 2, 2), backend.ConvGroups{OC: 6, Groups: 1}},
		{"groups 2", cg(2, 8, 9, 9, 3, 1, 1, 1), backend.ConvGroups{OC: 12, Groups: 2}},
		{"depthwise", cg(2, 8, 10, 10, 3, 1, 1, 1), backend.ConvGroups{OC: 8, Groups: 8}},
		{"depthwise stride 2 x2", cg(3, 6, 9, 9, 3, 2, 1, 1), backend.ConvGroups{OC: 12, Groups: 6}},
		{"1x5 stride 2,1", rect, backend.ConvGroups{OC: 5, Groups: 1}},
		{"33 rows, 129 columns", cg(1, 16, 3, 43, 1, 1, 0, 1), backend.ConvGroups{OC: 33, Groups: 1}},
		{"129 rows", cg(1, 4, 12, 12, 1, 1, 0, 1), backend.ConvGroups{OC: 129, Groups: 1}},
		{"long k (forward split)", cg(1, 128, 4, 4, 3, 1, 1, 1), backend.ConvGroups{OC: 64, Groups: 1}},
		{"long k (weight split)", cg(3, 4, 28, 28, 3, 1, 1, 1), backend.ConvGroups{OC: 8, Groups: 1}},
		{"no padding, kernel = image", cg(2, 3, 5, 5, 5, 1, 0, 1), backend.ConvGroups{OC: 4, Groups: 1}},
		{"RGB stem (8-row tiles)", cg(2, 3, 40, 40, 7, 2, 3, 1), backend.ConvGroups{OC: 16, Groups: 1}},
		{"stride 2 dilation 2 (phases no tap reaches)", cg(2, 4, 11, 11, 3, 2, 2, 2), backend.ConvGroups{OC: 6, Groups: 1}},
		{"stride 3,2 dilation 2,1", stride32, backend.ConvGroups{OC: 4, Groups: 2}},
		{"one channel (16-column tiles)", cg(4, 1, 28, 28, 3, 1, 1, 1), backend.ConvGroups{OC: 32, Groups: 1}},
	}
}

// convCheck runs the convolution forward and backward on both backends
// (the CPU's DirectConv is the oracle); tile, when not nil, forces the GL
// tiling and a split of each product's k into splits chunks (else the
// backend plans). Tolerances grow with the length of each sum, as Gemm's
// test does.
func (w *twin) convCheck(c convCase, bias bool, tile *gemmTile, splits int) {
	w.t.Helper()
	g, o := c.g, c.o
	kk := g.C / o.Groups * g.KH * g.KW
	x, wt := w.rand(g.N*g.C*g.H*g.W), w.rand(o.OC*kk)
	ny := g.N * o.OC * g.OH * g.OW
	y, dy := w.from(w.randn(ny, -9, 9)), w.rand(ny) // y's old values must not survive
	var b pair
	if bias {
		b = w.rand(o.OC)
	}
	name := fmt.Sprintf("%s %+v %+v bias=%v tile=%v splits=%d", c.name, g, o, bias, tile, splits)
	pl := autoPlan(o.Groups)
	if tile != nil {
		pl = func(m, n, k int) plan {
			if k == 0 {
				return plan{t: *tile, splits: 1, kChunk: tile.BK}
			}
			return splitK(*tile, k, splits)
		}
	}
	h := func(p pair) *handle { return w.g.check(p.g, 0, "") }
	w.g.convForward(h(y), h(x), h(wt), w.g.optional(b.g, o.OC, "bias"), g, o, pl)
	w.c.ConvForward(y.c, x.c, wt.c, b.c, g, o)
	w.same("forward "+name, y, 2e-6*float64(kk+1), 1e-5)

	dx, dw, db := w.from(w.randn(g.N*g.C*g.H*g.W, -9, 9)), w.from(w.randn(o.OC*kk, -9, 9)), w.zeros(o.OC)
	w.g.convInput(h(dx), h(wt), h(dy), g, o, pl)
	w.g.convWeight(h(dw), h(dy), h(x), g, o, pl)
	w.c.ConvBackward(dx.c, dw.c, nil, dy.c, x.c, wt.c, g, o)
	w.same("dx "+name, dx, 2e-6*float64(o.OC/o.Groups*g.KH*g.KW+1), 1e-5)
	w.same("dw "+name, dw, 2e-6*float64(g.N*g.OH*g.OW+1), 1e-5)
	if tile == nil { // the public entry points, each gradient alone
		for _, want := range []string{"dx", "dw", "db"} {
			var gx, gw, gb backend.Buffer
			out := map[string]pair{"dx": dx, "dw": dw, "db": db}[want]
			w.g.Fill(out.g, 7)
			switch want {
			case "dx":
				gx = out.g
			case "dw":
				gw = out.g
			case "db":
				gb = out.g
			}
			w.g.ConvBackward(gx, gw, gb, dy.g, x.g, wt.g, g, o)
		}
		w.c.ConvBackward(nil, nil, db.c, dy.c, x.c, wt.c, g, o)
		w.same("dx alone "+name, dx, 2e-6*float64(o.OC/o.Groups*g.KH*g.KW+1), 1e-5)
		w.same("dw alone "+name, dw, 2e-6*float64(g.N*g.OH*g.OW+1), 1e-5)
		w.same("db "+name, db, 2e-6*float64(g.N*g.OH*g.OW+1), 1e-5)
	}
}

func TestImplicitConvMatchesCPU(t *testing.T) {
	w := newTwin(t)
	for i, c := range convCases() {
		w.convCheck(c, i%2 == 0, nil, 0)
	}
}

// Every tiling, with and without a forced split of k, on a strided and a
// grouped convolution: the splits' partial sums and their fold (with the
// bias in the forward pass) are checked whatever the shapes would choose.
func TestImplicitConvPlansMatchCPU(t *testing.T) {
	w := newTwin(t)
	cases := []convCase{convCases()[2], convCases()[5]}
	for _, tile := range convTiles {
		for _, splits := range []int{1, 3} {
			for _, c := range cases {
				w.convCheck(c, true, &tile, splits)
			}
		}
	}
}

// Results do not depend on scheduling: the same convolution twice gives
// the same bits, split-K folds included.
func TestImplicitConvIsDeterministic(t *testing.T) {
	w := newTwin(t)
	c := convCases()[12] // the weight gradient splits k
	g, o := c.g, c.o
	if pl := convPlan(o.OC, g.C*g.KH*g.KW, g.N*g.OH*g.OW, o.Groups); pl.splits < 2 {
		t.Fatalf("case %q no longer splits k (%+v); pick one that does", c.name, pl)
	}
	x, wt, dy := w.rand(g.N*g.C*g.H*g.W), w.rand(o.OC*g.C*g.KH*g.KW), w.rand(g.N*o.OC*g.OH*g.OW)
	var first []float32
	for run := range 3 {
		dx, dw := w.g.Alloc(g.N*g.C*g.H*g.W), w.g.Alloc(o.OC*g.C*g.KH*g.KW)
		w.g.ConvBackward(dx, dw, nil, dy.g, x.g, wt.g, g, o)
		got := make([]float32, dx.Len()+dw.Len())
		w.g.Read(dx, 0, got[:dx.Len()])
		w.g.Read(dw, 0, got[dx.Len():])
		if run == 0 {
			first = got
			continue
		}
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(first[i]) {
				t.Fatalf("run %d: value %d is %v, first run %v", run, i, got[i], first[i])
			}
		}
	}
}

// The convolution allocates no column matrix: with inputs and outputs in
// place, forward and backward add at most the weight gradient's split-K
// scratch, a small fraction of the C·KH·KW × N·OH·OW matrix that Im2Col
// would fill (9x the input for this 3x3 layer).
func TestImplicitConvAllocatesNoColumnMatrix(t *testing.T) {
	gl := openOrSkip(t)
	g := cg(2, 32, 32, 32, 3, 1, 1, 1)
	o := backend.ConvGroups{OC: 32, Groups: 1}
	x, w, bias := gl.Alloc(g.N*g.C*g.H*g.W), gl.Alloc(o.OC*g.C*9), gl.Alloc(o.OC)
	y, dy := gl.Alloc(g.N*o.OC*g.OH*g.OW), gl.Alloc(g.N*o.OC*g.OH*g.OW)
	dx, dw, db := gl.Alloc(x.Len()), gl.Alloc(w.Len()), gl.Alloc(o.OC)
	gl.Fill(x, 1)
	colBytes := 4 * g.ColRows() * g.ColCols()
	base := gl.resetPeak()
	gl.ConvForward(y, x, w, bias, g, o)
	gl.ConvBackward(dx, dw, db, dy, x, w, g, o)
	extra := gl.peakBytes() - base
	t.Logf("column matrix %d KiB; the convolution's temporaries peaked at %d KiB", colBytes>>10, extra>>10)
	if extra > colBytes/4 {
		t.Fatalf("forward and backward allocated %d bytes beyond their buffers; the column matrix is %d", extra, colBytes)
	}
	// The measure sees a column matrix when there is one.
	base = gl.resetPeak()
	col := gl.Alloc(g.ColRows() * g.ColCols())
	gl.Im2Col(col, x, g)
	gl.Free(col)
	if extra := gl.peakBytes() - base; extra < colBytes {
		t.Fatalf("Im2Col's column matrix of %d bytes raised the peak by only %d", colBytes, extra)
	}
}

func TestConvPlans(t *testing.T) {
	// conv.comp's column loads need NT to be a multiple of BN/4, and every
	// tiling must fit OpenGL 4.3's guaranteed 32 KiB of shared memory.
	for _, tl := range convTiles {
		if tl.threads()%(tl.BN/4) != 0 || tl.BM%4 != 0 || tl.BN%4 != 0 || tl.TM%4 != 0 || tl.TN%4 != 0 {
			t.Errorf("tiling %+v breaks conv.comp's layout rules", tl)
		}
		if shared := 16 * tl.BK * (tl.BM + tl.BN) / 4; shared > 32<<10 {
			t.Errorf("tiling %+v needs %d bytes of shared memory", tl, shared)
		}
	}
	// ResNet-50's layer1 3x3 at batch 16: many column tiles, no split.
	if p := convPlan(64, 16*56*56, 64*9, 1); p.splits != 1 {
		t.Errorf("layer1 forward planned as %+v, want no split", p)
	}
	// Its weight gradient: 64×576 outputs over 50176 pixels, split in
	// whole slices.
	p := convPlan(64, 576, 16*56*56, 1)
	if p.splits < 2 || p.kChunk%p.t.BK != 0 || p.splits*p.kChunk < 16*56*56 || (p.splits-1)*p.kChunk >= 16*56*56 {
		t.Errorf("layer1 weight gradient planned as %+v, want k split in whole BK slices", p)
	}
	// Groups count as tiles: 64 groups of 2x4 outputs split k in 4.
	if p := convPlan(2, 4, 4096, 64); p.splits != 4 {
		t.Errorf("64 small groups planned as %+v, want 4 splits (busyGroups/64)", p)
	}
	// An RGB stem's input gradient: 3 rows, 8-row tiles.
	if p := convPlan(3, 16*112*112, 64*16, 1); p.t != tileThin {
		t.Errorf("stem input gradient planned as %+v, want 8-row tiles", p)
	}
	// ref-cnn conv1's weight gradient: 32×9 over 64·28·28 pixels.
	if p := convPlan(32, 9, 64*28*28, 1); p.t != tileSmall || p.splits < 2 {
		t.Errorf("one-channel weight gradient planned as %+v, want 32x16 tiles, k split", p)
	}
	if p := convPlan(8, 8, 0, 1); p.splits != 1 || p.kChunk < 1 {
		t.Errorf("k = 0 planned as %+v", p)
	}
}

// taps agrees with its definition: the kh in [0, k) with kh*d ≡ r (mod s).
func TestStridePhaseTaps(t *testing.T) {
	for s := 1; s <= 4; s++ {
		for d := 1; d <= 4; d++ {
			for k := 1; k <= 7; k++ {
				for r := range s {
					var want []int
					for kh := range k {
						if kh*d%s == r {
							want = append(want, kh)
						}
					}
					first, step, n := taps(r, k, d, s)
					var got []int
					for a := range n {
						got = append(got, first+a*step)
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("taps(r=%d, k=%d, d=%d, s=%d) = %v, want %v", r, k, d, s, got, want)
					}
				}
			}
		}
	}
}
