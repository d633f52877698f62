//go:build amd64 && !purego

#include "textflag.h"

// Even and odd element indices for VPERMT2PS over two 16-float halves of
// a 32-float span; even is also 2*lane, the offset of each window.
DATA ·even<>+0(SB)/4, $0
DATA ·even<>+4(SB)/4, $2
DATA ·even<>+8(SB)/4, $4
DATA ·even<>+12(SB)/4, $6
DATA ·even<>+16(SB)/4, $8
DATA ·even<>+20(SB)/4, $10
DATA ·even<>+24(SB)/4, $12
DATA ·even<>+28(SB)/4, $14
DATA ·even<>+32(SB)/4, $16
DATA ·even<>+36(SB)/4, $18
DATA ·even<>+40(SB)/4, $20
DATA ·even<>+44(SB)/4, $22
DATA ·even<>+48(SB)/4, $24
DATA ·even<>+52(SB)/4, $26
DATA ·even<>+56(SB)/4, $28
DATA ·even<>+60(SB)/4, $30
GLOBL ·even<>(SB), RODATA|NOPTR, $64

DATA ·odd<>+0(SB)/4, $1
DATA ·odd<>+4(SB)/4, $3
DATA ·odd<>+8(SB)/4, $5
DATA ·odd<>+12(SB)/4, $7
DATA ·odd<>+16(SB)/4, $9
DATA ·odd<>+20(SB)/4, $11
DATA ·odd<>+24(SB)/4, $13
DATA ·odd<>+28(SB)/4, $15
DATA ·odd<>+32(SB)/4, $17
DATA ·odd<>+36(SB)/4, $19
DATA ·odd<>+40(SB)/4, $21
DATA ·odd<>+44(SB)/4, $23
DATA ·odd<>+48(SB)/4, $25
DATA ·odd<>+52(SB)/4, $27
DATA ·odd<>+56(SB)/4, $29
DATA ·odd<>+60(SB)/4, $31
GLOBL ·odd<>(SB), RODATA|NOPTR, $64

// func maxPool2x2AVX512(out, idx, src *float32, oh, ow, w, relu int, tailOut, tailIn0, tailIn1 uint64)
// Non-overlapping 2x2 max pooling of one plane: for each output, the
// maximum of src[2oh*w+2ow], [..+1], [..+w], [..+w+1] (first in row-major
// order on ties, NaN never chosen: strict ordered >) and its index in the
// plane as float32. Sixteen outputs per step; the last partial step of a
// row uses the tail masks (outputs, first and second 16 inputs). With relu
// set, the outputs are max(0, maximum) (NaN kept), the indices unchanged.
TEXT ·maxPool2x2AVX512(SB), NOSPLIT, $0-80
	MOVQ out+0(FP), DI
	MOVQ idx+8(FP), R8
	MOVQ src+16(FP), SI
	MOVQ oh+24(FP), CX
	MOVQ ow+32(FP), DX
	MOVQ w+40(FP), BX
	VMOVDQU32 ·even<>(SB), Z30
	VMOVDQU32 ·odd<>(SB), Z31
	MOVL $1, AX
	VPBROADCASTD AX, Z29       // 1
	VPBROADCASTD BX, Z28       // w
	VPADDD Z29, Z28, Z27       // w+1
	VPXORD Z26, Z26, Z26       // 0.0
	MOVQ relu+48(FP), AX
	MOVQ BX, R9
	SHLQ $2, R9                // bytes per input row
	XORQ R12, R12              // plane index of the row pair's first cell

rowloop:
	TESTQ CX, CX
	JZ done
	MOVQ SI, R10               // row 2oh
	LEAQ (SI)(R9*1), R11       // row 2oh+1
	MOVQ R12, R13              // index of the chunk's first cell
	MOVQ DX, R14               // outputs left in the row

chunk:
	CMPQ R14, $16
	JGE full
	TESTQ R14, R14
	JZ rowdone
	KMOVQ tailOut+56(FP), K1
	KMOVQ tailIn0+64(FP), K2
	KMOVQ tailIn1+72(FP), K3
	JMP body

full:
	KXNORW K0, K0, K1
	KXNORW K0, K0, K2
	KXNORW K0, K0, K3

