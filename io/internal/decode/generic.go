package decode

import (
	"encoding/binary"
	"math"
)

// The Go conversions below step four elements at a time through constant-size
// reslices, so that the compiler drops the per-element bounds checks, and
// finish the last 0–3 elements one by one. len(src) is a multiple of len(dst)
// as the exported functions check.

func float64Go(dst []float64, src []byte) {
	le := binary.LittleEndian
	for len(dst) >= 4 && len(src) >= 32 {
		d, s := dst[:4:4], src[:32:32]
		d[0] = math.Float64frombits(le.Uint64(s[0:]))
		d[1] = math.Float64frombits(le.Uint64(s[8:]))
		d[2] = math.Float64frombits(le.Uint64(s[16:]))
		d[3] = math.Float64frombits(le.Uint64(s[24:]))
		dst, src = dst[4:], src[32:]
	}
	for i := range dst {
		dst[i] = math.Float64frombits(le.Uint64(src[8*i:]))
	}
}

func float32Go(dst []float64, src []byte) {
	le := binary.LittleEndian
	for len(dst) >= 4 && len(src) >= 16 {
		d, s := dst[:4:4], src[:16:16]
		d[0] = float64(math.Float32frombits(le.Uint32(s[0:])))
		d[1] = float64(math.Float32frombits(le.Uint32(s[4:])))
		d[2] = float64(math.Float32frombits(le.Uint32(s[8:])))
		d[3] = float64(math.Float32frombits(le.Uint32(s[12:])))
		dst, src = dst[4:], src[16:]
	}
	for i := range dst {
		dst[i] = float64(math.Float32frombits(le.Uint32(src[4*i:])))
	}
}

func bfloat16Go(dst []float64, src []byte) {
	le := binary.LittleEndian
	for len(dst) >= 4 && len(src) >= 8 {
		d, s := dst[:4:4], src[:8:8]
		d[0] = float64(math.Float32frombits(uint32(le.Uint16(s[0:])) << 16))
		d[1] = float64(math.Float32frombits(uint32(le.Uint16(s[2:])) << 16))
		d[2] = float64(math.Float32frombits(uint32(le.Uint16(s[4:])) << 16))
		d[3] = float64(math.Float32frombits(uint32(le.Uint16(s[6:])) << 16))
		dst, src = dst[4:], src[8:]
	}
	for i := range dst {
		dst[i] = float64(math.Float32frombits(uint32(le.Uint16(src[2*i:])) << 16))
	}
}

// float16Go takes four elements at a time through the branch for normal
// numbers, and any group holding another kind of number through halfToFloat64.
func float16Go(dst []float64, src []byte) {
	le := binary.LittleEndian
	for len(dst) >= 4 && len(src) >= 8 {
		d, s := dst[:4:4], src[:8:8]
		h0, h1, h2, h3 := le.Uint16(s[0:]), le.Uint16(s[2:]), le.Uint16(s[4:]), le.Uint16(s[6:])
		if halfIsNormal(h0) && halfIsNormal(h1) && halfIsNormal(h2) && halfIsNormal(h3) {
			d[0] = halfNormal(h0)
			d[1] = halfNormal(h1)
			d[2] = halfNormal(h2)
			d[3] = halfNormal(h3)
		} else {
			d[0] = halfToFloat64(h0)
			d[1] = halfToFloat64(h1)
			d[2] = halfToFloat64(h2)
			d[3] = halfToFloat64(h3)
		}
		dst, src = dst[4:], src[8:]
	}
	for i := range dst {
		dst[i] = halfToFloat64(le.Uint16(src[2*i:]))
	}
}

// halfIsNormal reports whether the binary16 value h is a normal number, of
// biased exponent 1 ≤ e ≤ 30.
func halfIsNormal(h uint16) bool { return h&0x7fff-0x400 < 0x7c00-0x400 }

// halfNormal converts a normal binary16 number exactly. Its magnitude bits
// m = e<<10 | f shifted left by 42 place e and f in the exponent and
// fraction fields of a float64 with biased exponent e; adding (1023−15)<<52
// rebiases the exponent.
func halfNormal(h uint16) float64 {
	return math.Float64frombits(uint64(h&0x8000)<<48 | (uint64(h&0x7fff)<<42 + (1023-15)<<52))
}

// halfToFloat64 is half.ToFloat64 by bit manipulation: zeros and subnormals
// (biased exponent 0) are f·2^−24, exactly; exponent 31 gives ±∞ or, for
// every NaN, math.NaN().
func halfToFloat64(h uint16) float64 {
	m := uint64(h & 0x7fff)
	sign := uint64(h&0x8000) << 48
	switch {
	case halfIsNormal(h):
		return halfNormal(h)
	case m < 0x400:
		return math.Float64frombits(sign | math.Float64bits(float64(m)*0x1p-24))
	case m == 0x7c00:
		return math.Float64frombits(sign | 0x7ff0<<48)
	}
	return math.NaN()
}
