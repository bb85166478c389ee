package linalg

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/lowdim/lowdim/internal/parallel"
)

// TestBudgetDgemmEqualsGonum: with one worker (block by block) and with
// two, the budgeted Dgemm gives gonum's product bit for bit, for every
// transpose and shapes on both sides of gonum's parallel threshold, ragged
// edges included (gonum's own call runs its parallel path on ≥ 2 cores).
func TestBudgetDgemmEqualsGonum(t *testing.T) {
	defer parallel.SetWorkers(parallel.Workers())
	rng := rand.New(rand.NewPCG(7, 8))
	fill := func(n int) []float64 {
		x := make([]float64, n)
		for i := range x {
			x[i] = rng.NormFloat64()
		}
		return x
	}
	for _, workers := range []int{1, 2} {
		parallel.SetWorkers(workers)
		for _, sz := range [][3]int{{10, 7, 5}, {130, 300, 70}, {257, 200, 129}, {64, 1000, 33}} {
			m, n, k := sz[0], sz[1], sz[2]
			for _, tA := range []blas.Transpose{blas.NoTrans, blas.Trans} {
				for _, tB := range []blas.Transpose{blas.NoTrans, blas.Trans} {
					lda, ldb := k+3, n+2
					ar, br := m, k
					if tA == blas.Trans {
						lda, ar = m+1, k
					}
					if tB == blas.Trans {
						ldb, br = k+4, n
					}
					a, b := fill(ar*lda), fill(br*ldb)
					c0 := fill(m*(n+5) + 5)
					want := append([]float64(nil), c0...)
					got := append([]float64(nil), c0...)
					gonum.Implementation{}.Dgemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, 0.5, want, n+5)
					budgetBLAS{}.Dgemm(tA, tB, m, n, k, 1.5, a, lda, b, ldb, 0.5, got, n+5)
					for i := range want {
						if got[i] != want[i] && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
							t.Fatalf("workers %d, %d×%d×%d, %c%c: c[%d] = %g, want %g", workers, m, n, k, tA, tB, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}
