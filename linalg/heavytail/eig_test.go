package heavytail

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"golang.org/x/exp/rand"
	"gonum.org/v1/gonum/mat"
)

func randomSymmetric(rng *rand.Rand, n int) *mat.Dense {
	a := mat.NewDense(n, n, nil)
	for i := range n {
		for j := 0; j <= i; j++ {
			x := rng.NormFloat64()
			a.Set(i, j, x)
			a.Set(j, i, x)
		}
	}
	return a
}

// TestTwoStageEigenvalues compares the two-stage reduction (forced at every
// order and bandwidth; from n = 512 with pipelined sweeps) with gonum's
// EigenSym.
func TestTwoStageEigenvalues(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for _, n := range []int{3, 4, 9, 17, 40, 101, 300, 600} {
		for _, b := range []int{1, 2, 3, 8, 32} {
			if n == 600 && b < 8 {
				continue
			}
			t.Run(fmt.Sprintf("n=%d/b=%d", n, b), func(t *testing.T) {
				a := randomSymmetric(rng, n)
				var es mat.EigenSym
				if !es.Factorize(mat.NewSymDense(n, slices.Clone(a.RawMatrix().Data)), false) {
					t.Fatal("gonum EigenSym failed")
				}
				want := es.Values(nil)
				s := symEigen{minTwo: 1, bandwid: b}
				got := make([]float64, n)
				if err := s.eigenvalues(a, got); err != nil {
					t.Fatal(err)
				}
				norm := math.Max(math.Abs(want[0]), math.Abs(want[n-1]))
				var worst float64
				for i := range n {
					worst = math.Max(worst, math.Abs(got[i]-want[i])/norm)
				}
				if worst > 1e-13 {
					t.Errorf("max |λ − λ_gonum|/‖A‖₂ = %.3g, want ≤ 1e-13", worst)
				}
			})
		}
	}
}
