package half

import (
	"math"
	"testing"
)

func TestToFloat64(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want float64
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x3555, 0.333251953125},
		{0x7bff, 65504}, {0x0001, math.Ldexp(1, -24)}, {0x03ff, 1023 * math.Ldexp(1, -24)},
		{0x0400, math.Ldexp(1, -14)}, {0x7c00, math.Inf(1)}, {0xfc00, math.Inf(-1)},
	} {
		if got := ToFloat64(c.h); got != c.want {
			t.Errorf("ToFloat64(%#04x) = %v, want %v", c.h, got, c.want)
		}
	}
	if got := ToFloat64(0x8000); got != 0 || !math.Signbit(got) {
		t.Errorf("ToFloat64(0x8000) = %v, want -0", got)
	}
	if got := ToFloat64(0x7e00); !math.IsNaN(got) {
		t.Errorf("ToFloat64(0x7e00) = %v, want NaN", got)
	}
	// Monotone over the positive finite values.
	for h := uint16(1); h < 0x7c00; h++ {
		if !(ToFloat64(h) > ToFloat64(h-1)) {
			t.Fatalf("halfToFloat64 not increasing at %#04x", h)
		}
	}
}
