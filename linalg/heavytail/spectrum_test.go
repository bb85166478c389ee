package heavytail

import (
	"math"
	"testing"

	"golang.org/x/exp/rand"
	"gonum.org/v1/gonum/mat"
)

func gaussian(rng *rand.Rand, m, n int) *mat.Dense {
	a := mat.NewDense(m, n, nil)
	for i := range a.RawMatrix().Data {
		a.RawMatrix().Data[i] = rng.NormFloat64()
	}
	return a
}

// TestSpectrumMatchesSVD compares SquaredSingularValues with the squares of
// gonum's SVD (values only) on random matrices of every orientation, through
// both eigensolver paths and on a strided view.
func TestSpectrumMatchesSVD(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	big := gaussian(rng, 700, 900)
	cases := []struct {
		name string
		w    *mat.Dense
	}{
		{"tall 300x200", gaussian(rng, 300, 200)},
		{"wide 150x400", gaussian(rng, 150, 400)},
		{"square 257", gaussian(rng, 257, 257)},
		{"small 40x7", gaussian(rng, 40, 7)},
		{"view 500x333", big.Slice(100, 600, 17, 350).(*mat.Dense)},
		{"row 1x5", gaussian(rng, 1, 5)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, n := c.w.Dims()
			var svd mat.SVD
			if !svd.Factorize(c.w, mat.SVDNone) {
				t.Fatal("gonum SVD failed")
			}
			sigma := svd.Values(nil)
			var s Spectrum
			got, err := s.SquaredSingularValues(nil, c.w)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != min(m, n) {
				t.Fatalf("len = %d, want %d", len(got), min(m, n))
			}
			l1 := sigma[0] * sigma[0]
			var worstTop, worstAbs float64
			for i, sg := range sigma {
				want := sg * sg
				abs := math.Abs(got[i] - want)
				worstAbs = math.Max(worstAbs, abs/l1)
				if want >= 0.01*l1 {
					worstTop = math.Max(worstTop, abs/want)
				}
			}
			t.Logf("max rel err (λ ≥ 0.01·λ₁) %.2g, max abs err / λ₁ %.2g", worstTop, worstAbs)
			if worstTop > 1e-10 {
				t.Errorf("relative error of the top values %.3g > 1e-10", worstTop)
			}
			if bound := float64(max(m, n)) * 0x1p-53; worstAbs > bound {
				t.Errorf("absolute error %.3g·λ₁ > max(m, n)·ε = %.3g", worstAbs, bound)
			}
		})
	}
}

// TestSpectrumSmallEigenvalues plants λ = 10^(−16·i/(n−1)), i = 0…n−1 (16
// decades) in a dense 1,000×1,000 matrix: every λ̂ is within the documented
// absolute error max(m, n)·ε·λ₁ of the planted value, and the top three
// decades are accurate to 1e-12 relative.
func TestSpectrumSmallEigenvalues(t *testing.T) {
	const n = 1000
	planted := make([]float64, n)
	for i := range planted {
		planted[i] = math.Pow(10, -16*float64(i)/float64(n-1))
	}
	w := plantedMatrix(rand.New(rand.NewSource(1)), n, n, planted)
	lambda, err := SquaredSingularValues(w)
	if err != nil {
		t.Fatal(err)
	}
	var worstAbs, worstTop float64
	for i, want := range planted {
		abs := math.Abs(lambda[i] - want)
		worstAbs = max(worstAbs, abs)
		if want >= 1e-3 {
			worstTop = max(worstTop, abs/want)
		}
	}
	t.Logf("max |λ̂ − λ|/λ₁ = %.2g (bound n·ε = %.2g), max rel err for λ ≥ 1e-3·λ₁ = %.2g", worstAbs, n*0x1p-53, worstTop)
	if worstAbs > n*0x1p-53 {
		t.Errorf("absolute error %.3g·λ₁ > n·ε", worstAbs)
	}
	if worstTop > 1e-12 {
		t.Errorf("relative error of the top three decades %.3g > 1e-12", worstTop)
	}
}
