package linalg

import (
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// qrWork holds the workspace of thin QR factorisations so that the repeated
// re-orthonormalisations of a randomized subspace iteration do not allocate.
// The zero value is ready to use.
type qrWork struct {
	tau  []float64
	work []float64
}

// orthonormalize overwrites the m×l matrix a (m ≥ l) with the factor Q of its
// thin QR factorisation a = Q·R, Q m×l with QᵀQ = I, R l×l upper triangular.
//
// Q is the product of l Householder reflectors (LAPACK Dgeqrf, then Dorgqr
// accumulates only the first l columns), so no m×m matrix is ever formed and Q
// is orthonormal to working precision even when a is rank deficient: columns
// beyond the rank of a complete an orthonormal basis.
//
// orthonormalize panics if a has more columns than rows.
func (w *qrWork) orthonormalize(a *mat.Dense) {
	m, l := a.Dims()
	if l > m {
		panic("linalg: orthonormalize of a wide matrix")
	}
	raw := a.RawMatrix()
	if cap(w.tau) < l {
		w.tau = make([]float64, l)
	}
	tau := w.tau[:l]
	if len(w.work) < 1 {
		w.work = make([]float64, 1)
	}
	lapack64.Geqrf(raw, tau, w.work, -1)
	lwork := int(w.work[0])
	lapack64.Orgqr(raw, tau, w.work, -1)
	lwork = max(lwork, int(w.work[0]), m, 1)
	if len(w.work) < lwork {
		w.work = make([]float64, lwork)
	}
	lapack64.Geqrf(raw, tau, w.work, len(w.work))
	lapack64.Orgqr(raw, tau, w.work, len(w.work))
}

// Orthonormalize overwrites the m×l matrix a (m ≥ l) with the orthonormal
// factor Q (m×l, QᵀQ = I) of its thin Householder QR factorisation a = Q·R.
// The span of the first j columns is preserved for every j ≤ rank(a).
//
// Orthonormalize panics if a has more columns than rows.
func Orthonormalize(a *mat.Dense) {
	var w qrWork
	w.orthonormalize(a)
}
