// Package transforms holds lowdim's Beam DoFns and CombineFns: thin wrappers
// that move elements in and out of the pure kernels of package linalg.
package transforms

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/linalg"
)

func init() {
	beam.RegisterDoFn(&SketchBlockFn{})
	beam.RegisterDoFn(&MergeSketchFn{})
	beam.RegisterDoFn(&SpectrumMetricsFn{})
	register.Emitter1[SpectrumRow]()
	register.Emitter1[SpectrumSummaryRow]()
	beam.RegisterType(typeOf[linalg.RowSketch]())
	beam.RegisterType(typeOf[SpectrumRow]())
	beam.RegisterType(typeOf[SpectrumSummaryRow]())
}

// SketchBlockFn summarises one row block by its randomized SVD (keeping
// l = K + Oversample components) as a linalg.RowSketch. The test matrix of
// each block is seeded by (Seed, first row of the block), so a block gives the
// same sketch whatever the shard count, bundle or retry.
type SketchBlockFn struct {
	Cols       int
	K          int
	Oversample int
	PowerIters int
	Seed       uint64
	Center     bool
	Keep       int
}

func (f *SketchBlockFn) ProcessElement(ctx context.Context, b blocks.Block) (linalg.RowSketch, error) {
	sk := linalg.NewRowSketch(f.Cols, f.Center, f.Keep)
	if b.Rows == 0 {
		return *sk, nil
	}
	k := min(f.K, b.Rows, b.Cols)
	opts := linalg.RSVDOptions{K: k, Oversample: f.Oversample, PowerIters: f.PowerIters, Seed: linalg.DeriveSeed(f.Seed, uint64(b.Start))}
	if err := sk.AddBlock(mat.NewDense(b.Rows, b.Cols, b.Data), opts); err != nil {
		return linalg.RowSketch{}, fmt.Errorf("%s: rows %d–%d: %w", b.Path, b.Start, b.Start+b.RowsInput, err)
	}
	return *sk, nil
}

// MergeSketchFn merges row sketches exactly (design §4: stack ΣᵢVᵢᵀ, SVD of the stack).
type MergeSketchFn struct {
	Cols   int
	Center bool
	Keep   int
}

func (f *MergeSketchFn) CreateAccumulator() linalg.RowSketch {
	return *linalg.NewRowSketch(f.Cols, f.Center, f.Keep)
}

func (f *MergeSketchFn) AddInput(acc, in linalg.RowSketch) linalg.RowSketch {
	return f.MergeAccumulators(acc, in)
}

func (f *MergeSketchFn) MergeAccumulators(a, b linalg.RowSketch) linalg.RowSketch {
	if err := a.Merge(&b); err != nil {
		panic(fmt.Sprintf("merge sketches: %v", err))
	}
	return a
}

func (f *MergeSketchFn) ExtractOutput(a linalg.RowSketch) linalg.RowSketch { return a }

// SpectrumRow is one singular value of the `spectrum` table.
type SpectrumRow struct {
	RunID   string  `parquet:"run_id"`
	Dataset string  `parquet:"dataset"`
	Index   int64   `parquet:"index"` // 1-based
	Sigma   float64 `parquet:"sigma"`
	// ExplainedVarianceRatio is σᵢ²/‖A‖_F², with the exact Frobenius norm (of the centred matrix when center is set).
	ExplainedVarianceRatio float64 `parquet:"explained_variance_ratio"`
}

