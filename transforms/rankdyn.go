package transforms

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/io/checkpoints"
	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/linalg/heavytail"
	"github.com/lowdim/lowdim/linalg/idest"
	"github.com/lowdim/lowdim/linalg/matrixspectrum"
)

func init() {
	beam.RegisterDoFn(&ListTensorsFn{})
	beam.RegisterDoFn(&SplitSeriesFn{})
	beam.RegisterDoFn(&SeriesSpectrumFn{})
	register.Emitter2[string, checkpoints.Tensor]()
	register.Emitter1[TensorSeries]()
	register.Emitter1[RankDynamicsRow]()
	register.Emitter1[RankDriftRow]()
	register.Iter1[checkpoints.Tensor]()
	beam.RegisterType(typeOf[checkpoints.Checkpoint]())
	beam.RegisterType(typeOf[checkpoints.Tensor]())
	beam.RegisterType(typeOf[TensorSeries]())
	beam.RegisterType(typeOf[RankDynamicsRow]())
	beam.RegisterType(typeOf[RankDriftRow]())
}

// ListTensorsFn lists the matrices of one checkpoint file, reading only its
// header, and emits a checkpoints.Tensor, keyed by its Name, for each tensor of
// rank ≥ 2 and a float dtype (F64, F32, F16, BF16) whose name is included.
// Skipped tensors are counted (rankdyn_skipped_rank, rankdyn_skipped_dtype,
// rankdyn_skipped_name).
type ListTensorsFn struct {
	Include, Exclude []string
}

func (f *ListTensorsFn) ProcessElement(ctx context.Context, ck checkpoints.Checkpoint, emit func(string, checkpoints.Tensor)) error {
	tasks, skipped, err := checkpoints.Tensors(ctx, ck, f.Include, f.Exclude)
	if err != nil {
		return err
	}
	for reason, n := range skipped {
		beam.NewCounter("lowdim", "rankdyn_skipped_"+reason).Inc(ctx, int64(n))
	}
	for _, t := range tasks {
		emit(t.Name, t)
	}
	return nil
}

// TensorSeries is a run of consecutive steps of one matrix, the unit of
// work of the rank_dynamics study after ListTensorsFn: the DoFn that
// receives it reads one tensor of one checkpoint at a time and holds at most
// two top-k subspaces, so its memory does not grow with the series.
type TensorSeries struct {
	Name string
	// Tasks are the matrix at consecutive steps, sorted by step.
	Tasks []checkpoints.Tensor
	// Continues is true when Tasks[0] is the last step of the previous
	// series of the same matrix: it is analysed again, with the same seed,
	// only for its subspace, the start of the first drift; its row belongs
	// to the previous series.
	Continues bool
}

