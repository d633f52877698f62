package cpu

import (
	"github.com/workbench-cv/workbench/engine/backend"
	"github.com/workbench-cv/workbench/engine/internal/parallel"
)

// The weight gradient of a 3x3 stride-1 "same" convolution (padding 1) as
// one GEMM per image with no column matrix: the micro-kernel reads its
// operands straight from two channel-interleaved copies of the image.
//
//	dw[oc][c][ky][kx] = Σ_n Σ_(y,x) dy[n][oc][y][x] · x[n][c][y+ky-1][x+kx-1]
//
// For one image, x is copied with its channels interleaved in groups of
// the kernel's lane count L (MR or NR): xg[c/L][pos][c%L], pos running
// over a grid of rows W+1 wide whose last column is zero, with a zero row
// above, one below and a zero before the first cell. The output gradient
// is copied the same way, dyg[oc/L'][y·(W+1)+x][oc%L'], the grid's last
// column zero. Then for the tap (ky, kx) the input cells that the output
// cells 0, 1, 2, ... of the grid meet are the cells shift, shift+1, ...
// of xg with shift = (ky-1)(W+1) + kx-1: the column of zeros stands in for
// the padding on both sides of each row (cell -1 of a row is the zero at
// the end of the row above). So a run of output rows and one tap is a
// plain panel of each operand, kc groups of L values in a row, which is
// what the micro-kernel reads, and no value is gathered or packed
// again. The grid's zero column costs 1/(W+1) of the multiply-adds (6%
// on 15x15 planes, 3% on 31x31), against im2col's column matrix (9 values
// written and read for each input value) and the GEMM's packing of it.
//
// Rows of C are the (tap, c) pairs and columns the output channels, or
// the other way round: channels are padded to the lane counts, and the
// orientation that pads less is taken (64 input and 256 output channels
// on the 12 x 32 AVX-512 kernel: x on the 32 columns, 264 rows of output
// channels).
//
// Bits: the batch is cut into a fixed number of chunks (shiftDWChunks,
// never the thread count; one for batches under shiftDWMinChunked), each
// chunk adds its images in order into its own partial of C, one call of
// the micro-kernel per image, tap, lane groups and run of at most KC grid
// cells; the partials are added in chunk order. The runs
// depend on the plane only, so every machine (AVX-512 or AVX2 kernel) and
// every thread count gives the same bits.

// shiftDWOff turns the path off (tests and benchmarks compare it with
// im2col's).
var shiftDWOff bool

// shiftDWChunks is the most partials the batch is cut into; batches under
// shiftDWMinChunked images are one partial, the threads taking each
// image's (tap, channel group, output group) units instead.
const (
	shiftDWChunks     = 16
	shiftDWMinChunked = 8
	shiftDWPartsMax   = 16 << 20 // values
)

// useShiftDW reports whether the weight gradient of a convolution takes
// this path: a 3x3 stride-1 convolution with padding 1 and no groups or
// dilation, planes 12 or more wide (the zero column then costs at most
// 1/13 of the work), 16 to 128 input channels and 16 or more output
// channels, on a machine with an assembly micro-kernel. Measured on the
// Zen 5 guest (processor time against the path it replaced, in-process):
// the speedrun net's layers at batch 1024 0.56-0.80; ResNet-50's 64 on
// 56x56 and 128 on 28x28 at batch 16 0.65-0.91, at batch 1 0.61-0.79;
// fast style's 64 to 32 on 128x128 at batch 2 0.44. Outside: 256 on
// 14x14, 1.10 at batch 16 and 1.65 at batch 1 against Winograd and im2col,
// which multiply less there.
func useShiftDW(g backend.ConvGeom, o backend.ConvGroups) bool {
	return !shiftDWOff && micro().Vector() && o.Groups == 1 && g.KH == 3 && g.KW == 3 &&
		g.SH == 1 && g.SW == 1 && g.PH == 1 && g.PW == 1 && g.DH == 1 && g.DW == 1 &&
		g.OH == g.H && g.OW == g.W && g.W >= 12 && g.H >= 3 && g.C >= 16 && g.C <= 128 && o.OC >= 16
}

