//go:build amd64 && !purego

#include "textflag.h"

// The fused Winograd path's transforms (winofused.go) in AVX2, four tiles
// of a tile row at a time. Each value is computed by the operations of the
// Go code (winoPackInput, winoUnpackOutput), in its order, so the bits are
// the same.

// OUTSUMS loads the 16 slices of M for four tiles at AX (slice stride BX,
// 3·BX in R10) and leaves ra_k = (s_k + s_(4+k)) + s_(8+k) in X0..X3 and
// rb_k = (s_(4+k) - s_(8+k)) - s_(12+k) in X4..X7 (winoOutRows).
// Clobbers R11, X8..X11.
#define OUTSUMS \
	VMOVUPS (AX), X0; \
	VMOVUPS (AX)(BX*1), X1; \
	VMOVUPS (AX)(BX*2), X2; \
	VMOVUPS (AX)(R10*1), X3; \
	LEAQ (AX)(BX*4), R11; \
	VMOVUPS (R11), X4; \
	VMOVUPS (R11)(BX*1), X5; \
	VMOVUPS (R11)(BX*2), X6; \
	VMOVUPS (R11)(R10*1), X7; \
	VADDPS X4, X0, X0; \
	VADDPS X5, X1, X1; \
	VADDPS X6, X2, X2; \
	VADDPS X7, X3, X3; \
	LEAQ (R11)(BX*4), R11; \
	VMOVUPS (R11), X8; \
	VMOVUPS (R11)(BX*1), X9; \
	VMOVUPS (R11)(BX*2), X10; \
	VMOVUPS (R11)(R10*1), X11; \
	VADDPS X8, X0, X0; \
	VADDPS X9, X1, X1; \
	VADDPS X10, X2, X2; \
	VADDPS X11, X3, X3; \
	VSUBPS X8, X4, X4; \
	VSUBPS X9, X5, X5; \
	VSUBPS X10, X6, X6; \
	VSUBPS X11, X7, X7; \
	LEAQ (R11)(BX*4), R11; \
	VSUBPS (R11), X4, X4; \
	VSUBPS (R11)(BX*1), X5, X5; \
	VSUBPS (R11)(BX*2), X6, X6; \
	VSUBPS (R11)(R10*1), X7, X7

// OUTROW(q0, q1, q2, q3, lo, hi) writes the output row of four tiles from
// their rows q0..q3: even cells ((q0 + q1) + q2) + b, odd cells
// ((q1 - q2) - q3) + b (b in X12), interleaved: lo = cells 0-3, hi = 4-7.
// Clobbers X8, X9.
#define OUTROW(q0, q1, q2, q3, lo, hi) \
	VADDPS q1, q0, X8; \
	VADDPS q2, X8, X8; \
	VADDPS X12, X8, X8; \
	VSUBPS q2, q1, X9; \
	VSUBPS q3, X9, X9; \
	VADDPS X12, X9, X9; \
	VUNPCKLPS X9, X8, lo; \
	VUNPCKHPS X9, X8, hi

// OUTTILES computes the two output rows of four tiles at AX: the first
// in X10 (cells 0-3) and X11 (4-7), the second in X13 and X14; R11 is
// the second row's address.
#define OUTTILES \
	OUTSUMS; \
	OUTROW(X0, X1, X2, X3, X10, X11); \
	OUTROW(X4, X5, X6, X7, X13, X14); \
	LEAQ (DX)(R13*1), R11

// func winoOutAVX2(m *float32, xs int, y *float32, ow, oh, tw, ty0, ty1 int, bias float32)
// Writes the 2x2 output cells of tile rows ty0..ty1-1 of one output plane
// y (ow x oh) from M: tile (ty, tx)'s slice ξ at m[ξ·xs + (ty-ty0)·tw + tx].
// Cells outside the plane are not written. It reads up to three tiles past
// the last one (their cells are dropped).
TEXT ·winoOutAVX2(SB), NOSPLIT, $0-68
	MOVQ m+0(FP), SI
	MOVQ xs+8(FP), BX
	SHLQ $2, BX
	LEAQ (BX)(BX*2), R10
	MOVQ y+16(FP), DI
	MOVQ ow+24(FP), R13
	SHLQ $2, R13
	MOVQ ty0+48(FP), R8
	VBROADCASTSS bias+64(FP), X12

