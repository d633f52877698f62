//go:build amd64 && !purego

#include "textflag.h"

// Batch norm's loops in AVX2 (bnvec_amd64.go). Every function computes
// exactly the operations of its Go definition in bnvec.go, in the same
// order: multiplies and adds stay separate (no FMA), and a block's sums
// keep 32 running sums, element j of the block added into sum j mod 32
// (four Y registers of eight), joined as bnReduce32 does. So the bits are
// those of the Go code on any processor.

// 32 ones (-1 as int32) then 32 zeros: the eight lanes from
// ·bnTail<>+4*(32-r+8i) are the mask of vector i of a tail of r < 32
// values.
DATA ·bnTail<>+0(SB)/8, $-1
DATA ·bnTail<>+8(SB)/8, $-1
DATA ·bnTail<>+16(SB)/8, $-1
DATA ·bnTail<>+24(SB)/8, $-1
DATA ·bnTail<>+32(SB)/8, $-1
DATA ·bnTail<>+40(SB)/8, $-1
DATA ·bnTail<>+48(SB)/8, $-1
DATA ·bnTail<>+56(SB)/8, $-1
DATA ·bnTail<>+64(SB)/8, $-1
DATA ·bnTail<>+72(SB)/8, $-1
DATA ·bnTail<>+80(SB)/8, $-1
DATA ·bnTail<>+88(SB)/8, $-1
DATA ·bnTail<>+96(SB)/8, $-1
DATA ·bnTail<>+104(SB)/8, $-1
DATA ·bnTail<>+112(SB)/8, $-1
DATA ·bnTail<>+120(SB)/8, $-1
DATA ·bnTail<>+128(SB)/8, $0
DATA ·bnTail<>+136(SB)/8, $0
DATA ·bnTail<>+144(SB)/8, $0
DATA ·bnTail<>+152(SB)/8, $0
DATA ·bnTail<>+160(SB)/8, $0
DATA ·bnTail<>+168(SB)/8, $0
DATA ·bnTail<>+176(SB)/8, $0
DATA ·bnTail<>+184(SB)/8, $0
DATA ·bnTail<>+192(SB)/8, $0
DATA ·bnTail<>+200(SB)/8, $0
DATA ·bnTail<>+208(SB)/8, $0
DATA ·bnTail<>+216(SB)/8, $0
DATA ·bnTail<>+224(SB)/8, $0
DATA ·bnTail<>+232(SB)/8, $0
DATA ·bnTail<>+240(SB)/8, $0
DATA ·bnTail<>+248(SB)/8, $0
GLOBL ·bnTail<>(SB), RODATA|NOPTR, $256

// REDUCE4(a0, a1, a2, a3) leaves in X(a0)'s lowest lane
// ((s0+s1)+(s2+s3)) + ((s4+s5)+(s6+s7)), s = (a0+a1)+(a2+a3) lane by
// lane. Clobbers a1, a2 and Y15.
#define REDUCE4(a0, a1, a2, a3, x0, x1) \
	VADDPS a1, a0, a0; \
	VADDPS a3, a2, a2; \
	VADDPS a2, a0, a0; \
	VEXTRACTF128 $1, a0, X15; \
	VHADDPS X15, x0, x0; \
	VHADDPS x0, x0, x0; \
	VMOVSHDUP x0, x1; \
	VADDSS x1, x0, x0

// TAILMASKS(r) loads into Y12..Y15 the masks of a tail of r (register,
// 0 < r < 32) values; clobbers R11.
#define TAILMASKS(r) \
	LEAQ ·bnTail<>(SB), R11; \
	NEGQ r; \
	LEAQ 128(R11)(r*4), R11; \
	NEGQ r; \
	VMOVUPS 0(R11), Y12; \
	VMOVUPS 32(R11), Y13; \
	VMOVUPS 64(R11), Y14; \
	VMOVUPS 96(R11), Y15

