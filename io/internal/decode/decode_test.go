package decode

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lowdim/lowdim/io/internal/half"
)

// paths runs f once per available conversion path: the assembly kernels (when
// the CPU has AVX2) and the pure Go code, including the byte-order-independent
// Float64LE loop.
func paths(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	savedAsm, savedF16C, savedLE := useAsm, useF16C, hostLE
	defer func() { useAsm, useF16C, hostLE = savedAsm, savedF16C, savedLE }()
	if haveAVX2 {
		useAsm, useF16C = true, haveF16C
		t.Run("asm", f)
	}
	useAsm, useF16C, hostLE = false, false, false
	t.Run("go", f)
}

// conversion is one exported function with its element size and a scalar
// reference for one element.
type conversion struct {
	name string
	size int
	fn   func(dst []float64, src []byte)
	ref  func(b []byte) float64
}

var le = binary.LittleEndian

var conversions = []conversion{
	{"Float64LE", 8, Float64LE, func(b []byte) float64 { return math.Float64frombits(le.Uint64(b)) }},
	{"Float32LE", 4, Float32LE, func(b []byte) float64 { return float64(math.Float32frombits(le.Uint32(b))) }},
	{"Float16LE", 2, Float16LE, func(b []byte) float64 { return half.ToFloat64(le.Uint16(b)) }},
	{"BFloat16LE", 2, BFloat16LE, func(b []byte) float64 { return float64(math.Float32frombits(uint32(le.Uint16(b)) << 16)) }},
}

// check converts src with c and compares every element bit for bit with the
// reference, and checks that dst's neighbours in memory are left alone.
func check(t *testing.T, c conversion, src []byte, what string) {
	t.Helper()
	n := len(src) / c.size
	const sentinel = 12345.5
	buf := make([]float64, n+2)
	for i := range buf {
		buf[i] = sentinel
	}
	c.fn(buf[1:n+1], src)
	if buf[0] != sentinel || buf[n+1] != sentinel {
		t.Fatalf("%s %s: wrote outside dst", c.name, what)
	}
	for i, got := range buf[1 : n+1] {
		b := src[i*c.size : (i+1)*c.size]
		if want := c.ref(b); math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%s %s: element %d of %d (bytes % x) = %v (%#016x), want %v (%#016x)",
				c.name, what, i, n, b, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	}
}

// TestRandomBytes converts random bit patterns (NaNs, infinities and
// subnormals included) of every length up to 100 and some longer ones, from
// source offsets 0–3 so that loads are unaligned.
func TestRandomBytes(t *testing.T) {
	paths(t, func(t *testing.T) {
		rnd := rand.New(rand.NewPCG(1, 2))
		lengths := []int{127, 128, 129, 255, 1000, 1024 + 31, 4099}
		for n := 0; n <= 100; n++ {
			lengths = append(lengths, n)
		}
		for _, c := range conversions {
			for _, n := range lengths {
				raw := make([]byte, n*c.size+3)
				for i := range raw {
					raw[i] = byte(rnd.Uint32())
				}
				for off := 0; off < 4; off++ {
					check(t, c, raw[off:off+n*c.size], fmt.Sprintf("n=%d off=%d", n, off))
				}
			}
		}
	})
}

// TestAll16 converts every one of the 65536 float16 and bfloat16 patterns,
// in order and reversed (so each pattern lands in a different vector lane),
// and in a length that leaves a tail for Go.
func TestAll16(t *testing.T) {
	src := make([]byte, 2*65536)
	rev := make([]byte, 2*65536)
	for h := range 65536 {
		le.PutUint16(src[2*h:], uint16(h))
		le.PutUint16(rev[2*(65535-h):], uint16(h))
	}
	paths(t, func(t *testing.T) {
		for _, c := range conversions[2:] {
			check(t, c, src, "all patterns")
			check(t, c, rev, "all patterns reversed")
			check(t, c, src[2:2+2*65531], "65531 patterns from 1")
		}
	})
}

// TestFloat32Specials converts the float32 edge cases — signed zeros,
// subnormals, the extreme normals, infinities, quiet and signalling NaNs of
// either sign with assorted payloads — in every lane position.
func TestFloat32Specials(t *testing.T) {
	specials := []uint32{
		0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000, 0x7f7fffff,
		0xff7fffff, 0x3f800000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
		0x7f800001, 0xff800001, 0x7fbfffff, 0x7fc00001, 0xffffffff, 0x7fd55555,
	}
	f64specials := []uint64{
		0, 1 << 63, 1, 0x000fffffffffffff, 0x7ff0000000000000, 0xfff0000000000000,
		0x7ff0000000000001, 0x7ff8000000000001, 0xfff7ffffffffffff, 0x7fefffffffffffff,
	}
	paths(t, func(t *testing.T) {
		for shift := range 2 * float32Width {
			n := 2*float32Width + 7
			s32 := make([]byte, 4*n)
			s64 := make([]byte, 8*n)
			for i := range n {
				le.PutUint32(s32[4*i:], specials[(i+shift)%len(specials)])
				le.PutUint64(s64[8*i:], f64specials[(i+shift)%len(f64specials)])
			}
			check(t, conversions[1], s32, fmt.Sprintf("specials shifted %d", shift))
			check(t, conversions[0], s64, fmt.Sprintf("specials shifted %d", shift))
		}
	})
}

// TestFloat16Values checks Float16LE against values worked out by hand,
// independently of half.ToFloat64.
func TestFloat16Values(t *testing.T) {
	cases := []struct {
		h    uint16
		want float64
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x3555, 0.333251953125}, {0x7bff, 65504},
		{0xfbff, -65504}, {0x0001, 0x1p-24}, {0x8001, -0x1p-24}, {0x03ff, 1023 * 0x1p-24},
		{0x0400, 0x1p-14}, {0x7c00, math.Inf(1)}, {0xfc00, math.Inf(-1)},
	}
	paths(t, func(t *testing.T) {
		src := make([]byte, 2*16*len(cases))
		for i := range 16 * len(cases) {
			le.PutUint16(src[2*i:], cases[i%len(cases)].h)
		}
		dst := make([]float64, len(src)/2)
		Float16LE(dst, src)
		for i, got := range dst {
			if want := cases[i%len(cases)].want; got != want {
				t.Fatalf("element %d: Float16LE(%#04x) = %v, want %v", i, cases[i%len(cases)].h, got, want)
			}
		}
	})
}

func TestLengthMismatchPanics(t *testing.T) {
	for _, c := range conversions {
		for _, n := range []int{0, 1, 40} {
			for _, extra := range []int{-1, 1} {
				if n == 0 && extra < 0 {
					continue
				}
				func() {
					defer func() {
						if recover() == nil {
							t.Errorf("%s with %d elements and %d bytes did not panic", c.name, n, n*c.size+extra)
						}
					}()
					c.fn(make([]float64, n), make([]byte, n*c.size+extra))
				}()
			}
		}
	}
}
