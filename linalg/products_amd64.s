//go:build !purego

#include "textflag.h"

// Register-tiled micro-kernels of MulTallSkinny and MulTransTallSkinny
// (AVX2 + FMA3). Each computes a 6×w tile (w = 8 or 4)
//
//	C[r][j] = (load ? C[r][j] : 0) + Σ_{t<kc} a[r·ars + t·ast] · b[t·bst + j],
//
// a, b and C addressed with byte strides: b row t at b + t·bst (w contiguous values);
// b + t·bst + pf is prefetched into L1 before row t is used.
// The accumulators live in Y0–Y11 (6 rows × two 4-wide halves); the sum over t
// is sequential, one FMA per term. mask, when not nil, points to w int64 lane
// masks (all ones = column present) used for C loads and stores of edge tiles.
// kc ≥ 1. Registers: R8–R13 the six broadcast bases, AX their offset, BX = ast,
// DI the b row, SI = bst, DX = pf (ldc outside the loop), CX the step count.
//
// With convB ≠ 0 the b rows hold float32 values, each widened to float64 as
// it is loaded (VCVTPS2PD, exact): Aᵀ·Q of float32 data multiplied in
// float64 reads A's packed strips as stored, at half the bytes.

// FMA8 broadcasts a[r·ars + t·ast] (row base register, byte offset AX)
// and multiply-adds it with the b row in Y12:Y13 into two accumulators.
// STEP8 is one step t: load b row t, six FMA8, advance a and b. Every
// four steps, a + t·ast + 256 bytes (first broadcast row) is prefetched too
// (the stream of A's row in A·B).
#define FMA8(base, tmp, acc0, acc1) \
	VBROADCASTSD (base)(AX*1), tmp; \
	VFMADD231PD  Y12, tmp, acc0;    \
	VFMADD231PD  Y13, tmp, acc1

// SIX8 is the six FMA8 of a step and the advance of a and b.
#define SIX8 \
	FMA8(R8, Y14, Y0, Y1);     \
	FMA8(R9, Y15, Y2, Y3);     \
	FMA8(R10, Y14, Y4, Y5);    \
	FMA8(R11, Y15, Y6, Y7);    \
	FMA8(R12, Y14, Y8, Y9);    \
	FMA8(R13, Y15, Y10, Y11);  \
	ADDQ BX, AX;               \
	ADDQ SI, DI

#define STEP8 \
	PREFETCHT0 (DI)(DX*1);     \
	VMOVUPD (DI), Y12;         \
	VMOVUPD 32(DI), Y13;       \
	SIX8

// STEP8B is STEP8 for a float32 b row.
#define STEP8B \
	PREFETCHT0 (DI)(DX*1);     \
	VCVTPS2PD (DI), Y12;       \
	VCVTPS2PD 16(DI), Y13;     \
	SIX8

// func kern6x8AVX2(kc int, a *float64, ars, ast int, b unsafe.Pointer, c *float64, ldc int, load int, mask *int64, bst, pf, convB int)
TEXT ·kern6x8AVX2(SB), NOSPLIT, $0-96
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), R8
	MOVQ ars+16(FP), DX
	MOVQ ast+24(FP), BX
	MOVQ b+32(FP), DI
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	LEAQ (R12)(DX*1), R13
	MOVQ c+40(FP), SI
	MOVQ ldc+48(FP), DX
	MOVQ mask+64(FP), AX
	CMPQ load+56(FP), $0
	JNE  load8
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	VXORPD Y9, Y9, Y9
	VXORPD Y10, Y10, Y10
	VXORPD Y11, Y11, Y11
	JMP  start8

load8:
	TESTQ AX, AX
	JNZ   loadmask8
	VMOVUPD (SI), Y0
	VMOVUPD 32(SI), Y1
	ADDQ    DX, SI
	VMOVUPD (SI), Y2
	VMOVUPD 32(SI), Y3
	ADDQ    DX, SI
	VMOVUPD (SI), Y4
	VMOVUPD 32(SI), Y5
	ADDQ    DX, SI
	VMOVUPD (SI), Y6
	VMOVUPD 32(SI), Y7
	ADDQ    DX, SI
	VMOVUPD (SI), Y8
	VMOVUPD 32(SI), Y9
	ADDQ    DX, SI
	VMOVUPD (SI), Y10
	VMOVUPD 32(SI), Y11
	JMP     start8