// The four vectors of a 32-value step, Y4..Y7: less Y8, squared, masked
// by Y12..Y15, added into the sums Y0..Y3.
#define SUB4 \
	VSUBPS Y8, Y4, Y4; \
	VSUBPS Y8, Y5, Y5; \
	VSUBPS Y8, Y6, Y6; \
	VSUBPS Y8, Y7, Y7

#define SQUARE4 \
	VMULPS Y4, Y4, Y4; \
	VMULPS Y5, Y5, Y5; \
	VMULPS Y6, Y6, Y6; \
	VMULPS Y7, Y7, Y7

#define MASK4 \
	VANDPS Y12, Y4, Y4; \
	VANDPS Y13, Y5, Y5; \
	VANDPS Y14, Y6, Y6; \
	VANDPS Y15, Y7, Y7

#define ACC4 \
	VADDPS Y4, Y0, Y0; \
	VADDPS Y5, Y1, Y1; \
	VADDPS Y6, Y2, Y2; \
	VADDPS Y7, Y3, Y3

// func bnSumsAVX2(r *float32, n, planes, stride int, k float32, square int) float64
// Over planes of n values stride apart (r, r+stride, ...), in order, the
// sum of each plane's Σ over blocks of 256 of float64(the block's float32
// sum of r[j] - k), or of (r[j] - k)² with square set: bnBlockSums of each
// plane, added in float64 as channelStats adds them.
TEXT ·bnSumsAVX2(SB), NOSPLIT, $0-56
	MOVQ r+0(FP), R10
	MOVQ planes+16(FP), R12
	MOVQ stride+24(FP), R13
	SHLQ $2, R13
	VBROADCASTSS k+32(FP), Y8
	MOVQ square+40(FP), R9
	VXORPD X10, X10, X10         // the total over planes
sumPlane:
	TESTQ R12, R12
	JLE sumDone
	MOVQ R10, SI
	MOVQ n+8(FP), CX
	VXORPD X9, X9, X9            // the plane's total
sumBlock:
	TESTQ CX, CX
	JLE sumPlaneEnd
	MOVQ $256, DX
	CMPQ CX, DX
	CMOVQLT CX, DX               // DX: this block's length
	SUBQ DX, CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
sumLoop:
	CMPQ DX, $32
	JLT sumTail
	VMOVUPS 0(SI), Y4
	VMOVUPS 32(SI), Y5
	VMOVUPS 64(SI), Y6
	VMOVUPS 96(SI), Y7
	SUB4
	TESTQ R9, R9
	JE sumAdd
	SQUARE4
sumAdd:
	ACC4
	ADDQ $128, SI
	SUBQ $32, DX
	JMP sumLoop
sumTail:
	TESTQ DX, DX
	JE sumReduce
	TAILMASKS(DX)
	VMASKMOVPS 0(SI), Y12, Y4
	VMASKMOVPS 32(SI), Y13, Y5
	VMASKMOVPS 64(SI), Y14, Y6
	VMASKMOVPS 96(SI), Y15, Y7
	SUB4
	TESTQ R9, R9
	JE sumTailAdd
	SQUARE4
sumTailAdd:
	MASK4
	ACC4
	LEAQ (SI)(DX*4), SI
sumReduce:
	REDUCE4(Y0, Y1, Y2, Y3, X0, X1)
	VCVTSS2SD X0, X0, X0
	VADDSD X0, X9, X9
	JMP sumBlock
sumPlaneEnd:
	VADDSD X9, X10, X10
	ADDQ R13, R10
	DECQ R12
	JMP sumPlane
sumDone:
	VZEROUPPER
	MOVSD X10, ret+48(FP)
	RET

