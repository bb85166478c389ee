package transforms

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/linalg/molrg"
)

func init() {
	register.Emitter1[PhaseTrialRow]()
	beam.RegisterDoFn(&PhaseTrialFn{})
	register.Function1x2(KeyTrialByCell)
	register.Function2x1(DropCellKey)
	register.Function1x2(KeySummaryByCurve)
	beam.RegisterDoFn(&PhaseSummaryFn{})
	beam.RegisterDoFn(&PhaseBoundaryFn{})
	register.Emitter1[PhaseBoundaryRow]()
	register.Iter1[PhaseSummaryRow]()
	beam.RegisterType(typeOf[PhaseCell]())
	beam.RegisterType(typeOf[PhaseTask]())
	beam.RegisterType(typeOf[PhaseTrialRow]())
	beam.RegisterType(typeOf[PhaseSummaryAcc]())
	beam.RegisterType(typeOf[PhaseSummaryRow]())
	beam.RegisterType(typeOf[PhaseBoundaryRow]())
}

// PhaseCell holds the grid columns of one phase_transition cell: the model
// (n, d, K), the samples per component N and the noise σ.
type PhaseCell struct {
	AmbientDim          int64
	IntrinsicDim        int64
	Components          int64
	SamplesPerComponent int64
	Noise               float64
}

// Key identifies the cell by its values (not its position in the grid).
func (c PhaseCell) Key() string {
	return fmt.Sprintf("n=%d,d=%d,K=%d,N=%d,noise=%s", c.AmbientDim, c.IntrinsicDim, c.Components, c.SamplesPerComponent, strconv.FormatFloat(c.Noise, 'g', -1, 64))
}

// curveKey identifies the cells that differ only in N.
func (c PhaseCell) curveKey() string {
	return fmt.Sprintf("n=%d,d=%d,K=%d,noise=%s", c.AmbientDim, c.IntrinsicDim, c.Components, strconv.FormatFloat(c.Noise, 'g', -1, 64))
}

// PhaseTask is one Beam element of the phase_transition study: trial Trial
// (0-based) of a cell.
type PhaseTask struct {
	Cell  PhaseCell
	Trial int64
}

// PhaseTrialSeed returns the seed of one trial: DeriveSeed of the spec seed
// with a 64-bit FNV-1a hash of the population (n, d, K, bases), then with the
// trial index. It depends on the cell's parameter values, never on its
// position in the grid, so a trial gives the same result in any grid; and it
// leaves out N and the noise, so the cells of one population that differ in
// N or σ share their draws (nested samples, see molrg.Sample): common random
// numbers along the phase-transition curve.
func PhaseTrialSeed(seed uint64, c PhaseCell, bases string, trial int64) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "molrg/n=%d/d=%d/K=%d/bases=%s", c.AmbientDim, c.IntrinsicDim, c.Components, bases)
	return linalg.DeriveSeed(linalg.DeriveSeed(seed, h.Sum64()), uint64(trial))
}

// PhaseTrialRow is one row of the `phase_trials` table: one trial of one cell.
type PhaseTrialRow struct {
	RunID               string  `parquet:"run_id"`
	AmbientDim          int64   `parquet:"ambient_dim"`
	IntrinsicDim        int64   `parquet:"intrinsic_dim"`
	Components          int64   `parquet:"components"`
	SamplesPerComponent int64   `parquet:"samples_per_component"`
	Noise               float64 `parquet:"noise"`
	Trial               int64   `parquet:"trial"`
	// Error is the largest over components of ‖ÛÛᵀ − UUᵀ‖_F/√(2d) after
	// Hungarian matching: a trial succeeds only if every component is found.
	Error float64 `parquet:"error"`
	// ErrorMean is the mean of the same per-component errors.
	ErrorMean float64 `parquet:"error_mean"`
	// Success is Error < tolerance.
	Success bool `parquet:"success"`
	// Objective is Σᵢ minₖ ‖xᵢ − ÛₖÛₖᵀxᵢ‖² of the fit.
	Objective float64 `parquet:"objective"`
	// Misassigned counts samples clustered with another component's match (0 for K = 1).
	Misassigned int64 `parquet:"misassigned"`
}

// Cell returns the grid columns of r.
func (r PhaseTrialRow) Cell() PhaseCell {
	return PhaseCell{r.AmbientDim, r.IntrinsicDim, r.Components, r.SamplesPerComponent, r.Noise}
}

// PhaseTrialFn runs one trial (molrg.Trial.Run) of a cell, seeded by
// PhaseTrialSeed; a trial whose fit fails is an error naming the cell.
type PhaseTrialFn struct {
	RunID     string
	Seed      uint64
	Tolerance float64
	Bases     string
	Weights   []float64
	Restarts  int
	MaxIters  int
	Init      string

	work concurrent[PhaseTrialRow]
}

