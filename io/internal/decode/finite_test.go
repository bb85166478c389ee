package decode

import (
	"fmt"
	"math"
	"testing"
)

// TestAllFinite puts one NaN, +Inf or −Inf at every position of slices of
// every length up to 100 (and at the ends of longer ones), at every offset
// into the backing array; finite extremes (±MaxFloat64, the smallest
// subnormal, −0) never count.
func TestAllFinite(t *testing.T) {
	paths(t, func(t *testing.T) {
		finite := []float64{1, -0.0, math.MaxFloat64, -math.MaxFloat64, math.SmallestNonzeroFloat64, 1e-300}
		bad := []float64{math.NaN(), math.Inf(1), math.Inf(-1), math.Float64frombits(0x7ff0000000000001)}
		backing := make([]float64, 300)
		for off := range 3 {
			for _, n := range append(rangeTo(100), 127, 128, 129, 255) {
				x := backing[off : off+n]
				for i := range x {
					x[i] = finite[i%len(finite)]
				}
				if !AllFinite(x) {
					t.Fatalf("len %d offset %d: finite values reported non-finite", n, off)
				}
				for i := range x {
					for _, b := range bad {
						saved := x[i]
						x[i] = b
						if AllFinite(x) {
							t.Fatalf("len %d offset %d: %v at %d not found", n, off, b, i)
						}
						x[i] = saved
					}
				}
				if off+n < len(backing) {
					backing[off+n] = math.NaN() // a neighbour outside x is not read
					if !AllFinite(x) {
						t.Fatalf("len %d offset %d: read past the end", n, off)
					}
					backing[off+n] = 0
				}
			}
		}
	})
}

func rangeTo(n int) []int {
	r := make([]int, n+1)
	for i := range r {
		r[i] = i
	}
	return r
}

func BenchmarkAllFinite(b *testing.B) {
	for _, n := range []int{8 << 10, 1 << 20} { // 64 KiB and 8 MiB of float64
		x := make([]float64, n)
		b.Run(fmt.Sprintf("%dKiB", n/128), func(b *testing.B) {
			b.SetBytes(int64(8 * n))
			for b.Loop() {
				if !AllFinite(x) {
					b.Fatal("not finite")
				}
			}
		})
	}
}

// TestAllFinite32: a NaN or ±Inf anywhere (head, the 4-wide loop, the
// tail) is found; finite values, the largest included, pass.
func TestAllFinite32(t *testing.T) {
	for n := range 11 {
		x := make([]float32, n)
		for i := range x {
			x[i] = math.MaxFloat32 * float32(1-2*(i%2))
		}
		if !AllFinite32(x) {
			t.Fatalf("n %d: finite values refused", n)
		}
		for i := range x {
			for _, bad := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
				y := append([]float32(nil), x...)
				y[i] = bad
				if AllFinite32(y) {
					t.Fatalf("n %d: %g at %d passed", n, bad, i)
				}
			}
		}
	}
}
