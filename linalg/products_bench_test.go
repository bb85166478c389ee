package linalg

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
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

// BenchmarkProducts32 times the float32 products A·B and Aᵀ·Q beside the
// float64 ones on the same shape (a wide shard of the spectrum's passes).
func BenchmarkProducts32(b *testing.B) {
	const m, n, l = 4000, 4096, 30
	rnd := rand.New(rand.NewPCG(1, 2))
	a64, x64, q64 := benchDense(rnd, m, n), benchDense(rnd, n, l), benchDense(rnd, m, l)
	to32 := func(d *mat.Dense) blas32.General {
		raw := d.RawMatrix()
		g := blas32.General{Rows: raw.Rows, Cols: raw.Cols, Stride: raw.Cols, Data: make([]float32, len(raw.Data))}
		for i, v := range raw.Data {
			g.Data[i] = float32(v)
		}
		return g
	}
	a, x, q := to32(a64), to32(x64), to32(q64)
	ab := blas32.General{Rows: m, Cols: l, Stride: l, Data: make([]float32, m*l)}
	atq := blas32.General{Rows: n, Cols: l, Stride: l, Data: make([]float32, n*l)}
	ab64, atq64 := mat.NewDense(m, l, nil), mat.NewDense(n, l, nil)
	flops := func(b *testing.B) {
		b.ReportMetric(2*float64(m)*float64(n)*float64(l)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
	b.Run("AB/float32", func(b *testing.B) {
		for b.Loop() {
			MulTallSkinny32(ab, a, x)
		}
		flops(b)
	})
	b.Run("AB/float64", func(b *testing.B) {
		for b.Loop() {
			MulTallSkinny(ab64, a64, x64)
		}
		flops(b)
	})
	b.Run("AtQ/float32", func(b *testing.B) {
		for b.Loop() {
			MulTransTallSkinny32(atq, a, q)
		}
		flops(b)
	})
	b.Run("AtQ/float64", func(b *testing.B) {
		for b.Loop() {
			MulTransTallSkinny(atq64, a64, q64)
		}
		flops(b)
	})
}
