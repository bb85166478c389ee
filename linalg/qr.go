package linalg

import (
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/lapack"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// Thin QR of the tall m×l sketches of a randomized SVD.
//
// The fast path is CholeskyQR2 (Fukaya, Nakatsukasa, Yanagisawa & Yamamoto
// 2014, "CholeskyQR2: a simple and communication-avoiding algorithm for
// computing a tall-skinny QR factorization"; error analysis in Yamamoto,
// Nakatsukasa, Yanagisawa & Fukaya 2015, ETNA 44):
//
//	G = YᵀY,  G = RᵀR (Cholesky),  Q₁ = Y·R⁻¹
//	G₁ = Q₁ᵀQ₁ = R₁ᵀR₁,  Q = Q₁·R₁⁻¹   (so Y = Q·(R₁R), R₁R upper triangular)
//
// All O(m·l²) work is two Gram products (MulTransTallSkinny) and two products
// with an explicit l×l triangular inverse (MulTallSkinny), i.e. the parallel
// register-tiled kernels of products.go; the Cholesky factorisations and
// inverses are O(l³). One pass loses orthogonality like κ₂(Y)²·ε; the second
// pass starts from κ₂(Q₁) ≈ 1 and restores it to O(ε).
//
// Ill-conditioned inputs take one of two slower routes, chosen from the
// LAPACK estimate κ̂ = 1/Dpocon of κ₁(G) ≈ κ₂(Y)² (within a factor l):
//
//   - κ̂ > cholQR2MaxCond or Cholesky of G fails: shifted CholeskyQR3
//     (Fukaya, Kannan, Nakatsukasa, Yamamoto & Yanagisawa 2020, SIAM J. Sci.
//     Comput. 42(1), Algorithm 4.1): one pass with G + s·I, s = 11·(m·l +
//     l(l+1))·u·‖Y‖_F² (their eq. (4.2) with ‖Y‖₂ ≤ ‖Y‖_F), which gives
//     κ₂(Q₁) ≈ sqrt(s)/σ_min(Y), then CholeskyQR2 on Q₁ under the same
//     κ̂ test;
//   - when that test fails too (Y numerically rank deficient, as after power
//     iterations on an exactly low-rank A): Householder QR (Dgeqrf + Dorgqr),
//     whose Q is orthonormal to working precision whatever the rank.
//
// Every route leaves Y = Q·R with R upper triangular, so the span of the
// first j columns is kept for j ≤ rank(Y). The choice of route and every
// rounding are functions of Y alone (the products are deterministic), so the
// result is bit-for-bit independent of the worker count and scheduling.

const (
	// cholQRMinAspect: CholeskyQR is used only when m ≥ cholQRMinAspect·l;
	// for nearly square inputs Householder costs about the same and squaring
	// the condition number buys nothing.
	cholQRMinAspect = 4
	// cholQR2MaxCond is the largest estimate of κ₁(YᵀY) ≈ κ₂(Y)² accepted by
	// a CholeskyQR2 pass: κ₂(Y) ≲ 1e5. Yamamoto et al. 2015 (Theorem 3.3)
	// prove ‖QᵀQ − I‖_F = O((m·l + l²)·u) for κ₂(Y) ≲ 1/sqrt(8²·(m·l + l²)·u),
	// a worst-case bound of ~7e3 at m = 1e5, l = 30; with typical rounding
	// (errors growing like sqrt(m)) CholeskyQR2 is accurate up to κ₂ ≈ u^−1/2
	// ≈ 1e8. 1e10 keeps three orders of magnitude of margin to the latter;
	// TestOrthonormalizeConditioned sweeps κ₂(Y) from 1 to 1e15 and checks
	// ‖QᵀQ − I‖_max ≤ 1e-14 on every route.
	cholQR2MaxCond = 1e10
	// cholQRFinalMinRcond is the smallest reciprocal condition estimate of
	// the last pass's Gram matrix QₖᵀQₖ accepted: it is within κ²·u of the
	// identity when the first test passed, so a smaller value means rounding
	// went wrong and Householder takes over.
	cholQRFinalMinRcond = 0.5
)

// qrWork holds the workspace of thin QR factorisations so that the repeated
// re-orthonormalisations of a randomized subspace iteration do not allocate.
// The zero value is ready to use.
type qrWork struct {
	tau  []float64
	work []float64

	scratch *mat.Dense // m×l second buffer of CholeskyQR
	gram    *mat.Dense // l×l Gram matrix, then its Cholesky factor R
	gram0   []float64  // copy of the first Gram matrix for the shifted retry
	rinv    *mat.Dense // l×l R⁻¹ (upper triangular, zeros below)
	cwork   []float64
	iwork   []int

	route qrRoute // the route the last orthonormalize took, for tests
}

// qrRoute names the algorithm an orthonormalize call ended with.
type qrRoute int

const (
	routeCholQR2 qrRoute = iota + 1
	routeShiftedCholQR3
	routeHouseholder
)

// orthonormalize overwrites the m×l matrix a (m ≥ l) with the factor Q of its
// thin QR factorisation a = Q·R, Q m×l with QᵀQ = I, R l×l upper triangular,
// by CholeskyQR2, shifted CholeskyQR3 or Householder QR (see the notes at the
// top of qr.go). Q is orthonormal to working precision even when a is rank
// deficient: columns beyond the rank of a complete an orthonormal basis.
//
// orthonormalize panics if a has more columns than rows.
func (w *qrWork) orthonormalize(a *mat.Dense) {
	m, l := a.Dims()
	if l > m {
		panic("linalg: orthonormalize of a wide matrix")
	}
	if m < cholQRMinAspect*l || !w.choleskyQR(a) {
		w.householder(a)
		w.route = routeHouseholder
	}
}

// choleskyQR overwrites a with Q by CholeskyQR2, or shifted CholeskyQR3 when
// a is ill conditioned, and reports whether it succeeded. On failure a holds
// either its input or a matrix a·R⁻¹ with R upper triangular and nonsingular
// (same nested column spans), ready for Householder QR.
func (w *qrWork) choleskyQR(a *mat.Dense) bool {
	m, l := a.Dims()
	w.reserve(m, l)
	s := w.scratch

	// Pass 1 (a → s), shifted when G is too ill conditioned.
	MulTransTallSkinny(w.gram, a, a)
	g := w.gram.RawMatrix().Data
	copy(w.gram0, g)
	shifted := false
	if rcond, ok := w.cholInverse(0); !ok || rcond*cholQR2MaxCond < 1 {
		// Fukaya et al. 2020, eq. (4.2): s = 11·(m·l + l(l+1))·u·‖Y‖₂²,
		// with ‖Y‖₂² ≤ ‖Y‖_F² = trace(G).
		var trace float64
		for i := range l {
			trace += w.gram0[i*l+i]
		}
		const u = 0x1p-53
		shift := 11 * (float64(m)*float64(l) + float64(l)*float64(l+1)) * u * trace
		copy(g, w.gram0)
		if _, ok := w.cholInverse(shift); !ok {
			return false
		}
		shifted = true
	}
	MulTallSkinny(s, a, w.rinv)

	// Pass 2 (s → a). After a shifted pass, s may still be too ill
	// conditioned; a is untouched yet, so Householder can start from it.
	MulTransTallSkinny(w.gram, s, s)
	if rcond, ok := w.cholInverse(0); !ok || rcond*cholQR2MaxCond < 1 ||
		(!shifted && rcond < cholQRFinalMinRcond) {
		return false
	}
	MulTallSkinny(a, s, w.rinv)
	if !shifted {
		w.route = routeCholQR2
		return true
	}

	// Pass 3 (a → s → a) of shifted CholeskyQR3.
	MulTransTallSkinny(w.gram, a, a)
	if rcond, ok := w.cholInverse(0); !ok || rcond < cholQRFinalMinRcond {
		return false
	}
	MulTallSkinny(s, a, w.rinv)
	a.Copy(s)
	w.route = routeShiftedCholQR3
	return true
}

// reserve sizes the CholeskyQR buffers for an m×l input.
func (w *qrWork) reserve(m, l int) {
	if w.scratch == nil || cap(w.scratch.RawMatrix().Data) < m*l {
		w.scratch = mat.NewDense(m, l, nil)
	} else {
		w.scratch = mat.NewDense(m, l, w.scratch.RawMatrix().Data[:m*l])
	}
	if w.gram == nil || w.gram.RawMatrix().Cols != l {
		w.gram = mat.NewDense(l, l, nil)
		w.rinv = mat.NewDense(l, l, nil)
		w.gram0 = make([]float64, l*l)
		w.cwork = make([]float64, 3*l)
		w.iwork = make([]int, l)
	}
}

// cholInverse factorises w.gram + shift·I = RᵀR in place (R in the upper
// triangle of w.gram), sets w.rinv = R⁻¹ with zeros below the diagonal, and
// returns the LAPACK reciprocal 1-norm condition estimate of w.gram + shift·I.
// It reports false when the Cholesky factorisation or the inverse fails.
func (w *qrWork) cholInverse(shift float64) (rcond float64, ok bool) {
	gr := w.gram.RawMatrix()
	l := gr.Cols
	sym := blas64.Symmetric{Uplo: blas.Upper, N: l, Stride: gr.Stride, Data: gr.Data}
	for i := range l {
		gr.Data[i*gr.Stride+i] += shift
	}
	anorm := lapack64.Lansy(lapack.MaxColumnSum, sym, w.cwork)
	if !(anorm > 0) || math.IsInf(anorm, 0) {
		return 0, false
	}
	if _, ok := lapack64.Potrf(sym); !ok {
		return 0, false
	}
	rcond = lapack64.Pocon(sym, anorm, w.cwork, w.iwork)
	ri := w.rinv.RawMatrix()
	for i := range l {
		row := ri.Data[i*ri.Stride : i*ri.Stride+l]
		clear(row[:i])
		copy(row[i:], gr.Data[i*gr.Stride+i:i*gr.Stride+l])
	}
	tri := blas64.Triangular{Uplo: blas.Upper, Diag: blas.NonUnit, N: l, Stride: ri.Stride, Data: ri.Data}
	if !lapack64.Trtri(tri) {
		return 0, false
	}
	return rcond, true
}

// householder overwrites a with the Q factor of its Householder QR: the
// product of l reflectors (Dgeqrf), of which Dorgqr accumulates only the
// first l columns, so no m×m matrix is formed.
func (w *qrWork) householder(a *mat.Dense) {
	m, l := a.Dims()
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
// factor Q (m×l, QᵀQ = I) of a thin QR factorisation a = Q·R, R upper
// triangular: CholeskyQR2 for well-conditioned tall inputs, shifted
// CholeskyQR3 or Householder QR otherwise (see qr.go). The span of the first
// j columns is preserved for every j ≤ rank(a), and columns beyond the rank
// of a complete an orthonormal basis.
//
// Orthonormalize panics if a has more columns than rows.
func Orthonormalize(a *mat.Dense) {
	var w qrWork
	w.orthonormalize(a)
}
