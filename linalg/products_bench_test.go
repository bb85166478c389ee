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

// productImpls are the implementations compared by the product benchmarks:
// the default (assembly when available), the pure-Go kernel, and gonum's Mul.
var productImpls = []string{"lowdim", "lowdim-purego", "gonum"}

// benchProduct runs one product per iteration and reports GFLOP/s (2·m·n·l
// flops per product).
func benchProduct(b *testing.B, impl string, m, n, l int, f, gonum func()) {
	switch impl {
	case "lowdim-purego":
		saved := useAsm
		useAsm = false
		defer func() { useAsm = saved }()
	case "gonum":
		f = gonum
	}
	f()
	b.ResetTimer()
	for range b.N {
		f()
	}
	b.ReportMetric(2*float64(m)*float64(n)*float64(l)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkMulTallSkinny times dst = A·B, A m×n, B n×l.
func BenchmarkMulTallSkinny(b *testing.B) {
	for _, s := range productBenchShapes {
		m, n, l := s[0], s[1], s[2]
		rnd := rand.New(rand.NewPCG(1, 2))
		a, x := benchDense(rnd, m, n), benchDense(rnd, n, l)
		dst := mat.NewDense(m, l, nil)
		for _, impl := range productImpls {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, l, impl), func(b *testing.B) {
				benchProduct(b, impl, m, n, l,
					func() { MulTallSkinny(dst, a, x) },
					func() { dst.Mul(a, x) })
			})
		}
	}
}

// BenchmarkMulTransTallSkinny times dst = Aᵀ·Q, A m×n, Q m×l.
func BenchmarkMulTransTallSkinny(b *testing.B) {
	for _, s := range productBenchShapes {
		m, n, l := s[0], s[1], s[2]
		rnd := rand.New(rand.NewPCG(1, 2))
		a, q := benchDense(rnd, m, n), benchDense(rnd, m, l)
		dst := mat.NewDense(n, l, nil)
		for _, impl := range productImpls {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, l, impl), func(b *testing.B) {
				benchProduct(b, impl, m, n, l,
					func() { MulTransTallSkinny(dst, a, q) },
					func() { dst.Mul(a.T(), q) })
			})
		}
	}
}

// BenchmarkMulGram times dst = AᵀA, A m×n, counting the m·n² flops of the
// half it computes (m·n·(n+1) would be the full product's 2·m·n²/2).
func BenchmarkMulGram(b *testing.B) {
	for _, s := range [][2]int{{4096, 512}, {4096, 256}, {2048, 1024}} {
		m, n := s[0], s[1]
		a := benchDense(rand.New(rand.NewPCG(1, 2)), m, n)
		dst := mat.NewDense(n, n, nil)
		for _, impl := range productImpls {
			b.Run(fmt.Sprintf("%dx%d/%s", m, n, impl), func(b *testing.B) {
				benchProduct(b, impl, m, n, n/2,
					func() { MulGram(dst, a) },
					func() { dst.Mul(a.T(), a) })
			})
		}
	}
}
