package transforms

import (
	"fmt"
	"math"
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/linalg/heavytail"
)

func init() {
	register.Emitter1[RankCutRow]()
	beam.RegisterType(typeOf[RankCutRow]())
}

// svdMaxDim is the largest min(rows, cols) whose exact spectrum also gets
// gonum's full SVD (accurate small σ and the exact right singular vectors
// of the drift). Between svdMaxDim and ExactMaxDim the exact spectrum is
// heavytail's values-only one and the drift subspace comes from a
// randomized SVD of rank K.
const svdMaxDim = 512

// RankCutRow is one row of the `rank_cut` table: the best rank-r
// approximation W_r of one matrix at one step, r = round(fraction·min(rows,
// cols)) (at least 1; heavytail.RanksAtFractions).
type RankCutRow struct {
	RunID    string  `parquet:"run_id"`
	Step     int64   `parquet:"step"`
	Tensor   string  `parquet:"tensor"`
	R        int64   `parquet:"r"`
	Fraction float64 `parquet:"fraction"`
	// EnergyKept is ‖W_r‖_F²/‖W‖_F² = Σ_{i≤r} σᵢ²/Σ σᵢ² (Eckart–Young–Mirsky;
	// heavytail.KeptEnergy); NULL when only the top-k spectrum is known
	// (min(rows, cols) > exact_max_dim).
	EnergyKept *float64 `parquet:"energy_kept,optional"`
}

// exactSpectrum fills res (whose FrobSq is set) with the exact spectrum of
// a: Lambda, all p = min(m, n) values σᵢ² from hs (heavytail's values-only
// eigensolver of the Gram matrix), and σ with the top-k right singular
// vectors from gonum's SVD when p ≤ svdMaxDim, else σᵢ = √λᵢ and the
// vectors of a randomized SVD of rank k seeded by opts.Seed.
func exactSpectrum(res *MatrixSpectrum, hs *heavytail.Spectrum, a *mat.Dense, k int, opts MatrixSpectrumOptions) (v *mat.Dense, err error) {
	m, n := a.Dims()
	if hs == nil {
		hs = new(heavytail.Spectrum)
	}
	if res.Lambda, err = hs.SquaredSingularValues(nil, a); err != nil {
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

// heavyTailColumns sets the heavy-tail columns of row from the full
// spectrum λ (heavytail.ComputeMetrics with minTail): alpha, alpha_xmin,
// alpha_ks, alpha_tail, alpha_weighted and log_alpha_norm when a tail is
// fitted, log_spectral_norm and log_norm whenever λ has a positive value.
func heavyTailColumns(row *RankDynamicsRow, lambda []float64, minTail int) error {
	if slices.Max(lambda) == 0 {
		return nil // the zero matrix: no logarithm, no fit
	}
	mt, err := heavytail.ComputeMetrics(lambda, minTail)
	if err != nil {
		return err
	}
	row.LogNorm, row.LogSpectralNorm = &mt.LogNorm, &mt.LogSpectralNorm
	if mt.Fitted {
		tail := int64(mt.Fit.Tail)
		row.Alpha, row.AlphaXmin, row.AlphaKS, row.AlphaTail = &mt.Fit.Alpha, &mt.Fit.Xmin, &mt.Fit.KS, &tail
		row.AlphaWeighted, row.LogAlphaNorm = &mt.AlphaWeighted, &mt.LogAlphaNorm
	}
	return nil
}

// rankCutRows returns the rank_cut rows of a matrix with p = min(rows,
// cols) at the fractions cuts; lambda is its full descending spectrum, or
// nil when only the top k is known (EnergyKept NULL).
func rankCutRows(row RankDynamicsRow, p int, lambda []float64, cuts []float64) ([]RankCutRow, error) {
	ranks, err := heavytail.RanksAtFractions(nil, cuts, p)
	if err != nil {
		return nil, err
	}
	var kept []float64
	if lambda != nil {
		if kept, err = heavytail.KeptEnergy(nil, lambda, ranks); err != nil {
			return nil, err
		}
	}
	out := make([]RankCutRow, len(cuts))
	for i, f := range cuts {
		out[i] = RankCutRow{RunID: row.RunID, Step: row.Step, Tensor: row.Tensor, R: int64(ranks[i]), Fraction: f}
		if kept != nil {
			out[i].EnergyKept = &kept[i]
		}
	}
	return out, nil
}
