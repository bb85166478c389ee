package linalg

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/lowdim/lowdim/internal/parallel"
)

// gonum's Dgemm, which mat and lapack call for every product (and so for
// every SVD), starts runtime.GOMAXPROCS goroutines once C has at least
// gonumMinParBlocks blocks of gonumBlock × gonumBlock. budgetBLAS holds it to
// the worker budget (internal/parallel, --cores): when parallel.Reserve
// grants no helper it computes C in tiles too small for gonum to go
// parallel, each tile summing over k exactly as the whole product would.
const (
	gonumBlock        = 64
	gonumMinParBlocks = 4
)

func init() { blas64.Use(budgetBLAS{}) }

type budgetBLAS struct{ gonum.Implementation }

func (budgetBLAS) Dgemm(tA, tB blas.Transpose, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	var impl gonum.Implementation
	blocks := func(x int) int { return (x + gonumBlock - 1) / gonumBlock }
	if blocks(m)*blocks(n) < gonumMinParBlocks {
		impl.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	workers, release := parallel.Reserve(blocks(m) * blocks(n))
	defer release()
	if workers > 1 {
		impl.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	const tileRows, tileCols = gonumBlock, (gonumMinParBlocks - 1) * gonumBlock
	aTrans := tA == blas.Trans || tA == blas.ConjTrans
	bTrans := tB == blas.Trans || tB == blas.ConjTrans
	for i0 := 0; i0 < m; i0 += tileRows {
		rows := min(tileRows, m-i0)
		ai := a[i0:] // columns i0… of Aᵀ's storage
		if !aTrans {
			ai = a[i0*lda:] // rows i0… of A
		}
		for j0 := 0; j0 < n; j0 += tileCols {
			cols := min(tileCols, n-j0)
			bj := b[j0:] // columns j0… of B
			if bTrans {
				bj = b[j0*ldb:] // rows j0… of Bᵀ's storage (j0 < n rows)
			}
			impl.Dgemm(tA, tB, rows, cols, k, alpha, ai, lda, bj, ldb, beta, c[i0*ldc+j0:], ldc)
		}
	}
}