loadmask8:
	VMOVDQU    (AX), Y12
	VMOVDQU    32(AX), Y13
	VMASKMOVPD (SI), Y12, Y0
	VMASKMOVPD 32(SI), Y13, Y1
	ADDQ       DX, SI
	VMASKMOVPD (SI), Y12, Y2
	VMASKMOVPD 32(SI), Y13, Y3
	ADDQ       DX, SI
	VMASKMOVPD (SI), Y12, Y4
	VMASKMOVPD 32(SI), Y13, Y5
	ADDQ       DX, SI
	VMASKMOVPD (SI), Y12, Y6
	VMASKMOVPD 32(SI), Y13, Y7
	ADDQ       DX, SI
	VMASKMOVPD (SI), Y12, Y8
	VMASKMOVPD 32(SI), Y13, Y9
	ADDQ       DX, SI
	VMASKMOVPD (SI), Y12, Y10
	VMASKMOVPD 32(SI), Y13, Y11

start8:
	XORQ AX, AX
	MOVQ bst+72(FP), SI
	MOVQ pf+80(FP), DX
	CMPQ convB+88(FP), $0
	JNE  start8b
	CMPQ CX, $4
	JL   tail8

loop8:
	PREFETCHT0 256(R8)(AX*1)
	STEP8
	STEP8
	STEP8
	STEP8
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop8

tail8:
	TESTQ CX, CX
	JZ    store8

tail8loop:
	STEP8
	DECQ CX
	JNZ  tail8loop
	JMP  store8

start8b:
	CMPQ CX, $4
	JL   tail8b

loop8b:
	PREFETCHT0 256(R8)(AX*1)
	STEP8B
	STEP8B
	STEP8B
	STEP8B
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop8b

tail8b:
	TESTQ CX, CX
	JZ    store8

tail8bloop:
	STEP8B
	DECQ CX
	JNZ  tail8bloop

store8:
	MOVQ  c+40(FP), SI
	MOVQ  ldc+48(FP), DX
	MOVQ  mask+64(FP), AX
	TESTQ AX, AX
	JNZ   storemask8
	VMOVUPD Y0, (SI)
	VMOVUPD Y1, 32(SI)
	ADDQ    DX, SI
	VMOVUPD Y2, (SI)
	VMOVUPD Y3, 32(SI)
	ADDQ    DX, SI
	VMOVUPD Y4, (SI)
	VMOVUPD Y5, 32(SI)
	ADDQ    DX, SI
	VMOVUPD Y6, (SI)
	VMOVUPD Y7, 32(SI)
	ADDQ    DX, SI
	VMOVUPD Y8, (SI)
	VMOVUPD Y9, 32(SI)
	ADDQ    DX, SI
	VMOVUPD Y10, (SI)
	VMOVUPD Y11, 32(SI)
	VZEROUPPER
	RET

storemask8:
	VMOVDQU    (AX), Y12
	VMOVDQU    32(AX), Y13
	VMASKMOVPD Y0, Y12, (SI)
	VMASKMOVPD Y1, Y13, 32(SI)
	ADDQ       DX, SI
	VMASKMOVPD Y2, Y12, (SI)
	VMASKMOVPD Y3, Y13, 32(SI)
	ADDQ       DX, SI
	VMASKMOVPD Y4, Y12, (SI)
	VMASKMOVPD Y5, Y13, 32(SI)
	ADDQ       DX, SI
	VMASKMOVPD Y6, Y12, (SI)
	VMASKMOVPD Y7, Y13, 32(SI)
	ADDQ       DX, SI
	VMASKMOVPD Y8, Y12, (SI)
	VMASKMOVPD Y9, Y13, 32(SI)
	ADDQ       DX, SI
	VMASKMOVPD Y10, Y12, (SI)
	VMASKMOVPD Y11, Y13, 32(SI)
	VZEROUPPER
	RET

#define FMA4(base, tmp, acc) \
	VBROADCASTSD (base)(AX*1), tmp; \
	VFMADD231PD  Y12, tmp, acc

#define SIX4 \
	FMA4(R8, Y14, Y0);    \
	FMA4(R9, Y15, Y1);    \
	FMA4(R10, Y14, Y2);   \
	FMA4(R11, Y15, Y3);   \
	FMA4(R12, Y14, Y4);   \
	FMA4(R13, Y15, Y5);   \
	ADDQ BX, AX;          \
	ADDQ SI, DI

