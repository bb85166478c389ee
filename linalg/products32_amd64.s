//go:build !purego

#include "textflag.h"

// The float32 micro-kernels of MulTallSkinny32 and MulTransTallSkinny32:
// products_amd64.s's kernels with 8 float32 lanes per register instead of 4
// float64, so a tile is 6×16 (or 6×8) and a step 96 multiply-adds. Same
// arguments in the same registers; mask points to 32-bit lane masks; convB
// is ignored (b is float32 like a and c).

// FMA16S broadcasts a[r·ars + t·ast] (row base register, byte offset AX)
// and multiply-adds it with the b row in Y12:Y13 into two accumulators.
// STEP16S is one step t: load b row t, six FMA16S, advance a and b. Every
// four steps, a + t·ast + 256 bytes (first broadcast row) is prefetched too
// (the stream of A's row in A·B).
#define FMA16S(base, tmp, acc0, acc1) \
	VBROADCASTSS (base)(AX*1), tmp; \
	VFMADD231PS  Y12, tmp, acc0;    \
	VFMADD231PS  Y13, tmp, acc1

#define STEP16S \
	PREFETCHT0 (DI)(DX*1);     \
	VMOVUPS (DI), Y12;         \
	VMOVUPS 32(DI), Y13;       \
	FMA16S(R8, Y14, Y0, Y1);     \
	FMA16S(R9, Y15, Y2, Y3);     \
	FMA16S(R10, Y14, Y4, Y5);    \
	FMA16S(R11, Y15, Y6, Y7);    \
	FMA16S(R12, Y14, Y8, Y9);    \
	FMA16S(R13, Y15, Y10, Y11);  \
	ADDQ BX, AX;               \
	ADDQ SI, DI

// func kern6x16AVX2S(kc int, a *float32, ars, ast int, b unsafe.Pointer, c *float32, ldc int, load int, mask *int32, bst, pf, convB int)
TEXT ·kern6x16AVX2S(SB), NOSPLIT, $0-96
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
	JNE  loadS16
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	JMP  startS16

loadS16:
	TESTQ AX, AX
	JNZ   loadmaskS16
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	ADDQ    DX, SI
	VMOVUPS (SI), Y2
	VMOVUPS 32(SI), Y3
	ADDQ    DX, SI
	VMOVUPS (SI), Y4
	VMOVUPS 32(SI), Y5
	ADDQ    DX, SI
	VMOVUPS (SI), Y6
	VMOVUPS 32(SI), Y7
	ADDQ    DX, SI
	VMOVUPS (SI), Y8
	VMOVUPS 32(SI), Y9
	ADDQ    DX, SI
	VMOVUPS (SI), Y10
	VMOVUPS 32(SI), Y11
	JMP     startS16

loadmaskS16:
	VMOVDQU    (AX), Y12
	VMOVDQU    32(AX), Y13
	VMASKMOVPS (SI), Y12, Y0
	VMASKMOVPS 32(SI), Y13, Y1
	ADDQ       DX, SI
	VMASKMOVPS (SI), Y12, Y2
	VMASKMOVPS 32(SI), Y13, Y3
	ADDQ       DX, SI
	VMASKMOVPS (SI), Y12, Y4
	VMASKMOVPS 32(SI), Y13, Y5
	ADDQ       DX, SI
	VMASKMOVPS (SI), Y12, Y6
	VMASKMOVPS 32(SI), Y13, Y7
	ADDQ       DX, SI
	VMASKMOVPS (SI), Y12, Y8
	VMASKMOVPS 32(SI), Y13, Y9
	ADDQ       DX, SI
	VMASKMOVPS (SI), Y12, Y10
	VMASKMOVPS 32(SI), Y13, Y11

startS16:
	XORQ AX, AX
	MOVQ bst+72(FP), SI
	MOVQ pf+80(FP), DX
	CMPQ CX, $4
	JL   tailS16

loopS16:
	PREFETCHT0 256(R8)(AX*1)
	STEP16S
	STEP16S
	STEP16S
	STEP16S
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loopS16

tailS16:
	TESTQ CX, CX
	JZ    storeS16

tailS16loop:
	STEP16S
	DECQ CX
	JNZ  tailS16loop

storeS16:
	MOVQ  c+40(FP), SI
	MOVQ  ldc+48(FP), DX
	MOVQ  mask+64(FP), AX
	TESTQ AX, AX
	JNZ   storemaskS16
	VMOVUPS Y0, (SI)
	VMOVUPS Y1, 32(SI)
	ADDQ    DX, SI
	VMOVUPS Y2, (SI)
	VMOVUPS Y3, 32(SI)
	ADDQ    DX, SI
	VMOVUPS Y4, (SI)
	VMOVUPS Y5, 32(SI)
	ADDQ    DX, SI
	VMOVUPS Y6, (SI)
	VMOVUPS Y7, 32(SI)
	ADDQ    DX, SI
	VMOVUPS Y8, (SI)
	VMOVUPS Y9, 32(SI)
	ADDQ    DX, SI
	VMOVUPS Y10, (SI)
	VMOVUPS Y11, 32(SI)
	VZEROUPPER
	RET