// RankDynamicsRow is one row of the `rank_dynamics` table: one matrix at one
// step.
//
// The σ-metrics (rankme, alpha_req, energy ranks, nuclear_norm,
// spectral_entropy, welore_*) use the n_sigma singular values computed: all
// min(rows, cols) of them when exact_spectrum is true, else the top k of a
// randomized SVD, and then nuclear_norm is the sum of the top k (a lower
// bound), energy ranks beyond k are NULL and the WeLore columns are NULL.
// frobenius_norm and stable_rank = ‖A‖_F²/σ₁² use the exact ‖A‖_F always.
type RankDynamicsRow struct {
	RunID  string  `parquet:"run_id"`
	Step   int64   `parquet:"step"`
	Tensor string  `parquet:"tensor"`
	Path   string  `parquet:"path"`
	Rows   int64   `parquet:"rows"`
	Cols   int64   `parquet:"cols"`
	Shape  []int64 `parquet:"shape,list"`
	DType  string  `parquet:"dtype"` // NumPy name of the stored dtype: float64, float32, float16, bfloat16
	// ExactSpectrum is true when the full SVD was computed (min(rows, cols) ≤ exact_max_dim).
	ExactSpectrum bool      `parquet:"exact_spectrum"`
	NSigma        int64     `parquet:"n_sigma"`
	SigmaTopK     []float64 `parquet:"sigma_topk,list"` // σ₁ ≥ … ≥ σ_k, k = min(params.k, rows, cols)
	StableRank    float64   `parquet:"stable_rank"`
	RankMe        float64   `parquet:"rankme"`
	// AlphaReQ is NULL when fewer than two non-zero σ fall in alpha_range.
	AlphaReQ        *float64 `parquet:"alpha_req,optional"`
	AlphaReQR2      *float64 `parquet:"alpha_req_r2,optional"`
	EnergyRank90    *int64   `parquet:"energy_rank_90,optional"`
	EnergyRank95    *int64   `parquet:"energy_rank_95,optional"`
	EnergyRank99    *int64   `parquet:"energy_rank_99,optional"`
	NuclearNorm     float64  `parquet:"nuclear_norm"`
	FrobeniusNorm   float64  `parquet:"frobenius_norm"`
	SpectralNorm    float64  `parquet:"spectral_norm"`
	SpectralEntropy float64  `parquet:"spectral_entropy"`
	WeloreTau       float64  `parquet:"welore_tau"`
	// WeloreRank, WeloreRankReduction and WeloreLowRank: see WeLore.
	WeloreRank          *int64   `parquet:"welore_rank,optional"`
	WeloreRankReduction *float64 `parquet:"welore_rank_reduction,optional"`
	WeloreLowRank       *bool    `parquet:"welore_low_rank_component,optional"`
	// TwoNN is the TwoNN intrinsic dimension of the rows (Facco et al. 2017;
	// duplicates dropped, the largest 10 % of ratios left out of the fit),
	// TwoNNSpread its standard error d/√m and TwoNNPoints the distinct rows
	// used; NULL unless the tensor matches params.representations (or has
	// fewer than 3 distinct rows).
	TwoNN       *float64 `parquet:"twonn,optional"`
	TwoNNSpread *float64 `parquet:"twonn_spread,optional"`
	TwoNNPoints *int64   `parquet:"twonn_points,optional"`
	// Heavy-tail columns (Martin & Mahoney 2021; design §4), from the full
	// spectrum λᵢ = σᵢ² (heavytail), NULL when exact_spectrum is false.
	// Alpha is the Clauset–Shalizi–Newman power-law exponent of the tail
	// λ ≥ AlphaXmin (AlphaTail values, KS distance AlphaKS; NULL when no
	// tail of params.alpha_min_tail values exists). AlphaWeighted = α·log₁₀
	// λ_max, LogAlphaNorm = log₁₀ Σ λᵢ^α, LogSpectralNorm = log₁₀ λ_max =
	// 2·log₁₀ spectral_norm, LogNorm = log₁₀ Σ λᵢ = 2·log₁₀ frobenius_norm
	// keep WeightWatcher's definitions (on σ², not σ).
	Alpha           *float64 `parquet:"alpha,optional"`
	AlphaXmin       *float64 `parquet:"alpha_xmin,optional"`
	AlphaKS         *float64 `parquet:"alpha_ks,optional"`
	AlphaTail       *int64   `parquet:"alpha_tail,optional"`
	AlphaWeighted   *float64 `parquet:"alpha_weighted,optional"`
	LogAlphaNorm    *float64 `parquet:"log_alpha_norm,optional"`
	LogSpectralNorm *float64 `parquet:"log_spectral_norm,optional"`
	LogNorm         *float64 `parquet:"log_norm,optional"`
}

// RankDriftRow is one row of the `rank_drift` table: the motion of one
// matrix's top-k right singular subspace span(V₁) → span(V₂) between two
// consecutive steps at which it was read.
type RankDriftRow struct {
	RunID    string `parquet:"run_id"`
	Tensor   string `parquet:"tensor"`
	StepFrom int64  `parquet:"step_from"`
	StepTo   int64  `parquet:"step_to"`
	K        int64  `parquet:"k"`
	// PrincipalAngles θ₁ ≤ … ≤ θ_k in radians, cos θᵢ = σᵢ(V₁ᵀV₂); see linalg.SubspaceAngles.
	PrincipalAngles    []float64 `parquet:"principal_angles,list"`
	MeanPrincipalAngle float64   `parquet:"mean_principal_angle"` // radians
	MaxPrincipalAngle  float64   `parquet:"max_principal_angle"`  // radians
	// SubspaceOverlap is ‖V₁ᵀV₂‖_F²/k = mean cos² θᵢ: 1 for the same subspace, k/cols expected for random ones.
	SubspaceOverlap float64 `parquet:"subspace_overlap"`
}

