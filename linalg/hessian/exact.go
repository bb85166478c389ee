package hessian

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// MaxExactDim is the largest D the exact method accepts: a D×D float64
// matrix and its eigendecomposition workspace (≈ 2·8·D² bytes, 400 MB at 5,000).
const MaxExactDim = 5000

// Dense forms the D×D matrix of op column by column, H eⱼ for j = 0…D−1 (D
// products), and returns its symmetric part (H + Hᵀ)/2 with the relative
// asymmetry max|Hᵢⱼ − Hⱼᵢ| / max|Hᵢⱼ| of the columns as computed (0 for a
// zero matrix). Exact Hessian-vector products give an asymmetry of rounding
// size. It returns an error if D > MaxExactDim or a product fails.
func Dense(op Operator) (*mat.SymDense, float64, error) {
	D := op.Dim()
	if D < 1 || D > MaxExactDim {
		return nil, 0, fmt.Errorf("hessian: exact method needs 1 ≤ D ≤ %d, have D = %d", MaxExactDim, D)
	}
	cols := mat.NewDense(D, D, nil) // row j holds H eⱼ (column j of H)
	e := make([]float64, D)
	for j := 0; j < D; j++ {
		e[j] = 1
		if err := op.MulVec(cols.RawRowView(j), e); err != nil {
			return nil, 0, err
		}
		e[j] = 0
	}
	h := mat.NewSymDense(D, nil)
	var asym, scale float64
	for i := 0; i < D; i++ {
		for j := i; j < D; j++ {
			a, b := cols.At(j, i), cols.At(i, j) // Hᵢⱼ and Hⱼᵢ
			asym = max(asym, math.Abs(a-b))
			scale = max(scale, math.Abs(a), math.Abs(b))
			h.SetSym(i, j, (a+b)/2)
		}
	}
	if scale > 0 {
		asym /= scale
	}
	return h, asym, nil
}

// Spectrum is the outcome of the exact method.
type Spectrum struct {
	// Values are all D eigenvalues, ascending.
	Values []float64
	// Asymmetry is max|Hᵢⱼ − Hⱼᵢ| / max|Hᵢⱼ| of the matrix before it was
	// symmetrised.
	Asymmetry float64
}

// Exact returns every eigenvalue of op from its dense matrix (Dense, then
// gonum's EigenSym). It returns an error if D > MaxExactDim, a product fails
// or the eigendecomposition does not converge.
func Exact(op Operator) (*Spectrum, error) {
	h, asym, err := Dense(op)
	if err != nil {
		return nil, err
	}
	var eig mat.EigenSym
	if !eig.Factorize(h, false) {
		return nil, errors.New("hessian: exact method: eigendecomposition did not converge")
	}
	return &Spectrum{Values: eig.Values(nil), Asymmetry: asym}, nil
}

// Trace returns Σ λᵢ.
func (s *Spectrum) Trace() float64 {
	var t float64
	for _, v := range s.Values {
		t += v
	}
	return t
}

// Top returns the k largest eigenvalues, descending (all of them if k > D).
func (s *Spectrum) Top(k int) []float64 {
	k = min(max(k, 0), len(s.Values))
	out := make([]float64, k)
	for i := range out {
		out[i] = s.Values[len(s.Values)-1-i]
	}
	return out
}

// Bottom returns the k smallest eigenvalues, ascending.
func (s *Spectrum) Bottom(k int) []float64 {
	k = min(max(k, 0), len(s.Values))
	return append([]float64(nil), s.Values[:k]...)
}
