package linalg

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// SubspaceAngles returns the principal angles 0 ≤ θ₁ ≤ … ≤ θ_q ≤ π/2
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
// otherwise. SubspaceAngles returns an error when an entry of a or b is
// NaN or ±Inf, or an SVD does not converge. It panics if a and b have
// different numbers of rows or either has more columns than rows. It does
// not check orthonormality.
func SubspaceAngles(dst []float64, a, b mat.Matrix) ([]float64, error) {
	n, p := a.Dims()
	nb, r := b.Dims()
	if n != nb {
		panic(mat.ErrShape)
	}
	if p > n || r > n {
		panic("linalg: SubspaceAngles: more columns than rows, so the columns cannot be orthonormal")
	}
	for k, x := range []mat.Matrix{a, b} {
		if i, j, ok := nonFinite(x); ok {
			return nil, fmt.Errorf("linalg: subspace angles: entry (%d, %d) of basis %d is %v", i, j, k+1, x.At(i, j))
		}
	}
	if p < r {
		a, b, p, r = b, a, r, p
	}
	q := r
	if len(dst) != q {
		dst = make([]float64, q)
	}
	if q == 0 {
		return dst, nil
	}
	var c mat.Dense // p×q
	c.Mul(a.T(), b)
	cos, err := singularValues(&c) // descending: cos θ₁ ≥ … ≥ cos θ_q
	if err != nil {
		return nil, err
	}
	res := mat.DenseCopyOf(b) // n×q: (I − aaᵀ)b
	var proj mat.Dense
	proj.Mul(a, &c)
	res.Sub(res, &proj)
	sin, err := singularValues(res) // descending: sin θ_q ≥ … ≥ sin θ₁
	if err != nil {
		return nil, err
	}
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
	return dst, nil
}

// nonFinite returns the first entry of x, in row order, that is NaN or ±Inf.
func nonFinite(x mat.Matrix) (i, j int, ok bool) {
	m, n := x.Dims()
	for i := range m {
		for j := range n {
			if v := x.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return i, j, true
			}
		}
	}
	return 0, 0, false
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

// singularValues returns the singular values of x, descending, or an
// error when the SVD does not converge.
func singularValues(x mat.Matrix) ([]float64, error) {
	var svd mat.SVD
	if !svd.Factorize(x, mat.SVDNone) {
		r, c := x.Dims()
		return nil, fmt.Errorf("linalg: SVD of a %d×%d matrix did not converge", r, c)
	}
	return svd.Values(nil), nil
}
