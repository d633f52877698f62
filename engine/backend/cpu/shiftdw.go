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
// never the thread count), each chunk adds its images in order into its
// own partial of C, one call of the micro-kernel per image, tap and run of
// at most KC grid cells; the partials are added in chunk order. The runs
// depend on the plane only, so every machine (AVX-512 or AVX2 kernel) and
// every thread count gives the same bits.

// shiftDWOff turns the path off (tests and benchmarks compare it with
// im2col's).
var shiftDWOff bool

// shiftDWChunks is the most partials the batch is cut into; batches under
// shiftDWMinChunked images are one partial, the threads taking the output
// channels instead.
const (
	shiftDWChunks     = 16
	shiftDWMinChunked = 8
)

// useShiftDW reports whether the weight gradient of a convolution takes
// this path: a 3x3 stride-1 convolution with padding 1 and no groups or
// dilation, planes 12 or more wide (the zero column then costs at most
// 1/13 of the work) and 16 or more channels each side, on a machine with
// an assembly micro-kernel.
func useShiftDW(g backend.ConvGeom, o backend.ConvGroups) bool {
	return !shiftDWOff && micro().Vector() && o.Groups == 1 && g.KH == 3 && g.KW == 3 &&
		g.SH == 1 && g.SW == 1 && g.PH == 1 && g.PW == 1 && g.DH == 1 && g.DW == 1 &&
		g.OH == g.H && g.OW == g.W && g.W >= 12 && g.H >= 3 && g.C >= 16 && o.OC >= 16 &&
		(g.C <= 64 || g.N >= shiftDWMinChunked && g.C <= 128)
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
		chunks = min(g.N, shiftDWChunks)
	}
	partsB := alloc(chunks*l.cLen, true)
	defer freeBuf(partsB)
	parts := partsB.D
	work := 2 * 9 * l.cp * l.ocp * l.yCells
	if chunks > 1 {
		parallel.For(chunks, work*(g.N/chunks), func(lo, hi int) {
			s := l.scratch()
			defer s.free()
			for ch := lo; ch < hi; ch++ {
				n0, n1 := chunkRange(g.N, ch, chunks)
				l.images(parts[ch*l.cLen:(ch+1)*l.cLen], s, dys, xs, g, oc, n0, n1, 0, l.ocp/l.yl)
			}
		})
	} else {
		// A few images: the threads take the output channels' lane groups.
		parallel.For(l.ocp/l.yl, work*g.N/(l.ocp/l.yl), func(lo, hi int) {
			s := l.scratch()
			defer s.free()
			l.images(parts, s, dys, xs, g, oc, 0, g.N, lo, hi)
		})
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

// images adds images n0..n1-1 in order into C (part), for the output
// channels' lane groups gb0..gb1-1.
func (l *shiftDWLayout) images(part []float32, s shiftDWScratch, dys, xs []float32, g backend.ConvGeom, oc, n0, n1, gb0, gb1 int) {
	mk := micro()
	xg, yg := s.xb.D, s.yb.D
	inImg, outImg := g.C*g.H*g.W, oc*g.OH*g.OW
	base := l.wp + 1 // grid cell of input (0, 0)
	o0, o1 := gb0*l.yl, min(oc, gb1*l.yl)
	for n := n0; n < n1; n++ {
		interleavePlanes(xg, xs[n*inImg:(n+1)*inImg], 0, g.C, g.H, g.W, l.xl, l.xCells, base, l.wp)
		interleavePlanes(yg, dys[n*outImg:(n+1)*outImg], o0, o1, g.OH, g.OW, l.yl, l.yCells, 0, l.wp)
		for r0 := 0; r0 < g.OH; r0 += l.rowsPer {
			kc := min(l.rowsPer, g.OH-r0) * l.wp
			for tap := range 9 {
				shift := base + r0*l.wp + (tap/3-1)*l.wp + tap%3 - 1
				for cb := 0; cb < l.cp; cb += l.xl {
					xp := xg[(cb*l.xCells + shift*l.xl):]
					for ob := gb0 * l.yl; ob < gb1*l.yl; ob += l.yl {
						yp := yg[(ob*l.yCells + r0*l.wp*l.yl):]
						if l.xOnM {
							mk.Tile(kc, xp, yp, part[(tap*l.cp+cb)*l.ldc+ob:], l.ldc)
						} else {
							mk.Tile(kc, yp, xp, part[ob*l.ldc+tap*l.cp+cb:], l.ldc)
						}
					}
				}
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
