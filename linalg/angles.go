package linalg

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// PrincipalAngles returns the principal angles 0 ≤ θ₁ ≤ … ≤ θ_q ≤ π/2
// between the subspaces spanned by the columns of a (n×p) and b (n×r), which
// must be orthonormal; q = min(p, r). The cosines cos θᵢ are the singular
// values of aᵀb (Björck & Golub 1973).
//
// Angles are computed as in Knyazev & Argentati (2002), "Principal angles
// between subspaces in an A-based scalar product", §2, and SciPy's
// subspace_angles: θᵢ = arccos(cᵢ) where cᵢ² < ½, and θᵢ = arcsin(sᵢ)
// otherwise, where the sines sᵢ are the singular values of
// b − a(aᵀb) = (I − aaᵀ)b (roles swapped when p < r so that the residual has
// q columns). Arccos alone loses half the digits near 0 (an angle of 1e-8
// has a cosine that rounds to 1); the sines keep small angles, and identical
// subspaces, accurate to rounding.
//
// The result is written to dst when it has length q and is allocated
// otherwise. PrincipalAngles panics if a and b have different numbers of
// rows, if either has more columns than rows, or if the SVD fails to
// converge. It does not check orthonormality.
func PrincipalAngles(dst []float64, a, b mat.Matrix) []float64 {
	n, p := a.Dims()
	nb, r := b.Dims()
	if n != nb {
		panic(mat.ErrShape)
	}
	if p > n || r > n {
		panic("linalg: PrincipalAngles: more columns than rows, so the columns cannot be orthonormal")
	}
	if p < r {
		a, b, p, r = b, a, r, p
	}
	q := r
	if len(dst) != q {
		dst = make([]float64, q)
	}
	if q == 0 {
		return dst
	}
	var c mat.Dense // p×q
	c.Mul(a.T(), b)
	cos := singularValues(&c) // descending: cos θ₁ ≥ … ≥ cos θ_q
	res := mat.DenseCopyOf(b) // n×q: (I − aaᵀ)b
	var proj mat.Dense
	proj.Mul(a, &c)
	res.Sub(res, &proj)
	sin := singularValues(res) // descending: sin θ_q ≥ … ≥ sin θ₁
	slices.Reverse(sin)
	for i := range q {
		ci := min(max(cos[i], 0), 1)
		if ci*ci < 0.5 {
			dst[i] = math.Acos(ci)
		} else {
			dst[i] = math.Asin(min(max(sin[i], 0), 1))
		}
	}
	// Rounding can break the order where the two formulas meet.
	slices.Sort(dst)
	return dst
}

// SubspaceOverlap returns ‖aᵀb‖_F²/min(p, r) = mean cos² θᵢ over the
// principal angles of the column spaces of a (n×p) and b (n×r), whose
// columns must be orthonormal: 1 for equal subspaces, 0 for orthogonal
// ones. It panics if a and b have different numbers of rows and returns 0
// when either has no columns.
func SubspaceOverlap(a, b mat.Matrix) float64 {
	n, p := a.Dims()
	nb, r := b.Dims()
	if n != nb {
		panic(mat.ErrShape)
	}
	if min(p, r) == 0 {
		return 0
	}
	var c mat.Dense
	c.Mul(a.T(), b)
	f := mat.Norm(&c, 2) // Frobenius for a matrix
	return f * f / float64(min(p, r))
}

// singularValues returns the singular values of x, descending. It panics
// when the SVD does not converge.
func singularValues(x mat.Matrix) []float64 {
	var svd mat.SVD
	if !svd.Factorize(x, mat.SVDNone) {
		panic("linalg: SVD did not converge")
	}
	return svd.Values(nil)
}
