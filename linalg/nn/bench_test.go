package nn

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// BenchmarkTrainStep times one Adam step of the MNIST FC network of Li et al.
// (784-200-200-10, D = 199,210) on a batch of 32: in the full space and in a
// d = 1,000 subspace with each projection. The target: a subspace
// step ≤ 3× a full-space step, and no D × d matrix for sparse or Fastfood
// (the reported heap-B/op after construction shows it).
func BenchmarkTrainStep(b *testing.B) {
	m := NewMLP(784, []int{200, 200}, 10)
	D := m.NumParams()
	theta0 := make([]float64, D)
	m.Init(theta0, 1)
	rng := rand.New(rand.NewPCG(1, 2))
	x := mat.NewDense(32, 784, nil)
	y := make([]int, 32)
	for i := 0; i < 32; i++ {
		for j := 0; j < 784; j++ {
			x.Set(i, j, rng.Float64())
		}
		y[i] = rng.IntN(10)
	}
	var ws *Workspace
	lossGrad := func(theta, grad []float64) float64 {
		var loss float64
		loss, ws = m.LossGrad(theta, x, y, grad, ws)
		return loss
	}
	run := func(b *testing.B, p Params) {
		opt := NewOptimizer("adam", 1e-3, 0)
		p.Step(opt, lossGrad) // warm up buffers
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			p.Step(opt, lossGrad)
		}
	}
	b.Run("full", func(b *testing.B) { run(b, NewFull(theta0)) })
	// Dense P would be D × d = 199,210 × 1,000 float64 (1.6 GB): it is for small D only.
	for _, kind := range []string{"fastfood", "sparse"} {
		b.Run(fmt.Sprintf("%s-d1000", kind), func(b *testing.B) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			P := NewProjection(kind, D, 1000, 7)
			runtime.GC()
			runtime.ReadMemStats(&after)
			run(b, NewSubspace(theta0, P))
			b.ReportMetric(float64(after.HeapAlloc)-float64(before.HeapAlloc), "projection-bytes")
		})
	}
}