// ProcessElement runs the trial on the worker pool (concurrent); its row is
// emitted by FinishBundle.
func (f *PhaseTrialFn) ProcessElement(ctx context.Context, t PhaseTask, _ func(PhaseTrialRow)) error {
	poolCounters(ctx, TrialsCounter)
	return f.work.Go(func() (PhaseTrialRow, error) { return f.run(ctx, t) })
}

func (f *PhaseTrialFn) FinishBundle(emit func(PhaseTrialRow)) error {
	return emitAll(&f.work, emit)
}

func (f *PhaseTrialFn) run(ctx context.Context, t PhaseTask) (PhaseTrialRow, error) {
	c := t.Cell
	tr := molrg.Trial{
		Model:               molrg.Model{Ambient: int(c.AmbientDim), Dim: int(c.IntrinsicDim), Components: int(c.Components), Bases: f.Bases},
		SamplesPerComponent: int(c.SamplesPerComponent),
		Noise:               c.Noise,
		Weights:             f.Weights,
		KSS:                 molrg.KSSOptions{Restarts: f.Restarts, MaxIters: f.MaxIters, Init: f.Init},
	}
	res, err := tr.Run(PhaseTrialSeed(f.Seed, c, f.Bases, t.Trial))
	if err != nil {
		return PhaseTrialRow{}, fmt.Errorf("cell %s, trial %d: %w", c.Key(), t.Trial, err)
	}
	beam.NewCounter("lowdim", TrialsCounter).Inc(ctx, 1)
	return PhaseTrialRow{
		RunID: f.RunID, AmbientDim: c.AmbientDim, IntrinsicDim: c.IntrinsicDim, Components: c.Components,
		SamplesPerComponent: c.SamplesPerComponent, Noise: c.Noise, Trial: t.Trial,
		Error: res.MaxError, ErrorMean: res.MeanError, Success: res.MaxError < f.Tolerance,
		Objective: res.Objective, Misassigned: int64(res.Misassigned),
	}, nil
}

// KeyTrialByCell keys a trial row by its cell's Key, for PhaseSummaryFn.
func KeyTrialByCell(r PhaseTrialRow) (string, PhaseTrialRow) {
	return r.Cell().Key(), r
}

// DropCellKey drops the key of a combined cell summary.
func DropCellKey(_ string, r PhaseSummaryRow) PhaseSummaryRow { return r }

// PhaseSummaryRow is one row of the `phase_summary` table: one cell.
// Quantiles interpolate linearly between order statistics (Hyndman & Fan
// 1996 type 7, numpy's default and DuckDB's quantile_cont).
type PhaseSummaryRow struct {
	RunID               string  `parquet:"run_id"`
	AmbientDim          int64   `parquet:"ambient_dim"`
	IntrinsicDim        int64   `parquet:"intrinsic_dim"`
	Components          int64   `parquet:"components"`
	SamplesPerComponent int64   `parquet:"samples_per_component"`
	Noise               float64 `parquet:"noise"`
	Trials              int64   `parquet:"trials"`
	Successes           int64   `parquet:"successes"`
	SuccessRate         float64 `parquet:"success_rate"`
	MeanError           float64 `parquet:"mean_error"`
	ErrorQ10            float64 `parquet:"error_q10"`
	ErrorQ50            float64 `parquet:"error_q50"`
	ErrorQ90            float64 `parquet:"error_q90"`
}

// Cell returns the grid columns of r.
func (r PhaseSummaryRow) Cell() PhaseCell {
	return PhaseCell{r.AmbientDim, r.IntrinsicDim, r.Components, r.SamplesPerComponent, r.Noise}
}

// PhaseSummaryAcc accumulates the trials of one cell.
type PhaseSummaryAcc struct {
	Cell      PhaseCell
	Errors    []float64
	Successes int64
}

// PhaseSummaryFn combines the trials of a cell into its PhaseSummaryRow. The
// result does not depend on the order of inputs or merges: the errors are
// sorted before they are summed.
type PhaseSummaryFn struct {
	RunID string
}

func (f *PhaseSummaryFn) CreateAccumulator() PhaseSummaryAcc { return PhaseSummaryAcc{} }

func (f *PhaseSummaryFn) AddInput(a PhaseSummaryAcc, r PhaseTrialRow) PhaseSummaryAcc {
	a.Cell = r.Cell()
	a.Errors = append(a.Errors, r.Error)
	if r.Success {
		a.Successes++
	}
	return a
}

func (f *PhaseSummaryFn) MergeAccumulators(a, b PhaseSummaryAcc) PhaseSummaryAcc {
	if len(b.Errors) > 0 {
		a.Cell = b.Cell
	}
	a.Errors = append(a.Errors, b.Errors...)
	a.Successes += b.Successes
	return a
}