// SplitSeriesFn sorts the tasks of one matrix by step and cuts them into
// TensorSeries of StepsPerElement steps each; every series but the first
// also carries the step before it (Continues), so that the drift between
// consecutive steps is measured across the cut. The same matrix twice at
// one step is an error.
type SplitSeriesFn struct {
	StepsPerElement int
}

func (f *SplitSeriesFn) ProcessElement(name string, iter func(*checkpoints.Tensor) bool, emit func(TensorSeries)) error {
	var tasks []checkpoints.Tensor
	var t checkpoints.Tensor
	for iter(&t) {
		tasks = append(tasks, t)
	}
	series, err := SplitSeries(name, tasks, f.StepsPerElement)
	if err != nil {
		return err
	}
	for _, s := range series {
		emit(s)
	}
	return nil
}

// SplitSeries is SplitSeriesFn outside a pipeline. It sorts tasks by step
// (then path) in place; n < 1 is taken as 1.
func SplitSeries(name string, tasks []checkpoints.Tensor, n int) ([]TensorSeries, error) {
	slices.SortFunc(tasks, func(a, b checkpoints.Tensor) int {
		return cmp.Or(cmp.Compare(a.Step, b.Step), strings.Compare(a.Path, b.Path))
	})
	for i := 1; i < len(tasks); i++ {
		if a, b := tasks[i-1], tasks[i]; a.Step == b.Step {
			return nil, fmt.Errorf("tensor %q appears twice at step %d (in %s and %s); checkpoint files of one step must hold distinct tensors", name, a.Step, a.Path, b.Path)
		}
	}
	n = max(n, 1)
	var out []TensorSeries
	for lo := 0; lo < len(tasks); lo += n {
		hi := min(lo+n, len(tasks))
		if lo == 0 {
			out = append(out, TensorSeries{Name: name, Tasks: slices.Clone(tasks[lo:hi])})
		} else {
			out = append(out, TensorSeries{Name: name, Tasks: slices.Clone(tasks[lo-1 : hi]), Continues: true})
		}
	}
	return out, nil
}

// SeriesSpectrumFn reads the matrix of a TensorSeries step by step,
// computes its spectrum (ComputeMatrixSpectrum; the randomized SVD is seeded
// with linalg.DeriveSeed(Seed, TensorStepKey(name, step)), so a step analysed in two
// series gives the same subspace twice), emits a rank_dynamics row and
// len(RankCuts) rank_cut rows per step and a rank_drift row per pair of
// consecutive steps whose shapes agree (pairs whose shapes differ, the
// matrix was resized, are counted as rankdyn_drift_shape_changed).
type SeriesSpectrumFn struct {
	RunID       string
	K           int
	ExactMaxDim int
	Oversample  int
	PowerIters  int
	Seed        uint64
	AlphaFirst  int
	AlphaLast   int // 0: all σ used
	WeloreTau   float64
	// Representations are path.Match patterns of tensor names whose rows
	// also get the TwoNN intrinsic dimension.
	Representations []string
	// AlphaMinTail is the smallest tail of the power-law fit (alpha columns).
	AlphaMinTail int
	// RankCuts are the fractions of min(rows, cols) of the rank_cut rows.
	RankCuts []float64
	// Center subtracts the column means from the rows before the spectrum.
	Center bool

	scratch sync.Pool // *seriesScratch, one per running series
	work    concurrent[seriesOutputs]
}

// seriesScratch is the memory one series reuses from step to step.
type seriesScratch struct {
	buf      []float64 // the matrix being analysed
	spectrum heavytail.Spectrum
}

// seriesOutputs are one series' rows, emitted by FinishBundle.
type seriesOutputs struct {
	rows   []RankDynamicsRow
	drifts []RankDriftRow
	cuts   []RankCutRow
}

// ProcessElement analyses the series on the worker pool (concurrent).
func (f *SeriesSpectrumFn) ProcessElement(ctx context.Context, s TensorSeries, _ func(RankDynamicsRow), _ func(RankDriftRow), _ func(RankCutRow)) error {
	poolCounters(ctx, "rows_read", "shards", MatricesCounter, "rankdyn_drift_shape_changed")
	return f.work.Go(func() (seriesOutputs, error) {
		sc, _ := f.scratch.Get().(*seriesScratch)
		if sc == nil {
			sc = &seriesScratch{}
		}
		defer f.scratch.Put(sc)
		return f.series(ctx, s, sc)
	})
}

