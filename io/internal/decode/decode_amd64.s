//go:build !purego

#include "textflag.h"

// Conversion kernels of decode_amd64.go. Each reads n elements at src (SI)
// and writes n float64 at dst (DI); CX counts main-loop iterations. Loads and
// stores are unaligned.

// func cpuid1ECX() uint32
TEXT ·cpuid1ECX(SB), NOSPLIT, $0-4
	MOVL $1, AX
	XORL CX, CX
	CPUID
	MOVL CX, ret+0(FP)
	RET

// func float32AVX2(dst *float64, src *byte, n int)
// 32 elements an iteration: eight VCVTPS2PD of four float32 (16 bytes) each.
TEXT ·float32AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $5, CX
	JZ   f32done

f32loop:
	VCVTPS2PD 0(SI), Y0
	VCVTPS2PD 16(SI), Y1
	VCVTPS2PD 32(SI), Y2
	VCVTPS2PD 48(SI), Y3
	VCVTPS2PD 64(SI), Y4
	VCVTPS2PD 80(SI), Y5
	VCVTPS2PD 96(SI), Y6
	VCVTPS2PD 112(SI), Y7
	VMOVUPD   Y0, 0(DI)
	VMOVUPD   Y1, 32(DI)
	VMOVUPD   Y2, 64(DI)
	VMOVUPD   Y3, 96(DI)
	VMOVUPD   Y4, 128(DI)
	VMOVUPD   Y5, 160(DI)
	VMOVUPD   Y6, 192(DI)
	VMOVUPD   Y7, 224(DI)
	ADDQ      $128, SI
	ADDQ      $256, DI
	DECQ      CX
	JNZ       f32loop

f32done:
	VZEROUPPER
	RET

// BF16 converts the four bfloat16 at off(SI) to float64 at 4·off(DI):
// zero-extend to 32 bits, shift into the upper half (bits<<16 is the
// float32), widen.
#define BF16(off, y, x) \
	VPMOVZXWD off(SI), x;    \
	VPSLLD    $16, x, x;     \
	VCVTPS2PD x, y;          \
	VMOVUPD   y, (4*off)(DI)

// func bfloat16AVX2(dst *float64, src *byte, n int)
// 16 elements an iteration.
TEXT ·bfloat16AVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ   bf16done

bf16loop:
	BF16(0, Y0, X0)
	BF16(8, Y1, X1)
	BF16(16, Y2, X2)
	BF16(24, Y3, X3)
	ADDQ $32, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  bf16loop

bf16done:
	VZEROUPPER
	RET

// canonicalNaN is math.NaN(), the float64 every binary16 NaN becomes.
DATA canonicalNaN<>+0(SB)/8, $0x7ff8000000000001
GLOBL canonicalNaN<>(SB), RODATA|NOPTR, $8

// F16 converts the four binary16 at off(SI) to float64 at 4·off(DI):
// VCVTPH2PS and VCVTPS2PD are exact, but keep a NaN's sign and payload, so
// lanes that are NaN (unordered with themselves) are replaced by Y15.
#define F16(off, y, x, m) \
	VCVTPH2PS off(SI), x;      \
	VCVTPS2PD x, y;            \
	VCMPPD    $3, y, y, m;     \
	VBLENDVPD m, Y15, y, y;    \
	VMOVUPD   y, (4*off)(DI)

// func float16F16C(dst *float64, src *byte, n int)
// 16 elements an iteration.
TEXT ·float16F16C(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $4, CX
	JZ   f16done
	VBROADCASTSD canonicalNaN<>(SB), Y15

f16loop:
	F16(0, Y0, X0, Y4)
	F16(8, Y1, X1, Y5)
	F16(16, Y2, X2, Y6)
	F16(24, Y3, X3, Y7)
	ADDQ $32, SI
	ADDQ $128, DI
	DECQ CX
	JNZ  f16loop

f16done:
	VZEROUPPER
	RET

// func allFiniteAVX2(x *float64, n int) bool
// 16 elements an iteration. x − x is +0 for every finite x and NaN for ±Inf
// and NaN; the OR of all differences is zero exactly when every x is finite.
TEXT ·allFiniteAVX2(SB), NOSPLIT, $0-17
	MOVQ   x+0(FP), SI
	MOVQ   n+8(FP), CX
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	SHRQ   $4, CX
	JZ     afdone

afloop:
	VMOVUPD 0(SI), Y0
	VMOVUPD 32(SI), Y1
	VMOVUPD 64(SI), Y2
	VMOVUPD 96(SI), Y3
	VSUBPD  Y0, Y0, Y0
	VSUBPD  Y1, Y1, Y1
	VSUBPD  Y2, Y2, Y2
	VSUBPD  Y3, Y3, Y3
	VORPD   Y0, Y8, Y8
	VORPD   Y1, Y9, Y9
	VORPD   Y2, Y8, Y8
	VORPD   Y3, Y9, Y9
	ADDQ    $128, SI
	DECQ    CX
	JNZ     afloop

afdone:
	VORPD   Y8, Y9, Y8
	VPTEST  Y8, Y8
	SETEQ   ret+16(FP)
	VZEROUPPER
	RET