func (f *PhaseSummaryFn) ExtractOutput(a PhaseSummaryAcc) PhaseSummaryRow {
	c := a.Cell
	row := PhaseSummaryRow{
		RunID: f.RunID, AmbientDim: c.AmbientDim, IntrinsicDim: c.IntrinsicDim, Components: c.Components,
		SamplesPerComponent: c.SamplesPerComponent, Noise: c.Noise,
		Trials: int64(len(a.Errors)), Successes: a.Successes,
	}
	if len(a.Errors) == 0 {
		return row
	}
	e := slices.Clone(a.Errors)
	slices.Sort(e)
	var sum float64
	for _, v := range e {
		sum += v
	}
	row.SuccessRate = float64(a.Successes) / float64(len(e))
	row.MeanError = sum / float64(len(e))
	row.ErrorQ10, row.ErrorQ50, row.ErrorQ90 = Quantile(e, 0.1), Quantile(e, 0.5), Quantile(e, 0.9)
	return row
}

// Quantile returns the q-quantile of sorted (ascending, non-empty) by linear
// interpolation between order statistics, at position q·(m−1) (Hyndman & Fan
// 1996, type 7). It panics if sorted is empty or q is not in [0, 1].
func Quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 || !(q >= 0 && q <= 1) {
		panic(fmt.Sprintf("transforms: quantile %v of %d values", q, len(sorted)))
	}
	h := q * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	if lo == len(sorted)-1 {
		return sorted[lo]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// PhaseBoundaryRow is one row of the `phase_boundary` table: the
// phase-transition point in N of the cells sharing (n, d, K, σ).
type PhaseBoundaryRow struct {
	RunID        string  `parquet:"run_id"`
	AmbientDim   int64   `parquet:"ambient_dim"`
	IntrinsicDim int64   `parquet:"intrinsic_dim"`
	Components   int64   `parquet:"components"`
	Noise        float64 `parquet:"noise"`
	// NStar is the smallest swept N whose success rate is ≥ 0.5; NULL if none.
	NStar *int64 `parquet:"n_star,optional"`
	// NStarInterp is where the success rate, linearly interpolated in N
	// between swept values, first reaches 0.5 going up in N: N₀ when the
	// smallest swept N already succeeds (left-censored, see NStarCensored),
	// NULL if no swept N reaches 0.5.
	NStarInterp *float64 `parquet:"n_star_interp,optional"`
	// NStarCensored is true when the smallest swept N already reaches 0.5, so
	// the transition lies at or below it.
	NStarCensored bool `parquet:"n_star_censored"`
	// NSwept is the number of swept N values.
	NSwept int64 `parquet:"n_swept"`
}

// KeySummaryByCurve keys a cell summary by its curve: the cell without N.
func KeySummaryByCurve(r PhaseSummaryRow) (string, PhaseSummaryRow) {
	return r.Cell().curveKey(), r
}

// PhaseBoundaryFn turns the summaries of the cells of one curve (equal n, d,
// K, σ) into its PhaseBoundaryRow.
type PhaseBoundaryFn struct {
	RunID string
}

func (f *PhaseBoundaryFn) ProcessElement(_ string, iter func(*PhaseSummaryRow) bool, emit func(PhaseBoundaryRow)) {
	var rows []PhaseSummaryRow
	var r PhaseSummaryRow
	for iter(&r) {
		rows = append(rows, r)
	}
	b := PhaseBoundary(rows)
	b.RunID = f.RunID
	emit(b)
}

// PhaseBoundary computes the boundary of the summaries of one curve (rows
// sharing n, d, K and σ, in any order; it panics if they do not or rows is
// empty). See PhaseBoundaryRow for the definitions.
func PhaseBoundary(rows []PhaseSummaryRow) PhaseBoundaryRow {
	if len(rows) == 0 {
		panic("transforms: phase boundary of no cells")
	}
	rows = slices.Clone(rows)
	sort.Slice(rows, func(i, j int) bool { return rows[i].SamplesPerComponent < rows[j].SamplesPerComponent })
	c := rows[0].Cell()
	for _, r := range rows[1:] {
		if r.Cell().curveKey() != c.curveKey() {
			panic(fmt.Sprintf("transforms: phase boundary mixes %s and %s", c.curveKey(), r.Cell().curveKey()))
		}
	}
	b := PhaseBoundaryRow{RunID: rows[0].RunID, AmbientDim: c.AmbientDim, IntrinsicDim: c.IntrinsicDim, Components: c.Components, Noise: c.Noise, NSwept: int64(len(rows))}
	for i, r := range rows {
		if r.SuccessRate < 0.5 {
			continue
		}
		n := r.SamplesPerComponent
		interp := float64(n)
		if i == 0 {
			b.NStarCensored = true
		} else {
			p := rows[i-1]
			x0, x1 := float64(p.SamplesPerComponent), float64(n)
			interp = x0 + (0.5-p.SuccessRate)/(r.SuccessRate-p.SuccessRate)*(x1-x0)
		}
		b.NStar, b.NStarInterp = &n, &interp
		break
	}
	return b
}
