package decode

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkFloat64LE etc. convert a cache-resident 64 KiB source and a 4 MiB
// one (whose float64 destination, 8–32 MiB, exceeds the caches); the reported
// MB/s count source bytes.
func BenchmarkFloat64LE(b *testing.B)  { benchConversion(b, conversions[0]) }
func BenchmarkFloat32LE(b *testing.B)  { benchConversion(b, conversions[1]) }
func BenchmarkFloat16LE(b *testing.B)  { benchConversion(b, conversions[2]) }
func BenchmarkBFloat16LE(b *testing.B) { benchConversion(b, conversions[3]) }

func benchConversion(b *testing.B, c conversion) {
	rnd := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{64 << 10, 4 << 20} {
		src := make([]byte, size)
		for i := range src {
			src[i] = byte(rnd.Uint32())
		}
		// Keep the values finite and mostly normal: exponent bytes in range.
		for i := c.size - 1; i < size; i += c.size {
			src[i] = 0x3c + src[i]&0x3
		}
		dst := make([]float64, size/c.size)
		for _, path := range []string{"asm", "go"} {
			if path == "asm" && !haveAVX2 || path == "go" && c.size == 8 {
				continue // Float64LE is a copy on either path
			}
			b.Run(fmt.Sprintf("%dKiB/%s", size>>10, path), func(b *testing.B) {
				savedAsm, savedF16C := useAsm, useF16C
				defer func() { useAsm, useF16C = savedAsm, savedF16C }()
				useAsm, useF16C = path == "asm", path == "asm" && haveF16C
				b.SetBytes(int64(size))
				for b.Loop() {
					c.fn(dst, src)
				}
			})
		}
	}
}
