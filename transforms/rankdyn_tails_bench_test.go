package transforms

import (
	"testing"

	"golang.org/x/exp/rand"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/checkpoints"
)

// BenchmarkAnalyze4096 is one rank_dynamics row of a 4,096×4,096 Gaussian
// matrix on the default params (exact: heavytail's full spectrum, the
// heavy-tail fit, rank cuts, and a randomized SVD of rank 20 for the
// drift subspace). NumPy peer: eigvalsh(W.T @ W) and svd(W, compute_uv=False).
func BenchmarkAnalyze4096(b *testing.B) {
	const n = 4096
	rng := rand.New(rand.NewSource(1))
	data := make([]float64, n*n)
	for i := range data {
		data[i] = rng.NormFloat64()
	}
	a := mat.NewDense(n, n, data)
	f := &SeriesSpectrumFn{RunID: "b", K: 20, ExactMaxDim: 4096, Oversample: 10, PowerIters: -1, AlphaFirst: 1, WeloreTau: 0.1,
		AlphaMinTail: 10, RankCuts: []float64{0.1, 0.25, 0.5}}
	t := checkpoints.Tensor{Name: "w", Shape: []int64{n, n}}
	b.ResetTimer()
	for b.Loop() {
		row, cuts, _, err := f.Analyze(t, "float64", a)
		if err != nil || row.Alpha == nil || len(cuts) != 3 {
			b.Fatal(err)
		}
	}
}