// SpectrumSummaryRow is the one row per dataset of the `spectrum_summary` table.
// Metrics on σ use the top-k merged singular values; stable rank, energy ranks
// and explained variance use the exact ‖A‖_F², accumulated over every row.
type SpectrumSummaryRow struct {
	RunID      string  `parquet:"run_id"`
	Dataset    string  `parquet:"dataset"`
	Rows       int64   `parquet:"rows"`
	Cols       int64   `parquet:"cols"`
	K          int64   `parquet:"k"`
	Shards     int64   `parquet:"shards"`
	Centered   bool    `parquet:"centered"`
	RankMe     float64 `parquet:"rankme"`
	StableRank float64 `parquet:"stable_rank"`
	// AlphaReQ and its fit's R² are NULL when fewer than two non-zero σ fall in alpha_range.
	AlphaReQ   *float64 `parquet:"alpha_req,optional"`
	AlphaReQR2 *float64 `parquet:"alpha_req_r2,optional"`
	// Energy ranks are NULL when the top-k spectrum does not reach the energy fraction.
	EnergyRank90    *int64  `parquet:"energy_rank_90,optional"`
	EnergyRank95    *int64  `parquet:"energy_rank_95,optional"`
	EnergyRank99    *int64  `parquet:"energy_rank_99,optional"`
	NuclearNorm     float64 `parquet:"nuclear_norm_topk"`
	SpectralNorm    float64 `parquet:"spectral_norm"`
	FrobeniusNorm   float64 `parquet:"frobenius_norm"`
	CodingRate      float64 `parquet:"coding_rate"`
	CodingRateEps   float64 `parquet:"coding_rate_eps"`
	SpectralEntropy float64 `parquet:"spectral_entropy"`
	// ErrorEstimate bounds σᵢ(A)² − σ̂ᵢ² ≥ 0 for every i (Weyl's inequality on
	// AᵀA − SᵀS ⪰ 0): the energy dropped by truncating shards and merges.
	ErrorEstimate float64 `parquet:"error_estimate"`
	// RelativeError is sqrt(ErrorEstimate)/‖A‖_F.
	RelativeError float64 `parquet:"relative_error"`
}

// SpectrumMetricsFn turns the merged sketch into the rows of the spectrum tables.
type SpectrumMetricsFn struct {
	RunID, Dataset string
	K              int
	Shards         int
	CodingRateEps  float64
	AlphaFirst     int
	AlphaLast      int
}

func (f *SpectrumMetricsFn) ProcessElement(sk linalg.RowSketch, emitSigma func(SpectrumRow), emitSummary func(SpectrumSummaryRow)) error {
	sigma, _, err := sk.Spectrum()
	if err != nil {
		return err
	}
	if len(sigma) > f.K {
		sigma = sigma[:f.K]
	}
	for i, s := range sigma {
		emitSigma(SpectrumRow{RunID: f.RunID, Dataset: f.Dataset, Index: int64(i + 1), Sigma: s, ExplainedVarianceRatio: safeDiv(s*s, sk.FrobSq)})
	}
	emitSummary(SummarizeSpectrum(f, sk, sigma))
	return nil
}

// SummarizeSpectrum computes the summary metrics of a merged spectrum.
func SummarizeSpectrum(f *SpectrumMetricsFn, sk linalg.RowSketch, sigma []float64) SpectrumSummaryRow {
	row := SpectrumSummaryRow{
		RunID: f.RunID, Dataset: f.Dataset, Rows: sk.Rows, Cols: int64(sk.Cols), K: int64(len(sigma)),
		Shards: int64(f.Shards), Centered: sk.Centered,
		FrobeniusNorm: math.Sqrt(sk.FrobSq),
		CodingRateEps: f.CodingRateEps, ErrorEstimate: sk.TailSq, RelativeError: math.Sqrt(safeDiv(sk.TailSq, sk.FrobSq)),
	}
	if len(sigma) == 0 {
		return row
	}
	m := ComputeSpectralMetrics(sigma, sk.FrobSq, f.AlphaFirst, f.AlphaLast)
	row.RankMe, row.StableRank, row.SpectralNorm, row.NuclearNorm, row.SpectralEntropy = m.RankMe, m.StableRank, m.SpectralNorm, m.NuclearNorm, m.SpectralEntropy
	row.AlphaReQ, row.AlphaReQR2 = m.AlphaReQ, m.AlphaReQR2
	row.EnergyRank90, row.EnergyRank95, row.EnergyRank99 = m.EnergyRank90, m.EnergyRank95, m.EnergyRank99
	row.CodingRate = linalg.CodingRate(sigma, int(sk.Rows), sk.Cols, f.CodingRateEps)
	return row
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
