package transforms

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/linalg/classgeom"
)

func init() {
	beam.RegisterDoFn(&ClassBlockFn{})
	beam.RegisterDoFn(&MergeClassSummaryFn{})
	beam.RegisterDoFn(&ClassGeometryFn{})
	beam.RegisterDoFn(&AddClassRatesFn{})
	register.Emitter1[ClassGeometryRow]()
	register.Emitter1[ClassPairRow]()
	register.Emitter1[ClassRates]()
	beam.RegisterType(typeOf[classgeom.Summary]())
	beam.RegisterType(typeOf[classgeom.ClassSummary]())
	beam.RegisterType(typeOf[ClassGeometryRow]())
	beam.RegisterType(typeOf[ClassPairRow]())
	beam.RegisterType(typeOf[ClassRates]())
}

// ClassBlockFn summarises the labelled rows of one block (Block.Labels) per
// class: count, mean and centred scatter (classgeom.Summary.AddRows), exact
// and O(k·d²) whatever the block's rows. With Normalize every row is first
// scaled to unit norm.
type ClassBlockFn struct {
	Normalize bool
}

func (f *ClassBlockFn) ProcessElement(ctx context.Context, b blocks.Block) (classgeom.Summary, error) {
	s := classgeom.Summary{NormalizeRows: f.Normalize}
	if b.Rows == 0 {
		return s, nil
	}
	if len(b.Labels) != b.Rows {
		return classgeom.Summary{}, fmt.Errorf("%s: rows %d–%d: %d labels for %d rows", b.Path, b.Start+1, b.Start+b.RowsInput, len(b.Labels), b.Rows)
	}
	if err := s.AddRows(b.Labels, b.Data, b.Cols); err != nil {
		return classgeom.Summary{}, fmt.Errorf("%s: rows %d–%d: %w", b.Path, b.Start+1, b.Start+b.RowsInput, err)
	}
	return s, nil
}

// MergeClassSummaryFn merges per-class summaries exactly (Chan, Golub &
// LeVeque; classgeom.Summary.Merge): the accumulator is O(k·d²) for k
// classes and d columns, independent of the rows.
type MergeClassSummaryFn struct {
	Normalize bool
}

func (f *MergeClassSummaryFn) CreateAccumulator() classgeom.Summary {
	return classgeom.Summary{NormalizeRows: f.Normalize}
}

func (f *MergeClassSummaryFn) AddInput(acc, in classgeom.Summary) (classgeom.Summary, error) {
	return f.MergeAccumulators(acc, in)
}

func (f *MergeClassSummaryFn) MergeAccumulators(a, b classgeom.Summary) (classgeom.Summary, error) {
	if err := a.Merge(&b); err != nil {
		return classgeom.Summary{}, fmt.Errorf("merge class summaries: %w", err)
	}
	return a, nil
}

func (f *MergeClassSummaryFn) ExtractOutput(a classgeom.Summary) classgeom.Summary { return a }

// ClassGeometryRow is one class of the `class_geometry` table: the spectrum
// of the class's centred rows Zⱼ − 1μⱼᵀ (classgeom.ClassGeometry.Sigma, all
// d singular values) and the metrics of design §4 on it, computed by
// ComputeSpectralMetrics with ‖·‖_F² = Σσᵢ² and the study's alpha_range
// (hi 0 = every non-zero σ).
type ClassGeometryRow struct {
	RunID   string `parquet:"run_id"`
	Dataset string `parquet:"dataset"`
	Label   string `parquet:"label"`
	Rows    int64  `parquet:"rows"`
	// Rank is the numerical rank of the centred rows; SubspaceRank the
	// dimension of the class subspace used in class_pairs.
	Rank         int64    `parquet:"rank"`
	SubspaceRank int64    `parquet:"subspace_rank"`
	Normalized   bool     `parquet:"normalize_rows"`
	RankMe       float64  `parquet:"rankme"`
	StableRank   float64  `parquet:"stable_rank"`
	SpectralNorm float64  `parquet:"spectral_norm"`
	NuclearNorm  float64  `parquet:"nuclear_norm"`
	AlphaReQ     *float64 `parquet:"alpha_req,optional"`
	AlphaReQR2   *float64 `parquet:"alpha_req_r2,optional"`
	EnergyRank90 *int64   `parquet:"energy_rank_90,optional"`
	EnergyRank95 *int64   `parquet:"energy_rank_95,optional"`
	EnergyRank99 *int64   `parquet:"energy_rank_99,optional"`
}