body:
	VMOVUPS.Z (R10), K2, Z0
	VMOVUPS.Z 64(R10), K3, Z1
	VMOVUPS.Z (R11), K2, Z2
	VMOVUPS.Z 64(R11), K3, Z3
	VMOVAPS Z0, Z4
	VPERMT2PS Z1, Z30, Z4      // a = row0 even
	VPERMT2PS Z1, Z31, Z0      // b = row0 odd
	VMOVAPS Z2, Z5
	VPERMT2PS Z3, Z30, Z5      // c = row1 even
	VPERMT2PS Z3, Z31, Z2      // d = row1 odd
	VPBROADCASTD R13, Z7
	VPADDD Z30, Z7, Z7         // base = first cell of each window
	VMOVDQA32 Z7, Z6           // idx = base (a)
	VCMPPS $0x1e, Z4, Z0, K4   // b > best
	VMOVAPS Z0, K4, Z4
	VPADDD Z29, Z7, K4, Z6
	VCMPPS $0x1e, Z4, Z5, K4   // c > best
	VMOVAPS Z5, K4, Z4
	VPADDD Z28, Z7, K4, Z6
	VCMPPS $0x1e, Z4, Z2, K4   // d > best
	VMOVAPS Z2, K4, Z4
	VPADDD Z27, Z7, K4, Z6
	VCVTDQ2PS Z6, Z6
	TESTQ AX, AX
	JZ store
	VCMPPS $0x16, Z26, Z4, K5  // !(best <= 0): best > 0, or NaN
	VMOVAPS.Z Z4, K5, Z4       // else +0, as Go's max(best, 0) (never -0)
store:
	VMOVUPS Z4, K1, (DI)
	VMOVUPS Z6, K1, (R8)
	CMPQ R14, $16
	JLT tailstep
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $128, R10
	ADDQ $128, R11
	ADDQ $32, R13
	SUBQ $16, R14
	JMP chunk

tailstep:
	LEAQ (DI)(R14*4), DI
	LEAQ (R8)(R14*4), R8

rowdone:
	LEAQ (SI)(R9*2), SI
	ADDQ BX, R12
	ADDQ BX, R12
	DECQ CX
	JMP rowloop

done:
	VZEROUPPER
	RET

// Interleaving indices for VPERMT2PS: ilo = a0,b0,a1,b1,...,a7,b7 and
// ihi = a8,b8,...,a15,b15 of two 16-float vectors a and b.
DATA ·ilo<>+0(SB)/4, $0
DATA ·ilo<>+4(SB)/4, $16
DATA ·ilo<>+8(SB)/4, $1
DATA ·ilo<>+12(SB)/4, $17
DATA ·ilo<>+16(SB)/4, $2
DATA ·ilo<>+20(SB)/4, $18
DATA ·ilo<>+24(SB)/4, $3
DATA ·ilo<>+28(SB)/4, $19
DATA ·ilo<>+32(SB)/4, $4
DATA ·ilo<>+36(SB)/4, $20
DATA ·ilo<>+40(SB)/4, $5
DATA ·ilo<>+44(SB)/4, $21
DATA ·ilo<>+48(SB)/4, $6
DATA ·ilo<>+52(SB)/4, $22
DATA ·ilo<>+56(SB)/4, $7
DATA ·ilo<>+60(SB)/4, $23
GLOBL ·ilo<>(SB), RODATA|NOPTR, $64

DATA ·ihi<>+0(SB)/4, $8
DATA ·ihi<>+4(SB)/4, $24
DATA ·ihi<>+8(SB)/4, $9
DATA ·ihi<>+12(SB)/4, $25
DATA ·ihi<>+16(SB)/4, $10
DATA ·ihi<>+20(SB)/4, $26
DATA ·ihi<>+24(SB)/4, $11
DATA ·ihi<>+28(SB)/4, $27
DATA ·ihi<>+32(SB)/4, $12
DATA ·ihi<>+36(SB)/4, $28
DATA ·ihi<>+40(SB)/4, $13
DATA ·ihi<>+44(SB)/4, $29
DATA ·ihi<>+48(SB)/4, $14
DATA ·ihi<>+52(SB)/4, $30
DATA ·ihi<>+56(SB)/4, $15
DATA ·ihi<>+60(SB)/4, $31
GLOBL ·ihi<>(SB), RODATA|NOPTR, $64

