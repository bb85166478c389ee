//go:build !amd64 || purego

package decode

// No assembly kernels are built on this platform.
const (
	haveAVX2 = false
	haveF16C = false
)

func float32AVX2(dst *float64, src *byte, n int)  { panic("decode: no assembly kernel") }
func float16F16C(dst *float64, src *byte, n int)  { panic("decode: no assembly kernel") }
func bfloat16AVX2(dst *float64, src *byte, n int) { panic("decode: no assembly kernel") }

func allFiniteAVX2(x *float64, n int) bool { panic("decode: no assembly kernel") }
