package hessian

import (
	"testing"

	"github.com/lowdim/lowdim/linalg/nn"
)

// digitsMLP is the network of the benchmarks: 64-32-10 (D = 2,410) at He
// initialisation on all 1,797 digits (pixels / 16), in one shard.
func digitsMLP(b *testing.B, shards, workers int) *CrossEntropy {
	m := nn.NewMLP(64, []int{32}, 10)
	theta := make([]float64, m.NumParams())
	m.Init(theta, 1)
	data := digits(b, 0, 1.0/16)
	return mustCrossEntropy(b, m, theta, split(data, shards), AllLayers, workers)
}

// BenchmarkHVP: one Hessian-vector product over 1,797 rows.
func BenchmarkHVP(b *testing.B) {
	for _, c := range []struct {
		name            string
		shards, workers int
	}{{"shards=1", 1, 1}, {"shards=4/workers=2", 4, 2}} {
		b.Run(c.name, func(b *testing.B) {
			h := digitsMLP(b, c.shards, c.workers)
			v, dst := randVec(h.Dim(), 1), make([]float64, h.Dim())
			b.ResetTimer()
			for b.Loop() {
				if err := h.MulVec(dst, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLanczosTop20: top-20 and bottom-20 eigenvalues, full
// reorthogonalisation, to residual 1e-10·|θ|max.
func BenchmarkLanczosTop20(b *testing.B) {
	h := digitsMLP(b, 4, 2)
	var steps int
	for b.Loop() {
		ex, err := Lanczos(h, LanczosOptions{K: 20, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		steps = ex.Steps
	}
	b.ReportMetric(float64(steps), "steps")
}
