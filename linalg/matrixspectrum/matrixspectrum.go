// Package matrixspectrum computes the spectrum of one dense matrix, such as
// a weight matrix of a checkpoint: every singular value exactly when the
// matrix is small enough, else the top k of a randomized SVD, with the
// top-k right singular vectors either way (for the drift of the subspace
// between checkpoints) and the exact ‖A‖_F².
package matrixspectrum

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/linalg/heavytail"
)

// svdMaxDim is the largest min(rows, cols) whose exact spectrum also gets
// gonum's full SVD (accurate small σ and the exact right singular vectors
// of the drift). Between svdMaxDim and Options.ExactMaxDim the exact
// spectrum is heavytail's values-only one and the subspace comes from a
// randomized SVD of rank K.
const svdMaxDim = 512

// Options configures Compute.
type Options struct {
	K           int // top-k σ and subspace dimension, clamped to min(m, n)
	ExactMaxDim int // every σ when min(m, n) ≤ ExactMaxDim
	Oversample  int // randomized SVD oversampling (0 means linalg's default)
	PowerIters  int // randomized SVD power iterations (-1 auto)
	Seed        uint64
	// Solver is the heavytail eigensolver of the exact path, reused between
	// calls to keep its workspace (nil: a new one).
	Solver *heavytail.Spectrum
}

// Spectrum is the spectrum of one matrix.
type Spectrum struct {
	Sigma  []float64  // all min(m, n) σ when Exact, else the top K
	Exact  bool       // every σ computed
	Lambda []float64  // all min(m, n) σ² by heavytail when Exact, else nil
	FrobSq float64    // ‖A‖_F², exact
	VT     *mat.Dense // K × n: the top-K right singular vectors as rows
}

// Compute returns the singular values and top-k right singular vectors of
// a. When p = min(m, n) ≤ opts.ExactMaxDim the spectrum is exact: Lambda
// holds every σᵢ² (heavytail's eigensolver of the Gram matrix), and σ and
// the vectors come from gonum's SVD when p ≤ 512, else σᵢ = √λᵢ with the
// vectors of a randomized SVD of rank k. Otherwise σ and the vectors are
// those of linalg.RandomizedSVD of rank k. Randomized SVDs are seeded with
// opts.Seed. It returns the factorisation's error when one fails.
func Compute(a *mat.Dense, opts Options) (Spectrum, error) {
	m, n := a.Dims()
	p := min(m, n)
	k := min(opts.K, p)
	res := Spectrum{FrobSq: frobeniusSq(a)}
	var v mat.Dense
	if p <= opts.ExactMaxDim {
		ve, err := exact(&res, a, k, opts)
		if err != nil {
			return res, err
		}
		v = *ve
	} else {
		r, err := linalg.RandomizedSVD(a, linalg.RSVDOptions{K: k, Oversample: opts.Oversample, PowerIters: opts.PowerIters, Seed: opts.Seed})
		if err != nil {
			return res, err
		}
		res.Sigma = r.Sigma[:k:k]
		v = *r.V
	}
	res.VT = mat.DenseCopyOf(v.Slice(0, n, 0, k).T())
	return res, nil
}

// exact fills res (whose FrobSq is set) with the exact spectrum of a and
// returns the right singular vectors: see Compute.
func exact(res *Spectrum, a *mat.Dense, k int, opts Options) (v *mat.Dense, err error) {
	m, n := a.Dims()
	solver := opts.Solver
	if solver == nil {
		solver = new(heavytail.Spectrum)
	}
	if res.Lambda, err = solver.SquaredSingularValues(nil, a); err != nil {
		return nil, err
	}
	res.Exact = true
	v = new(mat.Dense)
	if min(m, n) <= svdMaxDim {
		var svd mat.SVD
		if !svd.Factorize(a, mat.SVDThinV) {
			return nil, fmt.Errorf("SVD of the %d×%d matrix did not converge", m, n)
		}
		res.Sigma = svd.Values(nil)
		svd.VTo(v)
		return v, nil
	}
	res.Sigma = make([]float64, len(res.Lambda))
	for i, l := range res.Lambda {
		res.Sigma[i] = math.Sqrt(l)
	}
	r, err := linalg.RandomizedSVD(a, linalg.RSVDOptions{K: k, Oversample: opts.Oversample, PowerIters: opts.PowerIters, Seed: opts.Seed})
	if err != nil {
		return nil, err
	}
	return r.V, nil
}

// frobeniusSq is ‖A‖_F², summed row by row.
func frobeniusSq(a *mat.Dense) float64 {
	raw := a.RawMatrix()
	var s float64
	for i := range raw.Rows {
		for _, x := range raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols] {
			s += x * x
		}
	}
	return s
}
