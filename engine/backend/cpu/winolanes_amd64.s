//go:build amd64 && !purego

#include "textflag.h"

// The Winograd weight gradient's transforms on channel-interleaved grids
// (winolanes.go): each cell holds the values of L channels side by side,
// so a tile's transform is the same few additions on every lane, eight,
// four or two lanes at a time, with the operations of the Go code
// (winoLanesInGo, winoLanesGradGo) in its order.

// LOADROW loads a tile row's four cells (SI bytes apart, 3·SI in R13).
#define LOADROW(LD, base, a0, a1, a2, a3) \
	LD (base), a0; \
	LD (base)(SI*1), a1; \
	LD (base)(SI*2), a2; \
	LD (base)(R13*1), a3

// STROW stores four transformed values in slices BX bytes apart (3·BX in
// R10).
#define STROW(ST, base, a0, a1, a2, a3) \
	ST a0, (base); \
	ST a1, (base)(BX*1); \
	ST a2, (base)(BX*2); \
	ST a3, (base)(R10*1)

// COLT is d B over one row: (d0, d1, d2, d3) -> t0 = d0 - d2 in a0,
// t1 = d1 + d2 in a1, t2 = d2 - d1 in x, t3 = d1 - d3 in a3.
#define COLT(a0, a1, a2, a3, x) \
	VSUBPS a2, a0, a0; \
	VSUBPS a3, a1, a3; \
	VSUBPS a1, a2, x; \
	VADDPS a2, a1, a1

// INTILE writes V = Bᵀ d B for the lanes at AX (the tile's top-left cell;
// rows DX bytes apart, 3·DX in R12) to the 16 slices at DI.
#define INTILE(LD, ST, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12) \
	LOADROW(LD, AX, v0, v1, v2, v3); \
	COLT(v0, v1, v2, v3, v4); \
	LEAQ (AX)(DX*2), R11; \
	LOADROW(LD, R11, v2, v5, v6, v7); \
	COLT(v2, v5, v6, v7, v8); \
	VSUBPS v2, v0, v0; \
	VSUBPS v5, v1, v1; \
	VSUBPS v8, v4, v4; \
	VSUBPS v7, v3, v3; \
	STROW(ST, DI, v0, v1, v4, v3); \
	LEAQ (AX)(DX*1), R11; \
	LOADROW(LD, R11, v0, v1, v3, v4); \
	COLT(v0, v1, v3, v4, v6); \
	VADDPS v2, v0, v9; \
	VADDPS v5, v1, v10; \
	VADDPS v8, v6, v11; \
	VADDPS v7, v4, v12; \
	LEAQ (DI)(BX*4), R11; \
	STROW(ST, R11, v9, v10, v11, v12); \
	VSUBPS v0, v2, v2; \
	VSUBPS v1, v5, v5; \
	VSUBPS v6, v8, v8; \
	VSUBPS v4, v7, v7; \
	LEAQ (DI)(BX*8), R11; \
	STROW(ST, R11, v2, v5, v8, v7); \
	LEAQ (AX)(R12*1), R11; \
	LOADROW(LD, R11, v2, v3, v5, v7); \
	COLT(v2, v3, v5, v7, v8); \
	VSUBPS v2, v0, v0; \
	VSUBPS v3, v1, v1; \
	VSUBPS v8, v6, v6; \
	VSUBPS v7, v4, v4; \
	LEAQ (DI)(BX*8), R11; \
	LEAQ (R11)(BX*4), R11; \
	STROW(ST, R11, v0, v1, v6, v4)

// func winoLanesInAVX2(src *float32, rowStride, lanes, tw int, dst *float32, xiStride int)
TEXT ·winoLanesInAVX2(SB), NOSPLIT, $0-48
	MOVQ src+0(FP), R8
	MOVQ rowStride+8(FP), DX
	SHLQ $2, DX
	MOVQ lanes+16(FP), SI
	SHLQ $2, SI
	MOVQ tw+24(FP), CX
	MOVQ dst+32(FP), R9
	MOVQ xiStride+40(FP), BX
	SHLQ $2, BX
	LEAQ (BX)(BX*2), R10
	LEAQ (DX)(DX*2), R12
	LEAQ (SI)(SI*2), R13

intile:
	MOVQ R8, AX
	MOVQ R9, DI