func (f *SeriesSpectrumFn) FinishBundle(emitRow func(RankDynamicsRow), emitDrift func(RankDriftRow), emitCut func(RankCutRow)) error {
	outs, err := f.work.Finish()
	for _, o := range outs {
		for _, r := range o.rows {
			emitRow(r)
		}
		for _, d := range o.drifts {
			emitDrift(d)
		}
		for _, c := range o.cuts {
			emitCut(c)
		}
	}
	return err
}

func (f *SeriesSpectrumFn) series(ctx context.Context, s TensorSeries, sc *seriesScratch) (out seriesOutputs, err error) {
	emitRow := func(r RankDynamicsRow) { out.rows = append(out.rows, r) }
	emitDrift := func(d RankDriftRow) { out.drifts = append(out.drifts, d) }
	emitCut := func(c RankCutRow) { out.cuts = append(out.cuts, c) }
	var prev Subspace
	for i, t := range s.Tasks {
		src, err := matrix.Open(ctx, t.Path, matrix.Options{Format: t.Format, Tensor: t.Tensor})
		if err != nil {
			return out, err
		}
		m, n := src.Rows(), src.Cols()
		data, err := src.ReadRowsInto(ctx, 0, m, sc.buf)
		if err != nil {
			return out, err
		}
		sc.buf = data
		if j := blocks.FirstNonFinite(data); j >= 0 {
			return out, fmt.Errorf("%s: tensor %q (step %d): row %d, column %d is %v; the spectrum needs finite weights", t.Path, t.Name, t.Step, j/n+1, j%n+1, data[j])
		}
		a := mat.NewDense(m, n, data)
		if f.Center {
			heavytail.CenterRows(a)
		}
		row, cuts, sub, err := f.analyze(t, src.DType(), a, &sc.spectrum)
		if err != nil {
			return out, fmt.Errorf("%s: tensor %q (step %d): %w", t.Path, t.Name, t.Step, err)
		}
		if i > 0 || !s.Continues {
			beam.NewCounter("lowdim", "rows_read").Inc(ctx, int64(m))
			beam.NewCounter("lowdim", "shards").Inc(ctx, 1)
			beam.NewCounter("lowdim", MatricesCounter).Inc(ctx, 1)
			emitRow(row)
			for _, c := range cuts {
				emitCut(c)
			}
		}
		if i > 0 {
			d, ok, err := Drift(f.RunID, s.Name, prev, sub)
			if err != nil {
				return out, fmt.Errorf("%s: tensor %q: %w", t.Path, t.Name, err)
			}
			if ok {
				emitDrift(d)
			} else {
				beam.NewCounter("lowdim", "rankdyn_drift_shape_changed").Inc(ctx, 1)
			}
		}
		prev = sub
	}
	return out, nil
}

// TensorStepKey hashes a tensor name and a step (FNV-1a of the name, a zero
// byte and the step as 8 little-endian bytes) into the key of DeriveSeed.
func TensorStepKey(name string, step int64) uint64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	var b [9]byte
	binary.LittleEndian.PutUint64(b[1:], uint64(step))
	h.Write(b[:])
	return h.Sum64()
}

// Subspace is the top-k right singular subspace of one matrix at one step.
type Subspace struct {
	Step int64
	Cols int
	// VT holds Vₖᵀ (k × Cols): row i is the i-th right singular vector.
	VT *mat.Dense
}

// Analyze computes the rank_dynamics row, the rank_cut rows and the
// subspace of matrix a, read from task t with stored dtype dtype.
func (f *SeriesSpectrumFn) Analyze(t checkpoints.Tensor, dtype string, a *mat.Dense) (RankDynamicsRow, []RankCutRow, Subspace, error) {
	return f.analyze(t, dtype, a, &heavytail.Spectrum{})
}