orow:
	CMPQ R8, ty1+56(FP)
	JGE  odone
	// DX: output row 2ty; R9: 2ty+1 (the second row exists below oh).
	LEAQ (R8)(R8*1), R9
	MOVQ R9, DX
	IMULQ R13, DX
	ADDQ DI, DX
	INCQ R9
	MOVQ SI, AX
	MOVQ tw+40(FP), CX
	MOVQ ow+24(FP), R12

ogroup:
	CMPQ CX, $4
	JLT  otail
	OUTTILES
	CMPQ R12, $8
	JLT  oodd
	VMOVUPS X10, (DX)
	VMOVUPS X11, 16(DX)
	CMPQ R9, oh+32(FP)
	JGE  onext
	VMOVUPS X13, (R11)
	VMOVUPS X14, 16(R11)
	JMP  onext

oodd:
	// The plane's last cell is the group's seventh.
	VMOVUPS X10, (DX)
	VMOVLPS X11, 16(DX)
	VEXTRACTPS $2, X11, 24(DX)
	CMPQ R9, oh+32(FP)
	JGE  onext
	VMOVUPS X13, (R11)
	VMOVLPS X14, 16(R11)
	VEXTRACTPS $2, X14, 24(R11)

onext:
	ADDQ $16, AX
	ADDQ $32, DX
	SUBQ $4, CX
	SUBQ $8, R12
	JMP  ogroup

otail:
	// One tile at a time (lane 0 of a group), its odd column only inside
	// the plane.
	TESTQ CX, CX
	JEQ   orowend
	OUTTILES
	VMOVSS X10, (DX)
	CMPQ R12, $2
	JLT  otail1
	VEXTRACTPS $1, X10, 4(DX)

otail1:
	CMPQ R9, oh+32(FP)
	JGE  otailnext
	VMOVSS X13, (R11)
	CMPQ R12, $2
	JLT  otailnext
	VEXTRACTPS $1, X13, 4(R11)

otailnext:
	ADDQ $4, AX
	ADDQ $8, DX
	DECQ CX
	SUBQ $2, R12
	JMP  otail

orowend:
	MOVQ tw+40(FP), CX
	LEAQ (SI)(CX*4), SI
	INCQ R8
	JMP  orow

odone:
	VZEROUPPER
	RET

// INROWS(off) loads the four padded input rows at off(AX) (row stride BX,
// 3·BX in R10), eight columns, and leaves Bᵀ d over them in a0..a3:
// e0 = d0 - d2, e1 = d1 + d2, e2 = d2 - d1, e3 = d1 - d3
// (winoRowTransform).
#define INROWS(off, a0, a1, a2, a3) \
	VMOVUPS off(AX), a0; \
	VMOVUPS off(AX)(BX*1), a1; \
	VMOVUPS off(AX)(BX*2), a2; \
	VMOVUPS off(AX)(R10*1), a3; \
	VSUBPS a3, a1, a3; \
	VSUBPS a2, a0, a0; \
	VSUBPS a1, a2, Y14; \
	VADDPS a2, a1, a1; \
	VMOVAPS Y14, a2

