// Package decode converts little-endian IEEE 754 floating-point data, as
// stored by the npy and safetensors formats, to float64.
//
// Every conversion is exact: float32, float16 and bfloat16 values are all
// representable in float64. On amd64 with AVX2 the conversions run in
// assembly (VCVTPS2PD; F16C's VCVTPH2PS for float16); elsewhere, and for the
// last few elements of a slice, they run in Go. Both give bit-identical results.
package decode

import (
	"encoding/binary"
	"fmt"
	"unsafe"
)

// useAsm selects the AVX2 kernels (and useF16C the F16C float16 kernel);
// tests clear them to exercise the Go code.
var (
	useAsm  = haveAVX2
	useF16C = haveAVX2 && haveF16C
)

// hostLE reports whether the host stores multi-byte values little-endian, so
// that Float64LE can copy bytes.
var hostLE = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Widths of the assembly kernels' main loops, in elements: they convert
// len(dst) &^ (width-1) elements and Go converts the rest.
const (
	float32Width = 32
	halfWidth    = 16
)

func checkLen(name string, dst []float64, src []byte, size int) {
	if len(src) != size*len(dst) {
		panic(fmt.Sprintf("decode: %s: len(src) = %d, want %d·len(dst) = %d", name, len(src), size, size*len(dst)))
	}
}

// Float64LE stores in dst[i] the float64 whose IEEE 754 binary64 encoding is
// the little-endian bytes src[8i:8i+8]. On little-endian hosts it is a copy,
// so NaN payloads are kept.
//
// Float64LE panics if len(src) != 8·len(dst).
func Float64LE(dst []float64, src []byte) {
	checkLen("Float64LE", dst, src, 8)
	if len(dst) == 0 {
		return
	}
	if hostLE {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&dst[0])), len(src)), src)
		return
	}
	float64Go(dst, src)
}

// Float32LE stores in dst[i] the value of the IEEE 754 binary32 number whose
// little-endian encoding is src[4i:4i+4], converted exactly to float64 as
// float64(math.Float32frombits(u)) does (a NaN stays a NaN with its sign and
// payload; a signalling NaN is made quiet).
//
// Float32LE panics if len(src) != 4·len(dst).
func Float32LE(dst []float64, src []byte) {
	checkLen("Float32LE", dst, src, 4)
	n := 0
	if useAsm && len(dst) >= float32Width {
		n = len(dst) &^ (float32Width - 1)
		float32AVX2(&dst[0], &src[0], n)
	}
	float32Go(dst[n:], src[4*n:])
}

// Float16LE stores in dst[i] the value of the IEEE 754 binary16 number whose
// little-endian encoding is src[2i:2i+2], converted exactly to float64:
// (−1)^s · 2^(e−15) · (1 + f/1024) for a biased exponent 1 ≤ e ≤ 30,
// (−1)^s · f · 2^−24 for e = 0 (zeros and subnormals), (−1)^s · ∞ for e = 31
// and f = 0. Every NaN becomes math.NaN(), dropping its sign and payload,
// as half.ToFloat64 does.
//
// Float16LE panics if len(src) != 2·len(dst).
func Float16LE(dst []float64, src []byte) {
	checkLen("Float16LE", dst, src, 2)
	n := 0
	if useF16C && len(dst) >= halfWidth {
		n = len(dst) &^ (halfWidth - 1)
		float16F16C(&dst[0], &src[0], n)
	}
	float16Go(dst[n:], src[2*n:])
}

// BFloat16LE stores in dst[i] the value of the bfloat16 number whose
// little-endian encoding is src[2i:2i+2], converted exactly to float64. A
// bfloat16 with bits b is the float32 with bits b<<16, so the result is
// float64(math.Float32frombits(uint32(b) << 16)) (NaNs keep sign and payload
// and become quiet, as in Float32LE).
//
// BFloat16LE panics if len(src) != 2·len(dst).
func BFloat16LE(dst []float64, src []byte) {
	checkLen("BFloat16LE", dst, src, 2)
	n := 0
	if useAsm && len(dst) >= halfWidth {
		n = len(dst) &^ (halfWidth - 1)
		bfloat16AVX2(&dst[0], &src[0], n)
	}
	bfloat16Go(dst[n:], src[2*n:])
}