inchunk:
	MOVQ SI, R11
	ADDQ R8, R11
	SUBQ AX, R11                // bytes of lanes left
	JZ innext
	CMPQ R11, $32
	JGE in8
	CMPQ R11, $16
	JGE in4
	INTILE(VMOVSD, VMOVSD, X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12)
	ADDQ $8, AX
	ADDQ $8, DI
	JMP inchunk

in4:
	INTILE(VMOVUPS, VMOVUPS, X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X11, X12)
	ADDQ $16, AX
	ADDQ $16, DI
	JMP inchunk

in8:
	INTILE(VMOVUPS, VMOVUPS, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12)
	ADDQ $32, AX
	ADDQ $32, DI
	JMP inchunk

innext:
	LEAQ (R8)(SI*2), R8         // two cells on
	ADDQ SI, R9                 // the next tile's lanes
	DECQ CX
	JNZ intile
	VZEROUPPER
	RET

// COLS stores a row of the output gradient's transform,
// (a, b) -> (a, a+b, a-b, -b), in slices BX bytes apart from base; the
// sign mask is in s.
#define COLS(ST, base, a, b, t, s) \
	ST a, (base); \
	VADDPS b, a, t; \
	ST t, (base)(BX*1); \
	VSUBPS b, a, t; \
	ST t, (base)(BX*2); \
	VXORPS s, b, t; \
	ST t, (base)(R10*1)

// GRADTILE writes M = A g Aᵀ for the 2x2 output-gradient tile at AX
// (rows DX bytes apart) to the 16 slices at DI.
#define GRADTILE(LD, ST, v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, s) \
	LD (AX), v0; \
	LD (AX)(SI*1), v1; \
	LEAQ (AX)(DX*1), R11; \
	LD (R11), v2; \
	LD (R11)(SI*1), v3; \
	VADDPS v2, v0, v4; \
	VADDPS v3, v1, v5; \
	VSUBPS v2, v0, v6; \
	VSUBPS v3, v1, v7; \
	VXORPS s, v2, v8; \
	VXORPS s, v3, v9; \
	COLS(ST, DI, v0, v1, v10, s); \
	LEAQ (DI)(BX*4), R11; \
	COLS(ST, R11, v4, v5, v10, s); \
	LEAQ (DI)(BX*8), R11; \
	COLS(ST, R11, v6, v7, v10, s); \
	LEAQ (R11)(BX*4), R11; \
	COLS(ST, R11, v8, v9, v10, s)

// func winoLanesGradAVX2(src *float32, rowStride, lanes, tw int, dst *float32, xiStride int)
TEXT ·winoLanesGradAVX2(SB), NOSPLIT, $0-48
	MOVQ src+0(FP), R8
	MOVQ rowStride+8(FP), DX
	SHLQ $2, DX
	MOVQ lanes+16(FP), SI
	SHLQ $2, SI
	MOVQ tw+24(FP), CX
	MOVQ dst+32(FP), R9
	MOVQ xiStride+40(FP), BX
	SHLQ $2, BX
	LEAQ (BX)(BX*2), R10
	VPCMPEQD Y15, Y15, Y15
	VPSLLD $31, Y15, Y15        // the sign bit of every lane

gtile:
	MOVQ R8, AX
	MOVQ R9, DI

gchunk:
	MOVQ SI, R11
	ADDQ R8, R11
	SUBQ AX, R11
	JZ gnext
	CMPQ R11, $32
	JGE g8
	CMPQ R11, $16
	JGE g4
	GRADTILE(VMOVSD, VMOVSD, X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X15)
	ADDQ $8, AX
	ADDQ $8, DI
	JMP gchunk

g4:
	GRADTILE(VMOVUPS, VMOVUPS, X0, X1, X2, X3, X4, X5, X6, X7, X8, X9, X10, X15)
	ADDQ $16, AX
	ADDQ $16, DI
	JMP gchunk

g8:
	GRADTILE(VMOVUPS, VMOVUPS, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y15)
	ADDQ $32, AX
	ADDQ $32, DI
	JMP gchunk

gnext:
	LEAQ (R8)(SI*2), R8
	ADDQ SI, R9
	DECQ CX
	JNZ gtile
	VZEROUPPER
	RET
