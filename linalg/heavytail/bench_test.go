package heavytail

import (
	"fmt"
	"testing"

	"golang.org/x/exp/rand"
)

func benchmarkSpectrum(b *testing.B, m, n int) {
	w := gaussian(rand.New(rand.NewSource(1)), m, n)
	var s Spectrum
	var dst []float64
	b.ResetTimer()
	for b.Loop() {
		var err error
		if dst, err = s.SquaredSingularValues(dst, w); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpectrum4096 is the full spectrum of a 4,096×4,096 Gaussian
// matrix (NumPy peer: eigvalsh(W.T@W) and svd(W, compute_uv=False)).
func BenchmarkSpectrum4096(b *testing.B) { benchmarkSpectrum(b, 4096, 4096) }

func BenchmarkSpectrum(b *testing.B) {
	for _, sz := range [][2]int{{1024, 1024}, {4096, 1024}, {768, 3072}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) { benchmarkSpectrum(b, sz[0], sz[1]) })
	}
}

// BenchmarkFitPowerLaw fits N Pareto(α = 3) σ² values, N = 4,096 like the
// spectrum of a 4,096×4,096 matrix, and N = 1,000 with a Marchenko–Pastur-like
// bulk (the ESD of a Gaussian 1,000×2,000 matrix) under a Pareto tail.
func BenchmarkFitPowerLaw(b *testing.B) {
	rng := rand.New(rand.NewSource(2))
	pareto := paretoSquares(rng, 4096, 3)
	bulk, err := SquaredSingularValues(gaussian(rng, 2000, 1000))
	if err != nil {
		b.Fatal(err)
	}
	top := bulk[0]
	for i, l := range paretoSquares(rng, 100, 3) {
		bulk[i] = top * l
	}
	for _, c := range []struct {
		name   string
		lambda []float64
	}{{"pareto4096", pareto}, {"bulk+tail1000", bulk}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := FitPowerLaw(c.lambda, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
