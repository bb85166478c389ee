package linalg

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// productBenchShapes are the (m, n, l) shapes of the products of a randomized
// SVD with K = 20, p = 10 on the benchmark matrices of docs/BENCHMARKS.md.
var productBenchShapes = [][3]int{
	{20000, 1000, 30},
	{100000, 512, 30},
}

func benchDense(rnd *rand.Rand, r, c int) *mat.Dense {
	data := make([]float64, r*c)
	for i := range data {
		data[i] = rnd.NormFloat64()
	}
	return mat.NewDense(r, c, data)
}

// BenchmarkMulTallSkinny reports GFLOP/s (2·m·n·l flops per product) of dst = A·B.
func BenchmarkMulTallSkinny(b *testing.B) {
	for _, s := range productBenchShapes {
		m, n, l := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, l), func(b *testing.B) {
			rnd := rand.New(rand.NewPCG(1, 2))
			a := benchDense(rnd, m, n)
			x := benchDense(rnd, n, l)
			dst := mat.NewDense(m, l, nil)
			b.ResetTimer()
			for range b.N {
				MulTallSkinny(dst, a, x)
			}
			b.ReportMetric(2*float64(m)*float64(n)*float64(l)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkMulTransTallSkinny reports GFLOP/s (2·m·n·l flops per product) of dst = Aᵀ·Q.
func BenchmarkMulTransTallSkinny(b *testing.B) {
	for _, s := range productBenchShapes {
		m, n, l := s[0], s[1], s[2]
		b.Run(fmt.Sprintf("%dx%dx%d", m, n, l), func(b *testing.B) {
			rnd := rand.New(rand.NewPCG(1, 2))
			a := benchDense(rnd, m, n)
			q := benchDense(rnd, m, l)
			dst := mat.NewDense(n, l, nil)
			b.ResetTimer()
			for range b.N {
				MulTransTallSkinny(dst, a, q)
			}
			b.ReportMetric(2*float64(m)*float64(n)*float64(l)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}
