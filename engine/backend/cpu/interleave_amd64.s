//go:build amd64 && !purego

#include "textflag.h"

// func interleave4AVX2(dst, src *float32, stride, lanes, w, h, wp int)
// Copies four planes h x w (stride floats apart at src) into dst with
// their values interleaved: plane j's cell (y, x) goes to
// dst[(y·wp + x)·lanes + j]. Eight cells of a row at a time (a 4 x 8
// transpose); a row whose width is not a multiple of 8 ends on the eight
// cells w-8..w-1, writing some cells a second time with the same values.
// w and h must be 8 and 1 or more.
TEXT ·interleave4AVX2(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ stride+16(FP), BX
	SHLQ $2, BX                 // bytes between planes
	MOVQ lanes+24(FP), R8
	SHLQ $2, R8                 // bytes between cells of dst
	MOVQ w+32(FP), CX
	MOVQ h+40(FP), DX
	MOVQ wp+48(FP), R9
	IMULQ R8, R9                // bytes between rows of dst
	LEAQ (BX)(BX*2), R10        // bytes to plane 3

row:
	MOVQ SI, AX                 // src cell
	MOVQ DI, R11                // dst cell
	XORQ R13, R13               // cells done

block:
	VMOVUPS (AX), Y0
	VMOVUPS (AX)(BX*1), Y1
	VMOVUPS (AX)(BX*2), Y2
	VMOVUPS (AX)(R10*1), Y3
	VUNPCKLPS Y1, Y0, Y4        // r0[0] r1[0] r0[1] r1[1] | r0[4] r1[4] r0[5] r1[5]
	VUNPCKHPS Y1, Y0, Y5        // r0[2] r1[2] r0[3] r1[3] | r0[6] r1[6] r0[7] r1[7]
	VUNPCKLPS Y3, Y2, Y6
	VUNPCKHPS Y3, Y2, Y7
	VSHUFPS $0x44, Y6, Y4, Y0   // cell 0 | cell 4
	VSHUFPS $0xEE, Y6, Y4, Y1   // cell 1 | cell 5
	VSHUFPS $0x44, Y7, Y5, Y2   // cell 2 | cell 6
	VSHUFPS $0xEE, Y7, Y5, Y3   // cell 3 | cell 7
	VMOVUPS X0, (R11)
	VMOVUPS X1, (R11)(R8*1)
	LEAQ (R11)(R8*2), R11
	VMOVUPS X2, (R11)
	VMOVUPS X3, (R11)(R8*1)
	LEAQ (R11)(R8*2), R11
	VEXTRACTF128 $1, Y0, (R11)
	VEXTRACTF128 $1, Y1, (R11)(R8*1)
	LEAQ (R11)(R8*2), R11
	VEXTRACTF128 $1, Y2, (R11)
	VEXTRACTF128 $1, Y3, (R11)(R8*1)
	LEAQ (R11)(R8*2), R11
	ADDQ $32, AX
	ADDQ $8, R13
	MOVQ CX, R12
	SUBQ R13, R12               // cells left
	JZ rowdone
	CMPQ R12, $8
	JGE block
	// Fewer than 8 left: back up to the row's last eight cells.
	MOVQ CX, R13
	SUBQ $8, R13
	LEAQ (SI)(R13*4), AX
	MOVQ R13, R12
	IMULQ R8, R12
	LEAQ (DI)(R12*1), R11
	JMP block

rowdone:
	LEAQ (SI)(CX*4), SI
	ADDQ R9, DI
	DECQ DX
	JNZ row
	VZEROUPPER
	RET

// func interleave4x4AVX(dst, src *float32, stride, lanes, w, h, wp int)
// interleave4AVX2 for rows of 4 to 7 cells: four cells at a time (a 4 x 4
// transpose), a row ending on the cells w-4..w-1.
TEXT ·interleave4x4AVX(SB), NOSPLIT, $0-56
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ stride+16(FP), BX
	SHLQ $2, BX
	MOVQ lanes+24(FP), R8
	SHLQ $2, R8
	MOVQ w+32(FP), CX
	MOVQ h+40(FP), DX
	MOVQ wp+48(FP), R9
	IMULQ R8, R9
	LEAQ (BX)(BX*2), R10

row4:
	MOVQ SI, AX
	MOVQ DI, R11
	XORQ R13, R13

block4:
	VMOVUPS (AX), X0
	VMOVUPS (AX)(BX*1), X1
	VMOVUPS (AX)(BX*2), X2
	VMOVUPS (AX)(R10*1), X3
	VUNPCKLPS X1, X0, X4
	VUNPCKHPS X1, X0, X5
	VUNPCKLPS X3, X2, X6
	VUNPCKHPS X3, X2, X7
	VSHUFPS $0x44, X6, X4, X0
	VSHUFPS $0xEE, X6, X4, X1
	VSHUFPS $0x44, X7, X5, X2
	VSHUFPS $0xEE, X7, X5, X3
	VMOVUPS X0, (R11)
	VMOVUPS X1, (R11)(R8*1)
	LEAQ (R11)(R8*2), R11
	VMOVUPS X2, (R11)
	VMOVUPS X3, (R11)(R8*1)
	LEAQ (R11)(R8*2), R11
	ADDQ $16, AX
	ADDQ $4, R13
	MOVQ CX, R12
	SUBQ R13, R12
	JZ rowdone4
	CMPQ R12, $4
	JGE block4
	MOVQ CX, R13
	SUBQ $4, R13
	LEAQ (SI)(R13*4), AX
	MOVQ R13, R12
	IMULQ R8, R12
	LEAQ (DI)(R12*1), R11
	JMP block4

rowdone4:
	LEAQ (SI)(CX*4), SI
	ADDQ R9, DI
	DECQ DX
	JNZ row4
	RET
