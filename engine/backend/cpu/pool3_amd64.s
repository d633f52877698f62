//go:build amd64 && !purego

#include "textflag.h"

// Lane j's offset, 2j, in a block of eight stride-2 windows.
DATA ·pool3Lanes<>+0(SB)/4, $0
DATA ·pool3Lanes<>+4(SB)/4, $2
DATA ·pool3Lanes<>+8(SB)/4, $4
DATA ·pool3Lanes<>+12(SB)/4, $6
DATA ·pool3Lanes<>+16(SB)/4, $8
DATA ·pool3Lanes<>+20(SB)/4, $10
DATA ·pool3Lanes<>+24(SB)/4, $12
DATA ·pool3Lanes<>+28(SB)/4, $14
GLOBL ·pool3Lanes<>(SB), RODATA|NOPTR, $32

// ROW(off) loads the three cells of row off(SI) of eight windows two
// columns apart: Y2 = p[2j], Y3 = p[2j+1], Y4 = p[2j+2].
#define ROW(off) \
	VMOVUPS off(SI), Y0; \
	VMOVUPS off+32(SI), Y1; \
	VSHUFPS $0x88, Y1, Y0, Y2; \
	VSHUFPS $0xDD, Y1, Y0, Y3; \
	VPERMPD $0xD8, Y2, Y2; \
	VPERMPD $0xD8, Y3, Y3; \
	VMOVUPS off+8(SI), Y0; \
	VMOVUPS off+40(SI), Y1; \
	VSHUFPS $0x88, Y1, Y0, Y4; \
	VPERMPD $0xD8, Y4, Y4

// CAND(v, ci) makes v, whose cells' indices are ci, the best (Y5, indices
// Y6) where v > best or v is NaN: maxPoolRect's rule. Clobbers Y0, Y7.
#define CAND(v, ci) \
	VCMPPS $0x1e, Y5, v, Y7; \
	VCMPPS $0x03, v, v, Y0; \
	VORPS Y0, Y7, Y7; \
	VBLENDVPS Y7, v, Y5, Y5; \
	VBLENDVPS Y7, ci, Y6, Y6

// func maxPool3x3S2AVX2(out, ix, p *float32, w, base, blocks int)
// Eight outputs a block of 3x3 stride-2 windows that lie inside the
// plane: lane j of block b has its top-left cell at p[16b + 2j], the
// plane's cell base + 16b + 2j, rows w apart. Best value and the index of
// its cell (as float32) by maxPoolRect's rule and order: row by row, left
// to right, a cell replacing the best so far when larger or NaN.
TEXT ·maxPool3x3S2AVX2(SB), NOSPLIT, $0-48
	MOVQ out+0(FP), DI
	MOVQ ix+8(FP), DX
	MOVQ p+16(FP), SI
	MOVQ w+24(FP), R8
	MOVQ base+32(FP), AX
	MOVQ blocks+40(FP), CX
	MOVQ R8, R9
	SHLQ $2, R8                    // a row, in bytes
	MOVQ $1, R10
	MOVQ R10, X11
	VPBROADCASTD X11, Y11          // 1
	MOVQ $2, R10
	MOVQ R10, X10
	VPBROADCASTD X10, Y10          // 2
	MOVQ R9, X13
	VPBROADCASTD X13, Y13          // w
	VPADDD Y13, Y13, Y12           // 2w
	MOVQ $16, R10
	MOVQ R10, X14
	VPBROADCASTD X14, Y14          // 16
	MOVQ AX, X15
	VPBROADCASTD X15, Y15
	VPADDD ·pool3Lanes<>(SB), Y15, Y15 // base + 2j
	LEAQ (R8)(R8*1), R11           // two rows, in bytes
block:
	TESTQ CX, CX
	JE done
	// Row 0: the first cell starts the best.
	ROW(0)
	VMOVAPS Y2, Y5
	VMOVDQA Y15, Y6
	VMOVDQA Y15, Y9
	VPADDD Y11, Y9, Y8
	CAND(Y3, Y8)
	VPADDD Y10, Y9, Y8
	CAND(Y4, Y8)
	// Row 1.
	ADDQ R8, SI
	ROW(0)
	VPADDD Y13, Y15, Y9
	CAND(Y2, Y9)
	VPADDD Y11, Y9, Y8
	CAND(Y3, Y8)
	VPADDD Y10, Y9, Y8
	CAND(Y4, Y8)
	// Row 2.
	ADDQ R8, SI
	ROW(0)
	VPADDD Y12, Y15, Y9
	CAND(Y2, Y9)
	VPADDD Y11, Y9, Y8
	CAND(Y3, Y8)
	VPADDD Y10, Y9, Y8
	CAND(Y4, Y8)
	SUBQ R11, SI
	VMOVUPS Y5, (DI)
	VCVTDQ2PS Y6, Y6
	VMOVUPS Y6, (DX)
	ADDQ $64, SI
	ADDQ $32, DI
	ADDQ $32, DX
	VPADDD Y14, Y15, Y15
	DECQ CX
	JMP block
done:
	VZEROUPPER
	RET
