package heavytail

import (
	"errors"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/mat"
)

// errNoConvergence is returned when the tridiagonal QL/QR iteration fails.
var errNoConvergence = errors.New("heavytail: tridiagonal eigenvalue iteration did not converge")

// symEigen computes eigenvalues of dense symmetric matrices; its buffers are
// reused between calls.
type symEigen struct {
	band    bandReducer
	skew    skewBand
	e, tau  []float64
	work    []float64
	minTwo  int // order from which the two-stage reduction is used (tests lower it)
	bandwid int // stage-1 bandwidth (tests lower it)
}

// eigenvalues returns in d (length n) the eigenvalues, ascending, of the n×n
// symmetric matrix a (both triangles stored), which it destroys.
//
// The matrix is reduced to a symmetric tridiagonal T = Qᵀ·A·Q by orthogonal
// similarity transformations, two-stage (dense → band of width b by blocked
// Householder, band → tridiagonal by bulge chasing; see band.go and bulge.go)
// from order twoStageMin, else by LAPACK's one-stage dsytrd; the eigenvalues
// of T come from the Pal–Walker–Kahan QL/QR iteration (LAPACK dsterf). Every
// step is backward stable, so each computed eigenvalue is within a modest
// multiple of n·ε·‖A‖₂ of an exact one (Weyl): small eigenvalues have a
// small absolute, not relative, error.
func (s *symEigen) eigenvalues(a *mat.Dense, d []float64) error {
	n, _ := a.Dims()
	if n == 0 {
		return nil
	}
	raw := a.RawMatrix()
	s.e = grow(s.e, max(n-1, 1))
	minTwo, b := s.minTwo, s.bandwid
	if minTwo == 0 {
		minTwo = twoStageMin
	}
	if b == 0 {
		b = bandWidth
	}
	impl := gonum.Implementation{}
	if n < minTwo || n <= b+1 {
		s.tau = grow(s.tau, max(n-1, 1))
		s.work = grow(s.work, 1)
		impl.Dsytrd(blas.Lower, n, raw.Data, raw.Stride, d, s.e, s.tau, s.work, -1)
		s.work = grow(s.work, max(int(s.work[0]), 1))
		impl.Dsytrd(blas.Lower, n, raw.Data, raw.Stride, d, s.e, s.tau, s.work, len(s.work))
	} else {
		s.band.reduceToBand(a, b)
		s.skew.reset(n, b)
		for i := range n {
			for j := max(0, i-b); j <= i; j++ {
				s.skew.data[s.skew.at(i, j)] = raw.Data[i*raw.Stride+j]
			}
		}
		s.skew.tridiagonalize(d, s.e)
	}
	if !impl.Dsterf(n, d, s.e) {
		return errNoConvergence
	}
	return nil
}