// GSVEC(off, s, q) adds the 8 values at off of one step into the pair
// of sums s (Σ g') and q (Σ g' (x - m)); GSVECM masks g by y > 0 first;
// GSTAIL and GSTAILM do the same for vector off of a tail, the lanes
// past its end (mask at off(R11)) adding zero. Y8: m; Y15: zero.
#define GSVEC(off, s, q) \
	VMOVUPS off(SI), Y9; \
	VMOVUPS off(BX), Y10; \
	VSUBPS Y8, Y10, Y10; \
	VMULPS Y10, Y9, Y10; \
	VADDPS Y9, s, s; \
	VADDPS Y10, q, q

#define GSVECM(off, s, q) \
	VMOVDQU off(DI), Y12; \
	VPCMPGTD Y15, Y12, Y12; \
	VPAND off(SI), Y12, Y9; \
	VMOVUPS off(BX), Y10; \
	VSUBPS Y8, Y10, Y10; \
	VMULPS Y10, Y9, Y10; \
	VADDPS Y9, s, s; \
	VADDPS Y10, q, q

#define GSTAIL(off, s, q) \
	VMOVUPS off(R11), Y13; \
	VMASKMOVPS off(SI), Y13, Y9; \
	VMASKMOVPS off(BX), Y13, Y10; \
	VSUBPS Y8, Y10, Y10; \
	VMULPS Y10, Y9, Y10; \
	VANDPS Y13, Y10, Y10; \
	VADDPS Y9, s, s; \
	VADDPS Y10, q, q

#define GSTAILM(off, s, q) \
	VMOVUPS off(R11), Y13; \
	VMASKMOVPS off(SI), Y13, Y9; \
	VMASKMOVPS off(DI), Y13, Y12; \
	VPCMPGTD Y15, Y12, Y12; \
	VPAND Y12, Y9, Y9; \
	VMASKMOVPS off(BX), Y13, Y10; \
	VSUBPS Y8, Y10, Y10; \
	VMULPS Y10, Y9, Y10; \
	VANDPS Y13, Y10, Y10; \
	VADDPS Y9, s, s; \
	VADDPS Y10, q, q

// func bnGradSumsAVX2(gr, y, x *float32, n, planes, stride int, m float32, masked int) (sum, sumx float64)
// Σ g' and Σ g' (x - m) over blocks of 256 of each of the planes (n
// values, stride apart in all three), g' = g where y > 0 (as int32 bits:
// the Go code's positiveBits) when masked, else g; each plane's sums are
// added in float64 as BatchNormGrad adds them.
TEXT ·bnGradSumsAVX2(SB), NOSPLIT, $0-80
	MOVQ planes+32(FP), R9
	MOVQ stride+40(FP), R13
	SHLQ $2, R13
	VBROADCASTSS m+48(FP), Y8
	MOVQ masked+56(FP), R8
	XORQ R10, R10                 // the planes' offset
	VXORPD X11, X11, X11          // Σ g over planes
	VXORPD X14, X14, X14          // Σ g (x - m) over planes
gsPlane:
	TESTQ R9, R9
	JLE gsDone
	MOVQ gr+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ x+16(FP), BX
	ADDQ R10, SI
	ADDQ R10, DI
	ADDQ R10, BX
	MOVQ n+24(FP), CX
	VXORPD X6, X6, X6
	VXORPD X7, X7, X7
	MOVSD X6, sum+64(FP)          // the plane's sums
	MOVSD X7, sumx+72(FP)
gsBlock:
	TESTQ CX, CX
	JLE gsPlaneEnd
	MOVQ $256, DX
	CMPQ CX, DX
	CMOVQLT CX, DX
	SUBQ DX, CX
	VPXOR Y15, Y15, Y15
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
gsLoop:
	CMPQ DX, $32
	JLT gsTail
	TESTQ R8, R8
	JE gsLoopU
	GSVECM(0, Y0, Y4)
	GSVECM(32, Y1, Y5)
	GSVECM(64, Y2, Y6)
	GSVECM(96, Y3, Y7)
	JMP gsLoopNext