// ClassPairRow compares classes label_a < label_b (label order:
// classgeom.SortLabels) in the `class_pairs` table.
type ClassPairRow struct {
	RunID   string `parquet:"run_id"`
	Dataset string `parquet:"dataset"`
	LabelA  string `parquet:"label_a"`
	LabelB  string `parquet:"label_b"`
	// AnglesDeg are the principal angles θ₁ ≤ … ≤ θ_q in degrees between
	// the classes' subspaces, q = min(r_A, r_B); MinAngleDeg and
	// MeanAngleDeg are NULL when q = 0.
	AnglesDeg    []float64 `parquet:"angles_deg,list"`
	MinAngleDeg  *float64  `parquet:"min_angle_deg,optional"`
	MeanAngleDeg *float64  `parquet:"mean_angle_deg,optional"`
	// ProjectionDistance is ‖P_A − P_B‖_F/√2.
	ProjectionDistance float64 `parquet:"projection_distance"`
	MeanDistanceSq     float64 `parquet:"mean_distance_sq"`
	// BuresWasserstein is W₂ between N(μ_A, Σ_A) and N(μ_B, Σ_B), Σ = M/m:
	// the square root of classgeom's W₂².
	BuresWasserstein float64 `parquet:"bures_wasserstein"`
}

// ClassRates are the whole-data class measures that join the
// spectrum_summary row (AddClassRatesFn).
type ClassRates struct {
	CodingRateTotal, CodingRateClasses, RateReduction, CentroidNuclearNorm float64
}

// ClassGeometryFn computes the class geometry of the merged summary
// (classgeom.Summary.Geometry, O(k·d³ + k²·d³)) and emits the
// class_geometry rows, the class_pairs rows and the ClassRates.
type ClassGeometryFn struct {
	RunID, Dataset        string
	Eps                   float64
	SubspaceRank          int
	AlphaFirst, AlphaLast int
}

func (f *ClassGeometryFn) ProcessElement(s classgeom.Summary, emitClass func(ClassGeometryRow), emitPair func(ClassPairRow), emitRates func(ClassRates)) error {
	rows, pairs, rates, err := f.Rows(&s)
	if err != nil {
		return err
	}
	for _, r := range rows {
		emitClass(r)
	}
	for _, p := range pairs {
		emitPair(p)
	}
	emitRates(rates)
	return nil
}

// Rows computes the table rows of the class geometry of s.
func (f *ClassGeometryFn) Rows(s *classgeom.Summary) ([]ClassGeometryRow, []ClassPairRow, ClassRates, error) {
	g, err := s.Geometry(classgeom.Options{Eps: f.Eps, SubspaceRank: f.SubspaceRank})
	if err != nil {
		return nil, nil, ClassRates{}, err
	}
	rows := make([]ClassGeometryRow, len(g.Classes))
	for i, c := range g.Classes {
		var frobSq float64
		for _, v := range c.Sigma {
			frobSq += v * v
		}
		m := ComputeSpectralMetrics(c.Sigma, frobSq, f.AlphaFirst, f.AlphaLast)
		rows[i] = ClassGeometryRow{
			RunID: f.RunID, Dataset: f.Dataset, Label: c.Label, Rows: int64(c.Count),
			Rank: int64(c.Rank), SubspaceRank: int64(c.SubspaceRank), Normalized: s.NormalizeRows,
			RankMe: m.RankMe, StableRank: m.StableRank, SpectralNorm: m.SpectralNorm, NuclearNorm: m.NuclearNorm,
			AlphaReQ: m.AlphaReQ, AlphaReQR2: m.AlphaReQR2,
			EnergyRank90: m.EnergyRank90, EnergyRank95: m.EnergyRank95, EnergyRank99: m.EnergyRank99,
		}
	}
	pairs := make([]ClassPairRow, len(g.Pairs))
	for i, p := range g.Pairs {
		pairs[i] = ClassPairRow{
			RunID: f.RunID, Dataset: f.Dataset, LabelA: p.A, LabelB: p.B,
			AnglesDeg: p.AnglesDeg, ProjectionDistance: p.ProjectionDistance,
			MeanDistanceSq: p.MeanDistanceSq, BuresWasserstein: math.Sqrt(p.BuresWassersteinSq),
		}
		if len(p.AnglesDeg) > 0 {
			pairs[i].MinAngleDeg, pairs[i].MeanAngleDeg = optionalFloat(p.MinAngleDeg), optionalFloat(p.MeanAngleDeg)
		}
	}
	rates := ClassRates{
		CodingRateTotal: g.CodingRateTotal, CodingRateClasses: g.CodingRateClasses,
		RateReduction: g.RateReduction, CentroidNuclearNorm: g.CentroidNuclearNorm,
	}
	return rows, pairs, rates, nil
}

// AddClassRatesFn fills the class columns of the spectrum_summary row from
// the ClassRates (a singleton side input).
type AddClassRatesFn struct{}

func (f *AddClassRatesFn) ProcessElement(row SpectrumSummaryRow, rates ClassRates) SpectrumSummaryRow {
	row.CodingRateTotal, row.CodingRateClasses = optionalFloat(rates.CodingRateTotal), optionalFloat(rates.CodingRateClasses)
	row.RateReduction, row.CentroidNuclearNorm = optionalFloat(rates.RateReduction), optionalFloat(rates.CentroidNuclearNorm)
	return row
}

func optionalFloat(v float64) *float64 { return &v }