storemaskS16:
	VMOVDQU    (AX), Y12
	VMOVDQU    32(AX), Y13
	VMASKMOVPS Y0, Y12, (SI)
	VMASKMOVPS Y1, Y13, 32(SI)
	ADDQ       DX, SI
	VMASKMOVPS Y2, Y12, (SI)
	VMASKMOVPS Y3, Y13, 32(SI)
	ADDQ       DX, SI
	VMASKMOVPS Y4, Y12, (SI)
	VMASKMOVPS Y5, Y13, 32(SI)
	ADDQ       DX, SI
	VMASKMOVPS Y6, Y12, (SI)
	VMASKMOVPS Y7, Y13, 32(SI)
	ADDQ       DX, SI
	VMASKMOVPS Y8, Y12, (SI)
	VMASKMOVPS Y9, Y13, 32(SI)
	ADDQ       DX, SI
	VMASKMOVPS Y10, Y12, (SI)
	VMASKMOVPS Y11, Y13, 32(SI)
	VZEROUPPER
	RET

#define FMA8S(base, tmp, acc) \
	VBROADCASTSS (base)(AX*1), tmp; \
	VFMADD231PS  Y12, tmp, acc

#define STEP8S \
	PREFETCHT0 (DI)(DX*1); \
	VMOVUPS (DI), Y12;    \
	FMA8S(R8, Y14, Y0);    \
	FMA8S(R9, Y15, Y1);    \
	FMA8S(R10, Y14, Y2);   \
	FMA8S(R11, Y15, Y3);   \
	FMA8S(R12, Y14, Y4);   \
	FMA8S(R13, Y15, Y5);   \
	ADDQ BX, AX;          \
	ADDQ SI, DI

// func kern6x8AVX2S(kc int, a *float32, ars, ast int, b unsafe.Pointer, c *float32, ldc int, load int, mask *int32, bst, pf, convB int)
TEXT ·kern6x8AVX2S(SB), NOSPLIT, $0-96
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
	JNE  loadS8
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	JMP  startS8

loadS8:
	TESTQ AX, AX
	JNZ   loadmaskS8
	VMOVUPS (SI), Y0
	ADDQ    DX, SI
	VMOVUPS (SI), Y1
	ADDQ    DX, SI
	VMOVUPS (SI), Y2
	ADDQ    DX, SI
	VMOVUPS (SI), Y3
	ADDQ    DX, SI
	VMOVUPS (SI), Y4
	ADDQ    DX, SI
	VMOVUPS (SI), Y5
	JMP     startS8

loadmaskS8:
	VMOVDQU    (AX), Y12
	VMASKMOVPS (SI), Y12, Y0
	ADDQ       DX, SI
	VMASKMOVPS (SI), Y12, Y1
	ADDQ       DX, SI
	VMASKMOVPS (SI), Y12, Y2
	ADDQ       DX, SI
	VMASKMOVPS (SI), Y12, Y3
	ADDQ       DX, SI
	VMASKMOVPS (SI), Y12, Y4
	ADDQ       DX, SI
	VMASKMOVPS (SI), Y12, Y5

startS8:
	XORQ AX, AX
	MOVQ bst+72(FP), SI
	MOVQ pf+80(FP), DX
	CMPQ CX, $4
	JL   tailS8

loopS8:
	PREFETCHT0 256(R8)(AX*1)
	STEP8S
	STEP8S
	STEP8S
	STEP8S
	SUBQ $4, CX
	CMPQ CX, $4
	JGE  loopS8

tailS8:
	TESTQ CX, CX
	JZ    storeS8

tailS8loop:
	STEP8S
	DECQ CX
	JNZ  tailS8loop

storeS8:
	MOVQ  c+40(FP), SI
	MOVQ  ldc+48(FP), DX
	MOVQ  mask+64(FP), AX
	TESTQ AX, AX
	JNZ   storemaskS8
	VMOVUPS Y0, (SI)
	ADDQ    DX, SI
	VMOVUPS Y1, (SI)
	ADDQ    DX, SI
	VMOVUPS Y2, (SI)
	ADDQ    DX, SI
	VMOVUPS Y3, (SI)
	ADDQ    DX, SI
	VMOVUPS Y4, (SI)
	ADDQ    DX, SI
	VMOVUPS Y5, (SI)
	VZEROUPPER
	RET

storemaskS8:
	VMOVDQU    (AX), Y12
	VMASKMOVPS Y0, Y12, (SI)
	ADDQ       DX, SI
	VMASKMOVPS Y1, Y12, (SI)
	ADDQ       DX, SI
	VMASKMOVPS Y2, Y12, (SI)
	ADDQ       DX, SI
	VMASKMOVPS Y3, Y12, (SI)
	ADDQ       DX, SI
	VMASKMOVPS Y4, Y12, (SI)
	ADDQ       DX, SI
	VMASKMOVPS Y5, Y12, (SI)
	VZEROUPPER
	RET