gsLoopU:
	GSVEC(0, Y0, Y4)
	GSVEC(32, Y1, Y5)
	GSVEC(64, Y2, Y6)
	GSVEC(96, Y3, Y7)
gsLoopNext:
	ADDQ $128, SI
	ADDQ $128, DI
	ADDQ $128, BX
	SUBQ $32, DX
	JMP gsLoop
gsTail:
	TESTQ DX, DX
	JE gsReduce
	LEAQ ·bnTail<>(SB), R11
	MOVQ DX, R12
	NEGQ R12
	LEAQ 128(R11)(R12*4), R11
	TESTQ R8, R8
	JE gsTailU
	GSTAILM(0, Y0, Y4)
	GSTAILM(32, Y1, Y5)
	GSTAILM(64, Y2, Y6)
	GSTAILM(96, Y3, Y7)
	JMP gsTailNext
gsTailU:
	GSTAIL(0, Y0, Y4)
	GSTAIL(32, Y1, Y5)
	GSTAIL(64, Y2, Y6)
	GSTAIL(96, Y3, Y7)
gsTailNext:
	LEAQ (SI)(DX*4), SI
	LEAQ (DI)(DX*4), DI
	LEAQ (BX)(DX*4), BX
gsReduce:
	REDUCE4(Y0, Y1, Y2, Y3, X0, X1)
	VCVTSS2SD X0, X0, X0
	MOVSD sum+64(FP), X2
	VADDSD X0, X2, X2
	MOVSD X2, sum+64(FP)
	REDUCE4(Y4, Y5, Y6, Y7, X4, X5)
	VCVTSS2SD X4, X4, X4
	MOVSD sumx+72(FP), X2
	VADDSD X4, X2, X2
	MOVSD X2, sumx+72(FP)
	JMP gsBlock
gsPlaneEnd:
	MOVSD sum+64(FP), X2
	VADDSD X2, X11, X11
	MOVSD sumx+72(FP), X2
	VADDSD X2, X14, X14
	ADDQ R13, R10
	DECQ R9
	JMP gsPlane
gsDone:
	MOVSD X11, sum+64(FP)
	MOVSD X14, sumx+72(FP)
	VZEROUPPER
	RET

// func bnAffineAVX2(out, in, res *float32, n, planes, stride int, a, b float32, mode int)
// out = in a + b (mode 0), max(in a + b, 0) (mode 1) or
// max((in a + b) + res, 0) (mode 2) over planes of n values, stride apart
// in all three; the values past a plane's last multiple of 8 one by one.
// max(v, 0) is Go's: NaN stays NaN, -0 becomes +0.
TEXT ·bnAffineAVX2(SB), NOSPLIT, $0-64
	MOVQ planes+32(FP), R9
	MOVQ stride+40(FP), R13
	SHLQ $2, R13
	VBROADCASTSS a+48(FP), Y8
	VBROADCASTSS b+52(FP), Y9
	MOVQ mode+56(FP), R8
	VXORPS Y10, Y10, Y10
	XORQ R10, R10
	MOVQ n+24(FP), CX
	SHLQ $2, CX                   // bytes a plane
	MOVQ CX, R12
	ANDQ $-32, R12                // bytes of its whole vectors
afPlane:
	TESTQ R9, R9
	JLE afDone
	MOVQ out+0(FP), DI
	MOVQ in+8(FP), SI
	MOVQ res+16(FP), BX
	ADDQ R10, DI
	ADDQ R10, SI
	ADDQ R10, BX
	XORQ AX, AX
afLoop:
	CMPQ AX, R12
	JGE afTail
	VMOVUPS (SI)(AX*1), Y0
	VMULPS Y8, Y0, Y0
	VADDPS Y9, Y0, Y0
	TESTQ R8, R8
	JE afStore
	CMPQ R8, $2
	JNE afRelu
	VADDPS (BX)(AX*1), Y0, Y0