#define STEP4 \
	PREFETCHT0 (DI)(DX*1); \
	VMOVUPD (DI), Y12;    \
	SIX4

#define STEP4B \
	PREFETCHT0 (DI)(DX*1); \
	VCVTPS2PD (DI), Y12;  \
	SIX4

// func kern6x4AVX2(kc int, a *float64, ars, ast int, b unsafe.Pointer, c *float64, ldc int, load int, mask *int64, bst, pf, convB int)
TEXT ·kern6x4AVX2(SB), NOSPLIT, $0-96
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), R8
	MOVQ ars+16(FP), DX
	MOVQ ast+24(FP), BX
	MOVQ b+32(FP), DI
	LEAQ (R8)(DX*1), R9
	LEAQ (R9)(DX*1), R10
	LEAQ (R10)(DX*1), R11
	LEAQ (R11)(DX*1), R12
	LEAQ (R12)(DX*1), R13
	MOVQ c+40(FP), SI
	MOVQ ldc+48(FP), DX
	MOVQ mask+64(FP), AX
	CMPQ load+56(FP), $0
	JNE  load4
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	JMP  start4

load4:
	TESTQ AX, AX
	JNZ   loadmask4
	VMOVUPD (SI), Y0
	ADDQ    DX, SI
	VMOVUPD (SI), Y1
	ADDQ    DX, SI
	VMOVUPD (SI), Y2
	ADDQ    DX, SI
	VMOVUPD (SI), Y3
	ADDQ    DX, SI
	VMOVUPD (SI), Y4
	ADDQ    DX, SI
	VMOVUPD (SI), Y5
	JMP     start4

loadmask4:
	VMOVDQU    (AX), Y12
	VMASKMOVPD (SI), Y12, Y0
	ADDQ       DX, SI
	VMASKMOVPD (SI), Y12, Y1
	ADDQ       DX, SI
	VMASKMOVPD (SI), Y12, Y2
	ADDQ       DX, SI
	VMASKMOVPD (SI), Y12, Y3
	ADDQ       DX, SI
	VMASKMOVPD (SI), Y12, Y4
	ADDQ       DX, SI
	VMASKMOVPD (SI), Y12, Y5

start4:
	XORQ AX, AX
	MOVQ bst+72(FP), SI
	MOVQ pf+80(FP), DX
	CMPQ convB+88(FP), $0
	JNE  start4b
	CMPQ CX, $4
	JL   tail4

loop4:
	PREFETCHT0 256(R8)(AX*1)
	STEP4
	STEP4
	STEP4
	STEP4
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop4

tail4:
	TESTQ CX, CX
	JZ    store4

tail4loop:
	STEP4
	DECQ CX
	JNZ  tail4loop
	JMP  store4

start4b:
	CMPQ CX, $4
	JL   tail4b

loop4b:
	PREFETCHT0 256(R8)(AX*1)
	STEP4B
	STEP4B
	STEP4B
	STEP4B
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loop4b

tail4b:
	TESTQ CX, CX
	JZ    store4

tail4bloop:
	STEP4B
	DECQ CX
	JNZ  tail4bloop

store4:
	MOVQ  c+40(FP), SI
	MOVQ  ldc+48(FP), DX
	MOVQ  mask+64(FP), AX
	TESTQ AX, AX
	JNZ   storemask4
	VMOVUPD Y0, (SI)
	ADDQ    DX, SI
	VMOVUPD Y1, (SI)
	ADDQ    DX, SI
	VMOVUPD Y2, (SI)
	ADDQ    DX, SI
	VMOVUPD Y3, (SI)
	ADDQ    DX, SI
	VMOVUPD Y4, (SI)
	ADDQ    DX, SI
	VMOVUPD Y5, (SI)
	VZEROUPPER
	RET

storemask4:
	VMOVDQU    (AX), Y12
	VMASKMOVPD Y0, Y12, (SI)
	ADDQ       DX, SI
	VMASKMOVPD Y1, Y12, (SI)
	ADDQ       DX, SI
	VMASKMOVPD Y2, Y12, (SI)
	ADDQ       DX, SI
	VMASKMOVPD Y3, Y12, (SI)
	ADDQ       DX, SI
	VMASKMOVPD Y4, Y12, (SI)
	ADDQ       DX, SI
	VMASKMOVPD Y5, Y12, (SI)
	VZEROUPPER
	RET