// analyze is Analyze with the solver's workspace given.
func (f *SeriesSpectrumFn) analyze(t checkpoints.Tensor, dtype string, a *mat.Dense, solver *heavytail.Spectrum) (RankDynamicsRow, []RankCutRow, Subspace, error) {
	m, n := a.Dims()
	var twoNN *idest.Estimate
	if len(f.Representations) > 0 && checkpoints.NameMatches(t.Name, f.Representations, nil) {
		if e, err := idest.TwoNN(a); err == nil && !math.IsNaN(e.Value) {
			twoNN = &e
		}
	}
	sp, err := matrixspectrum.Compute(a, matrixspectrum.Options{
		K: f.K, ExactMaxDim: f.ExactMaxDim, Oversample: f.Oversample, PowerIters: f.PowerIters,
		Seed: linalg.DeriveSeed(f.Seed, TensorStepKey(t.Name, t.Step)), Solver: solver,
	})
	if err != nil {
		return RankDynamicsRow{}, nil, Subspace{}, err
	}
	k, _ := sp.VT.Dims()
	sigma := sp.Sigma
	row := RankDynamicsRow{
		RunID: f.RunID, Step: t.Step, Tensor: t.Name, Path: t.Path, Rows: int64(m), Cols: int64(n),
		Shape: slices.Clone(t.Shape), DType: dtype, ExactSpectrum: sp.Exact, NSigma: int64(len(sigma)),
		SigmaTopK: slices.Clone(sigma[:k]), FrobeniusNorm: math.Sqrt(sp.FrobSq), WeloreTau: f.WeloreTau,
	}
	mt := linalg.ComputeSpectralMetrics(sigma, sp.FrobSq, f.AlphaFirst, f.AlphaLast)
	row.RankMe, row.StableRank, row.SpectralNorm, row.NuclearNorm, row.SpectralEntropy = mt.RankMe, mt.StableRank, mt.SpectralNorm, mt.NuclearNorm, mt.SpectralEntropy
	row.AlphaReQ, row.AlphaReQR2 = mt.AlphaReQ, mt.AlphaReQR2
	row.EnergyRank90, row.EnergyRank95, row.EnergyRank99 = mt.EnergyRank90, mt.EnergyRank95, mt.EnergyRank99
	if sp.Exact {
		r, red, low := linalg.WeLore(sigma, m, n, f.WeloreTau)
		r64 := int64(r)
		row.WeloreRank, row.WeloreRankReduction, row.WeloreLowRank = &r64, &red, &low
	}
	if twoNN != nil {
		pts := int64(twoNN.N)
		row.TwoNN, row.TwoNNSpread, row.TwoNNPoints = &twoNN.Value, &twoNN.Spread, &pts
	}
	if sp.Exact {
		if err := heavyTailColumns(&row, sp.Lambda, f.AlphaMinTail); err != nil {
			return RankDynamicsRow{}, nil, Subspace{}, err
		}
	}
	cuts, err := rankCutRows(row, min(m, n), sp.Lambda, f.RankCuts)
	if err != nil {
		return RankDynamicsRow{}, nil, Subspace{}, err
	}
	return row, cuts, Subspace{Step: t.Step, Cols: n, VT: sp.VT}, nil
}

// Drift is the rank_drift row of the motion span(V_a) → span(V_b) of a
// matrix's top-k right singular subspace between two steps: the principal
// angles (linalg.SubspaceAngles) and the overlap ‖V_aᵀV_b‖_F²/k. ok is
// false, and there is no row, when the matrix changed shape or k between the
// steps, or k is 0; err is the angles' error.
func Drift(runID, tensor string, a, b Subspace) (row RankDriftRow, ok bool, err error) {
	ka, _ := a.VT.Dims()
	kb, _ := b.VT.Dims()
	if a.Cols != b.Cols || ka != kb || ka == 0 {
		return RankDriftRow{}, false, nil
	}
	va, vb := a.VT.T(), b.VT.T()
	theta, err := linalg.SubspaceAngles(nil, va, vb)
	if err != nil {
		return RankDriftRow{}, false, fmt.Errorf("drift from step %d to %d: %w", a.Step, b.Step, err)
	}
	var mean float64
	for _, th := range theta {
		mean += th
	}
	return RankDriftRow{
		RunID: runID, Tensor: tensor, StepFrom: a.Step, StepTo: b.Step, K: int64(ka),
		PrincipalAngles: theta, MeanPrincipalAngle: mean / float64(len(theta)), MaxPrincipalAngle: theta[len(theta)-1],
		SubspaceOverlap: linalg.SubspaceOverlap(va, vb),
	}, true, nil
}