afRelu:
	VCMPPS $0x16, Y10, Y0, Y1    // !(v <= 0): v > 0, or NaN
	VANDPS Y1, Y0, Y0
afStore:
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP afLoop
afTail:
	CMPQ AX, CX
	JGE afPlaneEnd
	VMOVSS (SI)(AX*1), X0
	VMULSS X8, X0, X0
	VADDSS X9, X0, X0
	TESTQ R8, R8
	JE afTailStore
	CMPQ R8, $2
	JNE afTailRelu
	VADDSS (BX)(AX*1), X0, X0
afTailRelu:
	VCMPSS $0x16, X10, X0, X1
	VANDPS X1, X0, X0
afTailStore:
	VMOVSS X0, (DI)(AX*1)
	ADDQ $4, AX
	JMP afTail
afPlaneEnd:
	ADDQ R13, R10
	DECQ R9
	JMP afPlane
afDone:
	VZEROUPPER
	RET

// func bnGradAffineAVX2(dx, gr, y, x *float32, n, planes, stride int, p, q, r float32, masked, hasX int)
// dx = p g' + (q x + r) (hasX) or p g' over planes of n values, stride
// apart in all four, g' as in bnGradSumsAVX2; the values past a plane's
// last multiple of 8 one by one.
TEXT ·bnGradAffineAVX2(SB), NOSPLIT, $0-88
	MOVQ planes+40(FP), R12
	MOVQ stride+48(FP), R13
	SHLQ $2, R13
	VBROADCASTSS p+56(FP), Y8
	VBROADCASTSS q+60(FP), Y9
	VBROADCASTSS r+64(FP), Y10
	MOVQ masked+72(FP), R8
	MOVQ hasX+80(FP), R9
	VPXOR Y15, Y15, Y15
	XORQ R10, R10
	MOVQ n+32(FP), CX
	SHLQ $2, CX
	MOVQ CX, R11
	ANDQ $-32, R11
gaPlane:
	TESTQ R12, R12
	JLE gaDone
	MOVQ dx+0(FP), DI
	MOVQ gr+8(FP), SI
	MOVQ y+16(FP), DX
	MOVQ x+24(FP), BX
	ADDQ R10, DI
	ADDQ R10, SI
	ADDQ R10, DX
	ADDQ R10, BX
	XORQ AX, AX
gaLoop:
	CMPQ AX, R11
	JGE gaTail
	VMOVUPS (SI)(AX*1), Y0
	TESTQ R8, R8
	JE gaNoMask
	VMOVDQU (DX)(AX*1), Y1
	VPCMPGTD Y15, Y1, Y1
	VPAND Y1, Y0, Y0
gaNoMask:
	VMULPS Y8, Y0, Y0
	TESTQ R9, R9
	JE gaStore
	VMOVUPS (BX)(AX*1), Y2
	VMULPS Y9, Y2, Y2
	VADDPS Y10, Y2, Y2
	VADDPS Y2, Y0, Y0
gaStore:
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP gaLoop
gaTail:
	CMPQ AX, CX
	JGE gaPlaneEnd
	VMOVSS (SI)(AX*1), X0
	TESTQ R8, R8
	JE gaTailNoMask
	VMOVSS (DX)(AX*1), X1
	VPCMPGTD X15, X1, X1
	VPAND X1, X0, X0
gaTailNoMask:
	VMULSS X8, X0, X0
	TESTQ R9, R9
	JE gaTailStore
	VMOVSS (BX)(AX*1), X2
	VMULSS X9, X2, X2
	VADDSS X10, X2, X2
	VADDSS X2, X0, X0
gaTailStore:
	VMOVSS X0, (DI)(AX*1)
	ADDQ $4, AX
	JMP gaTail
gaPlaneEnd:
	ADDQ R13, R10
	DECQ R12
	JMP gaPlane
gaDone:
	VZEROUPPER
	RET
