//go:build amd64 && !purego

#include "textflag.h"

// The ReLU family's loops in AVX2 (elemvec_amd64.go), eight values a
// step, n a multiple of 8. Each gives the bits of its Go loop: max(v, 0)
// is Go's (NaN stays NaN, -0 becomes +0: v kept where !(v <= 0)), and the
// masks are the Go code's integer tests on the bits.

// func reluAVX2(dst, src *float32, n int)
// dst = max(src, 0).
TEXT ·reluAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHLQ $2, CX
	XORQ AX, AX
	VXORPS Y15, Y15, Y15
reluLoop:
	CMPQ AX, CX
	JGE reluDone
	VMOVUPS (SI)(AX*1), Y0
	VCMPPS $0x16, Y15, Y0, Y1    // !(v <= 0)
	VANDPS Y1, Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP reluLoop
reluDone:
	VZEROUPPER
	RET

// func addReLUAVX2(dst, a, b *float32, n int)
// dst = max(a + b, 0).
TEXT ·addReLUAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), BX
	MOVQ n+24(FP), CX
	SHLQ $2, CX
	XORQ AX, AX
	VXORPS Y15, Y15, Y15
addLoop:
	CMPQ AX, CX
	JGE addDone
	VMOVUPS (SI)(AX*1), Y0
	VADDPS (BX)(AX*1), Y0, Y0
	VCMPPS $0x16, Y15, Y0, Y1
	VANDPS Y1, Y0, Y0
	VMOVUPS Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP addLoop
addDone:
	VZEROUPPER
	RET

// func reluGradAVX2(gr, x, dy *float32, n int)
// g = dy where x > 0 (bits of a positive number, +Inf included, NaN not:
// 0 < bits <= 0x7f800000 as int32), else +0.
TEXT ·reluGradAVX2(SB), NOSPLIT, $0-32
	MOVQ gr+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), BX
	MOVQ n+24(FP), CX
	SHLQ $2, CX
	XORQ AX, AX
	VPXOR Y15, Y15, Y15
	MOVL $0x7f800000, DX
	MOVD DX, X14
	VPBROADCASTD X14, Y14
rgLoop:
	CMPQ AX, CX
	JGE rgDone
	VMOVDQU (SI)(AX*1), Y0
	VPCMPGTD Y15, Y0, Y1         // bits > 0
	VPCMPGTD Y14, Y0, Y2         // bits > +Inf's: NaN
	VPANDN Y1, Y2, Y1            // > 0 and not NaN
	VPAND (BX)(AX*1), Y1, Y1
	VMOVDQU Y1, (DI)(AX*1)
	ADDQ $32, AX
	JMP rgLoop
rgDone:
	VZEROUPPER
	RET

// func reluMaskAVX2(dst, gr, y *float32, n int)
// dst = g where y's bits as an int32 are positive, else +0.
TEXT ·reluMaskAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ gr+8(FP), SI
	MOVQ y+16(FP), BX
	MOVQ n+24(FP), CX
	SHLQ $2, CX
	XORQ AX, AX
	VPXOR Y15, Y15, Y15
rmLoop:
	CMPQ AX, CX
	JGE rmDone
	VMOVDQU (BX)(AX*1), Y0
	VPCMPGTD Y15, Y0, Y0
	VPAND (SI)(AX*1), Y0, Y0
	VMOVDQU Y0, (DI)(AX*1)
	ADDQ $32, AX
	JMP rmLoop
rmDone:
	VZEROUPPER
	RET
