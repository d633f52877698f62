//go:build amd64 && !purego

#include "textflag.h"

// Constants of gelu.go as float32 bits, in this order: -87.3, log2(e), 0.5,
// ln2 (high, low), the six exp coefficients, 1, 1/sqrt(2), 0.3275911, the
// five erf coefficients a5..a1 (signs in the code), 1/sqrt(2π), the abs
// and sign masks and the exponent bias 127.
DATA ·geluK<>+0(SB)/4, $0xc2ae999a
DATA ·geluK<>+4(SB)/4, $0x3fb8aa3b
DATA ·geluK<>+8(SB)/4, $0x3f000000
DATA ·geluK<>+12(SB)/4, $0x3f318000
DATA ·geluK<>+16(SB)/4, $0xb95e8083
DATA ·geluK<>+20(SB)/4, $0x39506967
DATA ·geluK<>+24(SB)/4, $0x3ab743ce
DATA ·geluK<>+28(SB)/4, $0x3c088908
DATA ·geluK<>+32(SB)/4, $0x3d2aa9c1
DATA ·geluK<>+36(SB)/4, $0x3e2aaaaa
DATA ·geluK<>+40(SB)/4, $0x3f000000
DATA ·geluK<>+44(SB)/4, $0x3f800000
DATA ·geluK<>+48(SB)/4, $0x3f3504f3
DATA ·geluK<>+52(SB)/4, $0x3ea7ba05
DATA ·geluK<>+56(SB)/4, $0x3f87dc22
DATA ·geluK<>+60(SB)/4, $0x3fba00e3
DATA ·geluK<>+64(SB)/4, $0x3fb5f0e3
DATA ·geluK<>+68(SB)/4, $0x3e91a98e
DATA ·geluK<>+72(SB)/4, $0x3e827906
DATA ·geluK<>+76(SB)/4, $0x3ecc422a
DATA ·geluK<>+80(SB)/4, $0x7fffffff
DATA ·geluK<>+84(SB)/4, $0x80000000
DATA ·geluK<>+88(SB)/4, $127
GLOBL ·geluK<>(SB), RODATA|NOPTR, $92

#define K(off) ·geluK<>+off(SB)

// GELU_CDF computes, for the eight values x in Y0, Φ(x) in Y13 and
// e^{-x²/2} in Y4 with the operations of normCDFPDF and expNonPos in their
// order (no fused multiply-adds), so the bits equal the scalar code's.
// Y1-Y12, Y14 and Y15 are clobbered; Y15 holds 1 afterwards.
#define GELU_CDF \
	VBROADCASTSS K(48), Y14; \
	VMULPS       Y14, Y0, Y1; \
	VBROADCASTSS K(80), Y14; \
	VANDPS       Y14, Y1, Y1; \
	VBROADCASTSS K(52), Y14; \
	VMULPS       Y14, Y1, Y2; \
	VBROADCASTSS K(44), Y15; \
	VADDPS       Y15, Y2, Y2; \
	VDIVPS       Y2, Y15, Y2; \
	VMULPS       Y1, Y1, Y3; \
	VBROADCASTSS K(84), Y14; \
	VXORPS       Y14, Y3, Y3; \
	VBROADCASTSS K(0), Y14; \
	VCMPPS       $1, Y14, Y3, Y5; \
	VBROADCASTSS K(4), Y14; \
	VMULPS       Y14, Y3, Y6; \
	VBROADCASTSS K(8), Y14; \
	VSUBPS       Y14, Y6, Y6; \
	VCVTTPS2DQ   Y6, Y7; \
	VCVTDQ2PS    Y7, Y6; \
	VBROADCASTSS K(12), Y14; \
	VMULPS       Y14, Y6, Y8; \
	VSUBPS       Y8, Y3, Y8; \
	VBROADCASTSS K(16), Y14; \
	VMULPS       Y14, Y6, Y9; \
	VSUBPS       Y9, Y8, Y8; \
	VBROADCASTSS K(20), Y9; \
	VMULPS       Y8, Y9, Y9; \
	VBROADCASTSS K(24), Y14; \
	VADDPS       Y14, Y9, Y9; \
	VMULPS       Y8, Y9, Y9; \
	VBROADCASTSS K(28), Y14; \
	VADDPS       Y14, Y9, Y9; \
	VMULPS       Y8, Y9, Y9; \
	VBROADCASTSS K(32), Y14; \
	VADDPS       Y14, Y9, Y9; \
	VMULPS       Y8, Y9, Y9; \
	VBROADCASTSS K(36), Y14; \
	VADDPS       Y14, Y9, Y9; \
	VMULPS       Y8, Y9, Y9; \
	VBROADCASTSS K(40), Y14; \
	VADDPS       Y14, Y9, Y9; \
	VMULPS       Y8, Y9, Y9; \
	VMULPS       Y8, Y9, Y9; \
	VADDPS       Y8, Y9, Y9; \
	VADDPS       Y15, Y9, Y9; \
	VBROADCASTSS K(88), Y14; \
	VPADDD       Y14, Y7, Y7; \
	VPSLLD       $23, Y7, Y7; \
	VMULPS       Y7, Y9, Y9; \
	VANDNPS      Y9, Y5, Y4; \
	VBROADCASTSS K(56), Y14; \
	VMULPS       Y14, Y2, Y10; \
	VBROADCASTSS K(60), Y14; \
	VSUBPS       Y14, Y10, Y10; \
	VMULPS       Y10, Y2, Y10; \
	VBROADCASTSS K(64), Y14; \
	VADDPS       Y14, Y10, Y10; \
	VMULPS       Y10, Y2, Y10; \
	VBROADCASTSS K(68), Y14; \
	VSUBPS       Y14, Y10, Y10; \
	VMULPS       Y10, Y2, Y10; \
	VBROADCASTSS K(72), Y14; \
	VADDPS       Y14, Y10, Y10; \
	VMULPS       Y10, Y2, Y10; \
	VBROADCASTSS K(8), Y14; \
	VMULPS       Y14, Y10, Y10; \
	VMULPS       Y4, Y10, Y10; \
	VSUBPS       Y10, Y15, Y11; \
	VXORPS       Y12, Y12, Y12; \
	VCMPPS       $1, Y12, Y0, Y12; \
	VBLENDVPS    Y12, Y10, Y11, Y13

// func geluAVX2(y, x *float32, n int)
// y[i] = x[i]·Φ(x[i]) for i < n, n a multiple of 8.
TEXT ·geluAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX
	JZ   gdone

gloop:
	VMOVUPS (SI), Y0
	GELU_CDF
	VMULPS  Y13, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNZ     gloop

gdone:
	VZEROUPPER
	RET

// func geluGradAVX2(dst, x, dy *float32, n int)
// dst[i] = dy[i]·(Φ(x[i]) + x[i]·φ(x[i])) for i < n, n a multiple of 8.
TEXT ·geluGradAVX2(SB), NOSPLIT, $0-32
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ dy+16(FP), DX
	MOVQ n+24(FP), CX
	SHRQ $3, CX
	JZ   ddone

dloop:
	VMOVUPS      (SI), Y0
	GELU_CDF
	VBROADCASTSS K(76), Y14
	VMULPS       Y14, Y4, Y6
	VMULPS       Y6, Y0, Y6
	VADDPS       Y6, Y13, Y6
	VMOVUPS      (DX), Y7
	VMULPS       Y6, Y7, Y7
	VMOVUPS      Y7, (DI)
	ADDQ         $32, SI
	ADDQ         $32, DX
	ADDQ         $32, DI
	DECQ         CX
	JNZ          dloop

ddone:
	VZEROUPPER
	RET
