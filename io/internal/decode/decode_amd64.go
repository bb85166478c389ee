//go:build !purego

package decode

import "golang.org/x/sys/cpu"

// haveAVX2 reports whether the CPU (and OS) support AVX2; haveF16C whether
// the CPU has the F16C half-precision conversions (CPUID.1:ECX bit 29),
// which x/sys/cpu does not report.
var (
	haveAVX2 = cpu.X86.HasAVX2
	haveF16C = cpu.X86.HasAVX && cpuid1ECX()&(1<<29) != 0
)

// cpuid1ECX returns ECX of CPUID leaf 1.
func cpuid1ECX() uint32

// float32AVX2 converts the n float32 values at src (n a multiple of 32) to
// float64 at dst.
//
//go:noescape
func float32AVX2(dst *float64, src *byte, n int)

// float16F16C converts the n binary16 values at src (n a multiple of 16) to
// float64 at dst, every NaN to math.NaN().
//
//go:noescape
func float16F16C(dst *float64, src *byte, n int)

// bfloat16AVX2 converts the n bfloat16 values at src (n a multiple of 16) to
// float64 at dst.
//
//go:noescape
func bfloat16AVX2(dst *float64, src *byte, n int)

// allFiniteAVX2 reports whether the n float64 at x (n a multiple of 16) are
// all finite.
//
//go:noescape
func allFiniteAVX2(x *float64, n int) bool