// func maxPool2x2GradAVX512(dx, dy, idx, y *float32, oh, ow, w int, tailOut, tailIn0, tailIn1 uint64)
// The gradient of maxPool2x2AVX512 for an even plane that the windows tile:
// every cell of dx is written, dy where idx names it and 0 elsewhere. With
// y (the pooled output of the relu variant; nil otherwise), dy counts only
// where y > 0.
TEXT ·maxPool2x2GradAVX512(SB), NOSPLIT, $0-80
	MOVQ dx+0(FP), SI
	MOVQ dy+8(FP), DI
	MOVQ idx+16(FP), R8
	MOVQ oh+32(FP), CX
	MOVQ ow+40(FP), DX
	MOVQ w+48(FP), BX
	VMOVDQU32 ·even<>(SB), Z30
	VMOVDQU32 ·ilo<>(SB), Z26
	VMOVDQU32 ·ihi<>(SB), Z25
	MOVL $1, AX
	VPBROADCASTD AX, Z29       // 1
	VPBROADCASTD BX, Z28       // w
	VPADDD Z29, Z28, Z27       // w+1
	VPXORD Z24, Z24, Z24       // 0.0
	MOVQ y+24(FP), AX          // y - dy in bytes, and K6 set, when y is given
	KXORW K6, K6, K6
	TESTQ AX, AX
	JZ gnoy
	KXNORW K6, K6, K6
	SUBQ DI, AX

gnoy:
	MOVQ BX, R9
	SHLQ $2, R9
	XORQ R12, R12

growloop:
	TESTQ CX, CX
	JZ gdone
	MOVQ SI, R10
	LEAQ (SI)(R9*1), R11
	MOVQ R12, R13
	MOVQ DX, R14

gchunk:
	CMPQ R14, $16
	JGE gfull
	TESTQ R14, R14
	JZ growdone
	KMOVQ tailOut+56(FP), K1
	KMOVQ tailIn0+64(FP), K2
	KMOVQ tailIn1+72(FP), K3
	JMP gbody

gfull:
	KXNORW K0, K0, K1
	KXNORW K0, K0, K2
	KXNORW K0, K0, K3

gbody:
	VMOVUPS.Z (DI), K1, Z0     // dy
	VMOVUPS.Z (R8), K1, Z1     // idx
	KORTESTW K6, K6
	JZ gnorelu
	VMOVUPS.Z (DI)(AX*1), K1, Z11 // y
	VCMPPS $0x1e, Z24, Z11, K5 // y > 0
	VMOVAPS.Z Z0, K5, Z0

gnorelu:
	VCVTTPS2DQ Z1, Z1
	VPBROADCASTD R13, Z7
	VPADDD Z30, Z7, Z7         // window's first cell
	VPCMPEQD Z7, Z1, K4
	VMOVAPS.Z Z0, K4, Z2       // a: row 0, even
	VPADDD Z29, Z7, Z8
	VPCMPEQD Z8, Z1, K4
	VMOVAPS.Z Z0, K4, Z3       // b: row 0, odd
	VPADDD Z28, Z7, Z8
	VPCMPEQD Z8, Z1, K4
	VMOVAPS.Z Z0, K4, Z4       // c: row 1, even
	VPADDD Z27, Z7, Z8
	VPCMPEQD Z8, Z1, K4
	VMOVAPS.Z Z0, K4, Z5       // d: row 1, odd
	VMOVAPS Z2, Z9
	VPERMT2PS Z3, Z26, Z9      // row 0, cells 0-15
	VPERMT2PS Z3, Z25, Z2      // row 0, cells 16-31
	VMOVAPS Z4, Z10
	VPERMT2PS Z5, Z26, Z10
	VPERMT2PS Z5, Z25, Z4
	VMOVUPS Z9, K2, (R10)
	VMOVUPS Z2, K3, 64(R10)
	VMOVUPS Z10, K2, (R11)
	VMOVUPS Z4, K3, 64(R11)
	CMPQ R14, $16
	JLT gtail
	ADDQ $64, DI
	ADDQ $64, R8
	ADDQ $128, R10
	ADDQ $128, R11
	ADDQ $32, R13
	SUBQ $16, R14
	JMP gchunk

gtail:
	LEAQ (DI)(R14*4), DI
	LEAQ (R8)(R14*4), R8

growdone:
	LEAQ (SI)(R9*2), SI
	ADDQ BX, R12
	ADDQ BX, R12
	DECQ CX
	JMP growloop

gdone:
	VZEROUPPER
	RET
