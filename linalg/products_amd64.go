//go:build !purego

package linalg

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// haveAVX2FMA reports whether the AVX2+FMA3 micro-kernels of products_amd64.s
// can run on this CPU.
var haveAVX2FMA = cpu.X86.HasAVX2 && cpu.X86.HasFMA

// The float64 kernels read b as float64, or with convB ≠ 0 as float32
// widened as loaded (see products_amd64.s).
//
//go:noescape
func kern6x8AVX2(kc int, a *float64, ars, ast int, b unsafe.Pointer, c *float64, ldc int, load int, mask *int64, bst, pf, convB int)

//go:noescape
func kern6x16AVX2S(kc int, a *float32, ars, ast int, b unsafe.Pointer, c *float32, ldc int, load int, mask *int32, bst, pf, convB int)

//go:noescape
func kern6x8AVX2S(kc int, a *float32, ars, ast int, b unsafe.Pointer, c *float32, ldc int, load int, mask *int32, bst, pf, convB int)

//go:noescape
func kern6x4AVX2(kc int, a *float64, ars, ast int, b unsafe.Pointer, c *float64, ldc int, load int, mask *int64, bst, pf, convB int)

// Prefetch distances (bytes) of the b operand: ahead in a packed panel, and
// ahead along a row of A when b walks down A's rows (Aᵀ·Q).
const (
	prefetchPacked  = 512
	prefetchStrided = 128
)

// laneMasks[8-v:16-v] are the VMASKMOVPD lane masks selecting the first v of
// 8 columns, laneMasks32[16-v:32-v] the VMASKMOVPS ones of v of 16.
var (
	laneMasks   = [16]int64{-1, -1, -1, -1, -1, -1, -1, -1}
	laneMasks32 = [32]int32{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}
)

// asmKernel is an assembly micro-kernel of element type T whose edge-tile
// lane masks have type M (byte strides; see products_amd64.s).
type asmKernel[T element, M int32 | int64] func(kc int, a *T, ars, ast int, b unsafe.Pointer, c *T, ldc int, load int, mask *M, bst, pf, convB int)

// kernAVX2 is microKernel[float64] on the float64 assembly kernels (kc ≥ 1).
func kernAVX2(kc int, a []float64, ars, ast int, b []float64, bst int, c []float64, ldc int, load bool, w, valid int) {
	callAsm(kern6x8AVX2, kern6x4AVX2, laneMasks[:], kc, a, ars, ast, b, bst, c, ldc, load, w, valid)
}

// kernAVX2B is kernAVX2 with float32 b rows, widened as the kernel loads
// them (mixedKernel; kc ≥ 1).
func kernAVX2B(kc int, a []float64, ars, ast int, b []float32, bst int, c []float64, ldc int, load bool, w, valid int) {
	callAsm(kern6x8AVX2, kern6x4AVX2, laneMasks[:], kc, a, ars, ast, b, bst, c, ldc, load, w, valid)
}

// kernAVX2F32 is microKernel[float32] on the float32 assembly kernels (kc ≥ 1).
func kernAVX2F32(kc int, a []float32, ars, ast int, b []float32, bst int, c []float32, ldc int, load bool, w, valid int) {
	callAsm(kern6x16AVX2S, kern6x8AVX2S, laneMasks32[:], kc, a, ars, ast, b, bst, c, ldc, load, w, valid)
}

// callAsm runs the wide kernel (w = len(masks)/2 columns) or the narrow one
// on a tile, masking columns past valid; b may hold narrower values than a
// and c (float32 rows of a float64 kernel). The bounds checks make every
// element the kernel touches an element of a, b and c.
func callAsm[T, B element, M int32 | int64](wide, narrow asmKernel[T, M], masks []M, kc int, a []T, ars, ast int, b []B, bst int, c []T, ldc int, load bool, w, valid int) {
	_ = a[(mr-1)*ars+(kc-1)*ast]
	_ = b[(kc-1)*bst+w-1]
	_ = c[(mr-1)*ldc+valid-1]
	wideW := len(masks) / 2
	var mask *M
	if valid < w {
		mask = &masks[wideW-valid]
	}
	ld := 0
	if load {
		ld = 1
	}
	f, fb := int(unsafe.Sizeof(T(0))), int(unsafe.Sizeof(B(0)))
	convB := 0
	if fb < f {
		convB = 1
	}
	pf := prefetchPacked
	if bst != w {
		pf = prefetchStrided
	}
	kern := narrow
	if w == wideW {
		kern = wide
	}
	kern(kc, &a[0], ars*f, ast*f, unsafe.Pointer(&b[0]), &c[0], ldc*f, ld, mask, bst*fb, pf, convB)
}