func padUp(n, l int) int { return (n + l - 1) / l * l }

// shiftDWLayout is where each operand sits in the micro-kernel's call.
type shiftDWLayout struct {
	xOnM      bool // x's copy is the A operand (rows of C are (tap, c))
	xl, yl    int  // lanes of x's and dy's copies
	cp, ocp   int  // channels padded to xl and yl
	wp        int  // grid row: W+1
	xCells    int  // cells of x's grid
	yCells    int  // cells of dy's grid: OH·wp
	rowsPer   int  // output rows per call (at most KC cells)
	ldc, cLen int  // C's row length and size
}

func shiftDWPlan(g backend.ConvGeom, oc int) shiftDWLayout {
	mk := micro()
	mr, nr := mk.MR(), mk.NR()
	l := shiftDWLayout{wp: g.W + 1}
	l.xOnM = padUp(g.C, mr)*padUp(oc, nr) <= padUp(oc, mr)*padUp(g.C, nr)
	if l.xOnM {
		l.xl, l.yl = mr, nr
	} else {
		l.xl, l.yl = nr, mr
	}
	l.cp, l.ocp = padUp(g.C, l.xl), padUp(oc, l.yl)
	// Zero cell, zero row, H rows, zero row, and one cell more for the last
	// tap's reach past the end (row H+1, column 0).
	l.xCells = (g.H+2)*l.wp + 2
	l.yCells = g.OH * l.wp
	l.rowsPer = max(1, min(g.OH, mk.KC()/l.wp))
	if l.xOnM {
		l.ldc = l.ocp
	} else {
		l.ldc = 9 * l.cp
	}
	l.cLen = 9 * l.cp * l.ocp
	return l
}

// shiftDW writes dw [oc][C][3][3] from the input x and output gradient dy
// of a geometry that useShiftDW accepts.
func shiftDW(dws, dys, xs []float32, g backend.ConvGeom, oc int) {
	l := shiftDWPlan(g, oc)
	chunks := 1
	if g.N >= shiftDWMinChunked {
		// Partials of wide layers (thousands of output channels) are
		// capped at about 64 MB together.
		chunks = max(1, min(g.N, shiftDWChunks, shiftDWPartsMax/l.cLen))
	}
	partsB := alloc(chunks*l.cLen, true)
	defer freeBuf(partsB)
	parts := partsB.D
	work := 2 * 9 * l.cp * l.ocp * l.yCells // flops an image
	if chunks > 1 {
		parallel.For(chunks, work*(g.N/chunks), func(lo, hi int) {
			s := l.scratch()
			defer s.free()
			for ch := lo; ch < hi; ch++ {
				n0, n1 := chunkRange(g.N, ch, chunks)
				for n := n0; n < n1; n++ {
					l.copyImage(s, dys, xs, g, oc, n, 0, g.C, 0, oc)
					l.tiles(parts[ch*l.cLen:(ch+1)*l.cLen], s, g, 0, l.units())
				}
			}
		})
	} else {
		// A few images, one after the other: the threads copy an image's
		// channels, then take its (tap, channel group, output group) units.
		s := l.scratch()
		defer s.free()
		for n := range g.N {
			parallel.For(g.C+oc, 64*g.H*g.W, func(lo, hi int) {
				l.copyImage(s, dys, xs, g, oc, n, min(lo, g.C), min(hi, g.C), max(lo-g.C, 0), max(hi-g.C, 0))
			})
			parallel.For(l.units(), work/l.units(), func(lo, hi int) {
				l.tiles(parts, s, g, lo, hi)
			})
		}
	}
	sum := parts[:l.cLen]
	for ch := 1; ch < chunks; ch++ {
		addTo(sum, parts[ch*l.cLen:(ch+1)*l.cLen])
	}
	parallel.For(oc, 9*g.C, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			for c := range g.C {
				dst := dws[(o*g.C+c)*9 : (o*g.C+c)*9+9]
				for tap := range dst {
					if l.xOnM {
						dst[tap] = sum[(tap*l.cp+c)*l.ldc+o]
					} else {
						dst[tap] = sum[o*l.ldc+tap*l.cp+c]
					}
				}
			}
		}
	})
}