// INCOLS(ea, eb, xa, xb, st) writes the column transform of row r of
// four tiles, from ea (columns 2tx..2tx+7) and eb (two columns on): with
// t0, t1 the even and odd columns of ea and t2, t3 those of eb,
// o0 = t0 - t2, o1 = t1 + t2, o2 = t2 - t1, o3 = t1 - t3, stored by st
// (VMOVUPS: four tiles; VMOVSS: the first only) at (R11), (R11)(R12*1),
// (R11)(R12*2), (R11)(R13*1). Clobbers X8..X11, X14, X15.
#define INCOLS(ea, eb, xa, xb, st) \
	VEXTRACTF128 $1, ea, X14; \
	VEXTRACTF128 $1, eb, X15; \
	VSHUFPS $0x88, X14, xa, X8; \
	VSHUFPS $0xDD, X14, xa, X9; \
	VSHUFPS $0x88, X15, xb, X10; \
	VSHUFPS $0xDD, X15, xb, X11; \
	VSUBPS X10, X8, X14; \
	st X14, (R11); \
	VADDPS X10, X9, X14; \
	st X14, (R11)(R12*1); \
	VSUBPS X9, X10, X14; \
	st X14, (R11)(R12*2); \
	VSUBPS X11, X9, X14; \
	st X14, (R11)(R13*1)

// INTILES(st) transforms the four tiles at AX into the 16 slices at DX
// (see INCOLS for st).
#define INTILES(st) \
	INROWS(0, Y0, Y1, Y2, Y3); \
	INROWS(8, Y4, Y5, Y6, Y7); \
	MOVQ DX, R11; \
	INCOLS(Y0, Y4, X0, X4, st); \
	LEAQ (R11)(R12*4), R11; \
	INCOLS(Y1, Y5, X1, X5, st); \
	LEAQ (R11)(R12*4), R11; \
	INCOLS(Y2, Y6, X2, X6, st); \
	LEAQ (R11)(R12*4), R11; \
	INCOLS(Y3, Y7, X3, X7, st)

// func winoInAVX2(p *float32, wp, tw, ty0, ty1 int, v *float32, lane, nr, skip, xis int)
// Writes the transformed tiles of tile rows ty0..ty1-1 of one zero-padded
// input plane p (row stride wp; tile (ty, tx) is rows 2ty..2ty+3, columns
// 2tx..2tx+3) into B panels: the first tile's slice 0 at v, which is lane
// `lane` of a panel of nr lanes; each next tile one lane on, and past a
// panel's last lane skip more values on (the other channels' lanes);
// slice ξ at ξ·xis further. It reads up to eight values past the plane's
// last tile.
TEXT ·winoInAVX2(SB), NOSPLIT, $0-80
	MOVQ p+0(FP), SI
	MOVQ wp+8(FP), BX
	SHLQ $2, BX
	LEAQ (BX)(BX*2), R10
	MOVQ v+40(FP), DX
	MOVQ lane+48(FP), R9
	MOVQ nr+56(FP), DI
	MOVQ xis+72(FP), R12
	SHLQ $2, R12
	LEAQ (R12)(R12*2), R13
	MOVQ ty0+24(FP), R8
	// SI: the tile row's first padded row.
	MOVQ R8, AX
	IMULQ BX, AX
	LEAQ (SI)(AX*2), SI

irow:
	CMPQ R8, ty1+32(FP)
	JGE  idone
	MOVQ SI, AX
	MOVQ tw+16(FP), CX

igroup:
	CMPQ CX, $4
	JLT  itile
	LEAQ 4(R9), R11
	CMPQ R11, DI
	JGT  itile
	INTILES(VMOVUPS)
	ADDQ $32, AX
	ADDQ $16, DX
	ADDQ $4, R9
	SUBQ $4, CX
	CMPQ R9, DI
	JLT  igroup
	SUBQ DI, R9
	ADDQ skip+64(FP), DX
	JMP  igroup

itile:
	TESTQ CX, CX
	JEQ   irowend
	INTILES(VMOVSS)
	ADDQ $8, AX
	ADDQ $4, DX
	INCQ R9
	DECQ CX
	CMPQ R9, DI
	JLT  igroup
	SUBQ DI, R9
	ADDQ skip+64(FP), DX
	JMP  igroup

irowend:
	LEAQ (SI)(BX*2), SI
	INCQ R8
	JMP  irow

idone:
	VZEROUPPER
	RET

// Sign bit of a float32, for negation.
DATA ·winoSign<>+0(SB)/4, $0x80000000
GLOBL ·winoSign<>(SB), RODATA|NOPTR, $4

