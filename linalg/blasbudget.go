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
// grants no helper it runs gonum's parallel arithmetic block by block on
// the calling goroutine, so the result does not depend on the budget.
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
	// gonum's parallel path, one block at a time: C is scaled by beta once,
	// then each gonumBlock² block of C adds its k-blocks in order, each
	// product a call too small for gonum to go parallel. The arithmetic is
	// the parallel path's, so the result is the same bit for bit.
	if alpha == 0 || k == 0 {
		impl.Dgemm(tA, tB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if beta != 1 {
		for i := range m {
			row := c[i*ldc : i*ldc+n]
			if beta == 0 {
				clear(row)
				continue
			}
			for j := range row {
				row[j] *= beta
			}
		}
	}
	aTrans := tA == blas.Trans || tA == blas.ConjTrans
	bTrans := tB == blas.Trans || tB == blas.ConjTrans
	for i0 := 0; i0 < m; i0 += gonumBlock {
		rows := min(gonumBlock, m-i0)
		for j0 := 0; j0 < n; j0 += gonumBlock {
			cols := min(gonumBlock, n-j0)
			for k0 := 0; k0 < k; k0 += gonumBlock {
				depth := min(gonumBlock, k-k0)
				var aSub, bSub []float64
				if aTrans {
					aSub = a[k0*lda+i0:] // Aᵀ stored k × m
				} else {
					aSub = a[i0*lda+k0:]
				}
				if bTrans {
					bSub = b[j0*ldb+k0:] // Bᵀ stored n × k
				} else {
					bSub = b[k0*ldb+j0:]
				}
				impl.Dgemm(tA, tB, rows, cols, depth, alpha, aSub, lda, bSub, ldb, 1, c[i0*ldc+j0:], ldc)
			}
		}
	}
}