// shiftDWScratch holds one worker's copies of an image.
type shiftDWScratch struct{ xb, yb *Buf }

// scratch allocates a worker's grids. Their zeros (padding cells and
// lanes) are never written.
func (l *shiftDWLayout) scratch() shiftDWScratch {
	return shiftDWScratch{alloc(l.cp*l.xCells, true), alloc(l.ocp*l.yCells, true)}
}

func (s shiftDWScratch) free() {
	freeBuf(s.xb)
	freeBuf(s.yb)
}

// copyImage copies image n's input channels c0..c1-1 and output-gradient
// channels o0..o1-1 into the grids. The groups of lanes the ranges start
// and end in must not be shared with another goroutine's ranges unless
// their channels are disjoint (they are: each lane is one channel).
func (l *shiftDWLayout) copyImage(s shiftDWScratch, dys, xs []float32, g backend.ConvGeom, oc, n, c0, c1, o0, o1 int) {
	inImg, outImg := g.C*g.H*g.W, oc*g.OH*g.OW
	if c0 < c1 {
		interleavePlanes(s.xb.D, xs[n*inImg:(n+1)*inImg], c0, c1, g.H, g.W, l.xl, l.xCells, l.wp+1, l.wp)
	}
	if o0 < o1 {
		interleavePlanes(s.yb.D, dys[n*outImg:(n+1)*outImg], o0, o1, g.OH, g.OW, l.yl, l.yCells, 0, l.wp)
	}
}

// units is the number of (tap, x lane group, dy lane group) triples, each
// one tile of C.
func (l *shiftDWLayout) units() int { return 9 * (l.cp / l.xl) * (l.ocp / l.yl) }

// tiles adds the image in the grids into C (part) for units u0..u1-1,
// one micro-kernel call per unit and run of output rows, runs in order.
func (l *shiftDWLayout) tiles(part []float32, s shiftDWScratch, g backend.ConvGeom, u0, u1 int) {
	mk := micro()
	xg, yg := s.xb.D, s.yb.D
	base := l.wp + 1 // grid cell of input (0, 0)
	nob := l.ocp / l.yl
	for u := u0; u < u1; u++ {
		ob := u % nob * l.yl
		cb := u / nob % (l.cp / l.xl) * l.xl
		tap := u / nob / (l.cp / l.xl)
		for r0 := 0; r0 < g.OH; r0 += l.rowsPer {
			kc := min(l.rowsPer, g.OH-r0) * l.wp
			shift := base + r0*l.wp + (tap/3-1)*l.wp + tap%3 - 1
			xp := xg[(cb*l.xCells + shift*l.xl):]
			yp := yg[(ob*l.yCells + r0*l.wp*l.yl):]
			if l.xOnM {
				mk.Tile(kc, xp, yp, part[(tap*l.cp+cb)*l.ldc+ob:], l.ldc)
			} else {
				mk.Tile(kc, yp, xp, part[ob*l.ldc+tap*l.cp+cb:], l.ldc)
			}
		}
	}
}

// interleavePlanes copies planes j0..j1-1 (h x w) of src into grid,
// channels interleaved in groups of lanes: plane j's cell (y, x) goes to
// grid[((j/lanes)·cells + at + y·wp + x)·lanes + j%lanes].
func interleavePlanes(grid, src []float32, j0, j1, h, w, lanes, cells, at, wp int) {
	p := h * w
	for j := j0; j < j1; j++ {
		g := grid[(j/lanes*cells+at)*lanes+j%lanes:]
		if interleaveVec && w >= 4 && j%lanes+4 <= lanes && j+4 <= j1 {
			interleave4(g, src[j*p:], p, lanes, w, h, wp)
			j += 3
			continue
		}
		s := src[j*p : (j+1)*p]
		for y := range h {
			row := s[y*w : (y+1)*w]
			o := y * wp * lanes
			for x, v := range row {
				g[o+x*lanes] = v
			}
		}
	}
}