// GOROWS loads the two output-gradient rows of four tiles at AX (row
// stride BX), splits each into the tiles' left (a) and right (b) columns,
// and applies A over the rows: e0 = r0, e1 = r0 + r1, e2 = r0 - r1,
// e3 = -r1, for a in X0..X3 and for b in X4..X7 (winogradGradOutput).
// Sign mask in X15. Clobbers X8..X11.
#define GOROWS \
	VMOVUPS (AX), Y8; \
	VMOVUPS (AX)(BX*1), Y9; \
	VEXTRACTF128 $1, Y8, X10; \
	VEXTRACTF128 $1, Y9, X11; \
	VSHUFPS $0x88, X10, X8, X0; \
	VSHUFPS $0xDD, X10, X8, X4; \
	VSHUFPS $0x88, X11, X9, X3; \
	VSHUFPS $0xDD, X11, X9, X7; \
	VADDPS X3, X0, X1; \
	VSUBPS X3, X0, X2; \
	VXORPS X15, X3, X3; \
	VADDPS X7, X4, X5; \
	VSUBPS X7, X4, X6; \
	VXORPS X15, X7, X7

// GOCOLS(a, b, st) writes Aᵀ over the columns of row k of four tiles,
// (a, a+b, a-b, -b), with the store instruction st at (R11), (R11)(R12*1),
// (R11)(R12*2), (R11)(R13*1). Clobbers X8.
#define GOCOLS(a, b, st) \
	st a, (R11); \
	VADDPS b, a, X8; \
	st X8, (R11)(R12*1); \
	VSUBPS b, a, X8; \
	st X8, (R11)(R12*2); \
	VXORPS X15, b, X8; \
	st X8, (R11)(R13*1)

// GOTILES(st) transforms the four tiles at AX into the 16 slices at DX
// (see GOCOLS for st).
#define GOTILES(st) \
	GOROWS; \
	MOVQ DX, R11; \
	GOCOLS(X0, X4, st); \
	LEAQ (R11)(R12*4), R11; \
	GOCOLS(X1, X5, st); \
	LEAQ (R11)(R12*4), R11; \
	GOCOLS(X2, X6, st); \
	LEAQ (R11)(R12*4), R11; \
	GOCOLS(X3, X7, st)

// func winoGradOutAVX2(p *float32, wp, tw, ty0, ty1 int, m *float32, xs int)
// Writes dM = A dy Aᵀ for the 2x2 tiles of tile rows ty0..ty1-1 of one
// zero-padded output-gradient plane p (row stride wp; tile (ty, tx) is
// rows 2ty, 2ty+1, columns 2tx, 2tx+1): the first tile's slice 0 at m,
// each next tile one value on, slice ξ at ξ·xs further. It reads up to
// eight values past the plane's last tile.
TEXT ·winoGradOutAVX2(SB), NOSPLIT, $0-56
	MOVQ p+0(FP), SI
	MOVQ wp+8(FP), BX
	SHLQ $2, BX
	MOVQ m+40(FP), DX
	MOVQ xs+48(FP), R12
	SHLQ $2, R12
	LEAQ (R12)(R12*2), R13
	VBROADCASTSS ·winoSign<>(SB), X15
	MOVQ ty0+24(FP), R8
	MOVQ R8, AX
	IMULQ BX, AX
	LEAQ (SI)(AX*2), SI

grow:
	CMPQ R8, ty1+32(FP)
	JGE  gdone
	MOVQ SI, AX
	MOVQ tw+16(FP), CX

ggroup:
	CMPQ CX, $4
	JLT  gtile
	GOTILES(VMOVUPS)
	ADDQ $32, AX
	ADDQ $16, DX
	SUBQ $4, CX
	JMP  ggroup

gtile:
	TESTQ CX, CX
	JEQ   growend
	GOTILES(VMOVSS)
	ADDQ $8, AX
	ADDQ $4, DX
	DECQ CX
	JMP  gtile

growend:
	LEAQ (SI)(BX*2), SI
	INCQ R8
	JMP  grow

gdone:
	VZEROUPPER
	RET
