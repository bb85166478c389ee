package transforms

import (
	"slices"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/lowdim/lowdim/linalg/heavytail"
)

func init() {
	register.Emitter1[RankCutRow]()
	beam.RegisterType(typeOf[RankCutRow]())
}

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
