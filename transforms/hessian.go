package transforms

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/internal/parallel"
	"github.com/lowdim/lowdim/io/checkpoints"
	"github.com/lowdim/lowdim/io/labelled"
	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/linalg/hessian"
	"github.com/lowdim/lowdim/linalg/nn"
)

func init() {
	beam.RegisterDoFn(&HessianFn{})
	register.Emitter1[HessianEigRow]()
	register.Emitter1[HessianDensityRow]()
	register.Emitter1[HessianSummaryRow]()
	beam.RegisterType(typeOf[HessianTask]())
	beam.RegisterType(typeOf[labelled.Source]())
	beam.RegisterType(typeOf[HessianEigRow]())
	beam.RegisterType(typeOf[HessianDensityRow]())
	beam.RegisterType(typeOf[HessianSummaryRow]())
}

// Hessian block names (the block column): the whole Hessian, or the
// diagonal block of one layer's parameters, "layers.<l>".
const HessianWholeBlock = "whole"

// HessianLayerBlock names the block of layer l: "layers.<l>", the
// parameters of the tensors layers.<l>.weight and layers.<l>.bias.
func HessianLayerBlock(l int) string { return fmt.Sprintf("layers.%d", l) }

// InputScale returns the number the features of a checkpoint's rows are
// divided by before its Hessian, and how it was found. The metadata key
// "input_scale" (a positive number) wins. Otherwise a lowdim training
// checkpoint (metadata format "lowdim": intrinsic_dim's training divides
// every feature by the largest |value| of its training rows, see
// LabelledData) gets maxAbs, the largest |feature| of the data set, which is
// that divisor whenever the training rows reach the data set's largest value
// (digits: 16, MNIST: 255). Any other checkpoint sees the rows as they are
// (1).
func InputScale(metadata map[string]string, maxAbs float64) (float64, string, error) {
	if v, ok := metadata["input_scale"]; ok {
		s, err := strconv.ParseFloat(v, 64)
		if err != nil || !(s > 0) || math.IsInf(s, 1) {
			return 0, "", fmt.Errorf("metadata input_scale %q is not a finite number > 0", v)
		}
		return s, "metadata input_scale", nil
	}
	if metadata["format"] == "lowdim" && maxAbs > 0 {
		return maxAbs, "max |x| (lowdim training scaling)", nil
	}
	return 1, "none", nil
}

// HessianTask is one Beam element of the hessian study: one block of the
// Hessian of one checkpoint.
type HessianTask struct {
	Checkpoint string // series (checkpoints.Series)
	Path       string
	Step       int64
	Block      string // HessianWholeBlock or HessianLayerBlock(l)
	Layer      int    // hessian.AllLayers or l
	Params     int64  // D of the block
	// InputScale divides every feature (InputScale); ScaleRule says why.
	InputScale float64
	ScaleRule  string
	Exact      bool // compute the dense Hessian and every eigenvalue
}

// HessianEigRow is one row of the `hessian_eigs` table: one eigenvalue of
// one block of one checkpoint's Hessian. Index i ≥ 1 is the i-th largest;
// Lanczos also gives the smallest, index −i for the i-th smallest. The
// exact method lists all D eigenvalues (index 1…D).
type HessianEigRow struct {
	RunID      string  `parquet:"run_id"`
	Checkpoint string  `parquet:"checkpoint"`
	Step       int64   `parquet:"step"`
	Block      string  `parquet:"block"`
	Method     string  `parquet:"method"` // exact | lanczos
	Index      int64   `parquet:"index"`
	Eigenvalue float64 `parquet:"eigenvalue"`
	// Residual is ‖Hy − θy‖ of the Ritz pair (Lanczos): an eigenvalue of H
	// lies within it of Eigenvalue. NULL for exact.
	Residual *float64 `parquet:"residual,optional"`
}

// HessianDensityRow is one point of the `hessian_density` table: the
// Gaussian-broadened spectral density φ_σ(x) = (1/D) Σᵢ g_σ(x − λᵢ) of one
// block, estimated by stochastic Lanczos quadrature (method slq, Ghorbani
// et al. 2019, eq. 8) or from the exact eigenvalues (method exact), on a
// grid over the spectrum found, padded by 3σ (σ in hessian_summary.broadening).
type HessianDensityRow struct {
	RunID      string  `parquet:"run_id"`
	Checkpoint string  `parquet:"checkpoint"`
	Step       int64   `parquet:"step"`
	Block      string  `parquet:"block"`
	Method     string  `parquet:"method"` // slq | exact
	X          float64 `parquet:"x"`
	Density    float64 `parquet:"density"`
}

// HessianSummaryRow is one row of the `hessian_summary` table: one block of
// one checkpoint's Hessian.
type HessianSummaryRow struct {
	RunID      string `parquet:"run_id"`
	Checkpoint string `parquet:"checkpoint"` // series (checkpoints.Series)
	Path       string `parquet:"path"`
	Step       int64  `parquet:"step"`
	Block      string `parquet:"block"`
	Params     int64  `parquet:"params"`  // D of the block
	Rows       int64  `parquet:"rows"`    // N, rows the loss averages over
	Classes    int64  `parquet:"classes"` // outputs of the model
	// InputScale divided every feature; ScaleRule says how it was found
	// (InputScale).
	InputScale float64 `parquet:"input_scale"`
	ScaleRule  string  `parquet:"scale_rule"`
	// Loss and Accuracy of the checkpoint on the rows (mean cross-entropy, nats).
	Loss     float64 `parquet:"loss"`
	Accuracy float64 `parquet:"accuracy"`
	// SpectrumMethod is where TopEigenvalue and the outliers come from:
	// exact when computed, else lanczos; empty (and those columns NULL)
	// with neither.
	SpectrumMethod string   `parquet:"spectrum_method"`
	TopEigenvalue  *float64 `parquet:"top_eigenvalue,optional"`
	// Outliers is the number of eigenvalues above the bulk edge by the
	// largest-ratio-gap rule (hessian.Outliers) among the top
	// MaxOutliers + 1; BulkEdge is the largest bulk eigenvalue and
	// OutlierGap the ratio λ_k/λ_{k+1} at the split. OutlierRule states
	// the rule and the values it saw.
	Outliers    *int64   `parquet:"outliers,optional"`
	BulkEdge    *float64 `parquet:"bulk_edge,optional"`
	OutlierGap  *float64 `parquet:"outlier_gap,optional"`
	OutlierRule string   `parquet:"outlier_rule"`
	// Trace is Hutchinson's estimate of tr H with its standard error
	// (NULL for one probe) over TraceProbes probes; TraceExact is Σλᵢ of
	// the exact spectrum. NULL when not computed.
	Trace       *float64 `parquet:"trace,optional"`
	TraceStderr *float64 `parquet:"trace_stderr,optional"`
	TraceProbes *int64   `parquet:"trace_probes,optional"`
	TraceExact  *float64 `parquet:"trace_exact,optional"`
	// LanczosSteps is the number of Lanczos products; LanczosConverged
	// whether every top_k Ritz value at each end has residual
	// ≤ 1e-10·max|θ|.
	LanczosSteps     *int64 `parquet:"lanczos_steps,optional"`
	LanczosConverged *bool  `parquet:"lanczos_converged,optional"`
	// ExactAsymmetry is max|Hᵢⱼ − Hⱼᵢ|/max|Hᵢⱼ| of the dense Hessian before
	// symmetrisation (rounding size for exact products).
	ExactAsymmetry *float64 `parquet:"exact_asymmetry,optional"`
	// Broadening is the σ of the density (NULL without a density); Probes
	// and SLQSteps those of slq.
	Broadening *float64 `parquet:"broadening,optional"`
	SLQProbes  *int64   `parquet:"slq_probes,optional"`
	SLQSteps   *int64   `parquet:"slq_steps,optional"`
	// Seconds is the wall time of the element (not deterministic).
	Seconds float64 `parquet:"seconds"`
}

// HessianOptions say what HessianSpectra computes.
type HessianOptions struct {
	Exact, Lanczos, SLQ, Hutchinson bool
	// TopK eigenvalues at each end by Lanczos (clamped to D).
	TopK int
	// Probes of SLQ and Hutchinson; SLQSteps Lanczos steps per SLQ probe
	// (clamped to D).
	Probes, SLQSteps int
	// DensityGrid points; Broadening σ (0: 1 % of the spectrum's width).
	DensityGrid int
	Broadening  float64
	// MaxOutliers bounds the outlier count: the rule sees the top
	// MaxOutliers + 1 eigenvalues (min(2·classes, top_k − 1) in the study,
	// so exact and Lanczos see the same values).
	MaxOutliers int
	Seed        uint64
}

// HessianSpectra is everything computed for one operator.
type HessianSpectra struct {
	Dim     int
	Exact   *hessian.Spectrum
	Lanczos *hessian.Extremes
	Density *hessian.Density
	Trace   *hessian.Trace
	// Grid, SLQDensity and ExactDensity: the density on Grid with σ =
	// Sigma (nil without SLQ or exact).
	Grid, SLQDensity, ExactDensity []float64
	Sigma                          float64
	Split                          *hessian.Split
	SplitFrom                      string // exact | lanczos
	SplitSeen                      int    // eigenvalues the rule saw
	MaxOutliers                    int
}

// ComputeHessianSpectra runs the methods of opts on op, every method from
// opts.Seed (so the same probes and start vectors at every checkpoint).
func ComputeHessianSpectra(op hessian.Operator, opts HessianOptions) (*HessianSpectra, error) {
	D := op.Dim()
	res := &HessianSpectra{Dim: D}
	var err error
	if opts.Exact {
		if res.Exact, err = hessian.Exact(op); err != nil {
			return nil, err
		}
	}
	if opts.Lanczos {
		if res.Lanczos, err = hessian.Lanczos(op, hessian.LanczosOptions{K: min(opts.TopK, D), Seed: opts.Seed}); err != nil {
			return nil, err
		}
	}
	if opts.SLQ {
		if res.Density, err = hessian.SLQ(op, hessian.SLQOptions{Probes: opts.Probes, Steps: min(opts.SLQSteps, D), Seed: opts.Seed}); err != nil {
			return nil, err
		}
	}
	if opts.Hutchinson {
		t, err := hessian.Hutchinson(op, hessian.TraceOptions{Probes: opts.Probes, Seed: opts.Seed})
		if err != nil {
			return nil, err
		}
		res.Trace = &t
	}
	if res.Density != nil || res.Exact != nil {
		lo, hi := math.Inf(1), math.Inf(-1)
		if res.Density != nil {
			lo, hi = res.Density.Support()
		}
		if res.Exact != nil {
			lo, hi = min(lo, res.Exact.Values[0]), max(hi, res.Exact.Values[D-1])
		}
		res.Sigma = opts.Broadening
		if res.Sigma == 0 {
			res.Sigma = 0.01 * (hi - lo)
			if !(res.Sigma > 0) {
				res.Sigma = 1e-3 * max(math.Abs(hi), 1e-12)
			}
		}
		res.Grid = hessian.Grid(lo-3*res.Sigma, hi+3*res.Sigma, opts.DensityGrid)
		if res.Density != nil {
			if res.SLQDensity, err = res.Density.Eval(nil, res.Grid, res.Sigma); err != nil {
				return nil, err
			}
		}
		if res.Exact != nil {
			w := make([]float64, D)
			for i := range w {
				w[i] = 1 / float64(D)
			}
			ex := &hessian.Density{Dim: D, Quadratures: []hessian.Quadrature{{Nodes: res.Exact.Values, Weights: w}}}
			if res.ExactDensity, err = ex.Eval(nil, res.Grid, res.Sigma); err != nil {
				return nil, err
			}
		}
	}
	var top []float64
	switch {
	case res.Exact != nil:
		top, res.SplitFrom = res.Exact.Top(opts.MaxOutliers+1), HessianExactMethod
	case res.Lanczos != nil:
		top, res.SplitFrom = res.Lanczos.Top, HessianLanczosMethod
	}
	res.MaxOutliers = min(opts.MaxOutliers, len(top)-1)
	if res.MaxOutliers >= 1 {
		top = top[:res.MaxOutliers+1]
		s, err := hessian.Outliers(top, res.MaxOutliers)
		if err != nil {
			return nil, err
		}
		res.Split, res.SplitSeen = &s, len(top)
	}
	return res, nil
}

// Method names of the eigs and density tables.
const (
	HessianExactMethod   = "exact"
	HessianLanczosMethod = "lanczos"
	HessianSLQMethod     = "slq"
)

// HessianFn computes the Hessian spectra of one HessianTask: it reads the
// labelled rows (once per element; the rows of SampleRows(Samples,
// SampleSeed)), divides them by the task's InputScale, reads the
// checkpoint, and applies hessian.CrossEntropy over fixed shards of the
// rows (HVPShardRows; shard sums added in shard order on
// runtime.GOMAXPROCS(0) goroutines, so results depend on neither
// input.shard_rows nor the core count). It emits the task's eigenvalues,
// density points and summary row.
type HessianFn struct {
	RunID      string
	Data       labelled.Source
	Samples    int
	SampleSeed uint64
	Seed       uint64 // spec seed; each block's methods use DeriveSeed(Seed, FNV-1a("hessian/"+block))

	Lanczos, SLQ, Hutchinson bool
	TopK, Probes, SLQSteps   int
	DensityGrid              int
	Broadening               float64

	work concurrent[hessianOutputs]
}

// hessianOutputs are one checkpoint's rows, emitted by FinishBundle.
type hessianOutputs struct {
	eigs      []HessianEigRow
	densities []HessianDensityRow
	summaries []HessianSummaryRow
}

// HVPShardRows is the number of rows per shard of the Hessian-vector
// products of n rows: max(256, ⌈n/64⌉), so at most 64 shard sums of D
// values are held, and the shards depend on n only.
func HVPShardRows(n int) int { return max(256, (n+63)/64) }

// HessianBlockSeed is the seed of a block's methods: the same at every
// checkpoint (common random numbers along the series).
func HessianBlockSeed(specSeed uint64, block string) uint64 {
	h := fnv.New64a()
	h.Write([]byte("hessian/" + block))
	return linalg.DeriveSeed(specSeed, h.Sum64())
}

// lastRows caches the rows of the last (source, samples, seed) a worker
// process read: every checkpoint of a series (one element each) averages
// over the same rows, so a process reads them once (MNIST's 60 000 images
// take about 2 s to decode, and every concurrent element held its own copy
// of them).
var lastRows struct {
	sync.Mutex
	key  string
	rows *labelled.Rows
}

// hessianRows returns labelled.ReadSample(ctx, s, samples, seed), read once
// per process for consecutive calls with the same arguments. The rows are
// shared: callers must not modify them.
func hessianRows(ctx context.Context, s labelled.Source, samples int, seed uint64) (*labelled.Rows, error) {
	key := fmt.Sprintf("%+v/%d/%d", s, samples, seed)
	lastRows.Lock()
	defer lastRows.Unlock()
	if lastRows.key == key {
		return lastRows.rows, nil
	}
	lastRows.key, lastRows.rows = "", nil // let the previous rows go before reading
	rows, err := labelled.ReadSample(ctx, s, samples, seed)
	if err != nil {
		return nil, err
	}
	lastRows.key, lastRows.rows = key, rows
	return rows, nil
}

// ProcessElement analyses the checkpoint on the worker pool (concurrent).
func (f *HessianFn) ProcessElement(ctx context.Context, t HessianTask, _ func(HessianEigRow), _ func(HessianDensityRow), _ func(HessianSummaryRow)) error {
	poolCounters(ctx, "rows_read", "shards", HessiansCounter)
	return f.work.Go(func() (hessianOutputs, error) { return f.analyse(ctx, t) })
}

func (f *HessianFn) FinishBundle(emitEig func(HessianEigRow), emitDensity func(HessianDensityRow), emitSummary func(HessianSummaryRow)) error {
	outs, err := f.work.Finish()
	for _, o := range outs {
		for _, r := range o.eigs {
			emitEig(r)
		}
		for _, r := range o.densities {
			emitDensity(r)
		}
		for _, r := range o.summaries {
			emitSummary(r)
		}
	}
	return err
}

func (f *HessianFn) analyse(ctx context.Context, t HessianTask) (out hessianOutputs, err error) {
	emitEig := func(r HessianEigRow) { out.eigs = append(out.eigs, r) }
	emitDensity := func(r HessianDensityRow) { out.densities = append(out.densities, r) }
	emitSummary := func(r HessianSummaryRow) { out.summaries = append(out.summaries, r) }
	start := time.Now()
	rows, err := hessianRows(ctx, f.Data, f.Samples, f.SampleSeed)
	if err != nil {
		return out, err
	}
	ck, err := checkpoints.ReadModel(ctx, t.Path)
	if err != nil {
		return out, err
	}
	m := ck.MLP()
	x := rows.X // shared with the other elements of this process: read only
	n, features := x.Dims()
	classes := m.Sizes[len(m.Sizes)-1]
	if m.Sizes[0] != features {
		return out, fmt.Errorf("%s: the model reads %d features, the data has %d", t.Path, m.Sizes[0], features)
	}
	if rows.MaxLabel >= classes {
		return out, fmt.Errorf("%s: the model has %d classes, the data has label %d", t.Path, classes, rows.MaxLabel)
	}
	if t.InputScale != 1 {
		x = mat.NewDense(n, features, nil)
		x.Scale(1/t.InputScale, rows.X)
	}
	step := HVPShardRows(n)
	var shards []nn.Data
	for lo := 0; lo < n; lo += step {
		hi := min(lo+step, n)
		shards = append(shards, nn.Data{X: x.Slice(lo, hi, 0, features).(*mat.Dense), Y: rows.Y[lo:hi]})
	}
	op, err := hessian.NewCrossEntropy(m, ck.Theta, shards, t.Layer, parallel.Workers())
	if err != nil {
		return out, fmt.Errorf("%s: %w", t.Path, err)
	}
	if op.Dim() != int(t.Params) {
		return out, fmt.Errorf("%s: block %s has %d parameters, the plan saw %d (the file changed?)", t.Path, t.Block, op.Dim(), t.Params)
	}
	res, err := ComputeHessianSpectra(op, HessianOptions{
		Exact: t.Exact, Lanczos: f.Lanczos, SLQ: f.SLQ, Hutchinson: f.Hutchinson,
		TopK: f.TopK, Probes: f.Probes, SLQSteps: f.SLQSteps, DensityGrid: f.DensityGrid, Broadening: f.Broadening,
		MaxOutliers: min(2*classes, f.TopK-1), Seed: HessianBlockSeed(f.Seed, t.Block),
	})
	if err != nil {
		return out, fmt.Errorf("%s: block %s (step %d): %w", t.Path, t.Block, t.Step, err)
	}
	eigs, density, sum := HessianRowsOf(f.RunID, t, res)
	for _, r := range eigs {
		emitEig(r)
	}
	for _, r := range density {
		emitDensity(r)
	}
	sum.Rows, sum.Classes = int64(n), int64(classes)
	sum.Loss, sum.Accuracy = m.Evaluate(ck.Theta, x, rows.Y)
	sum.Seconds = time.Since(start).Seconds()
	emitSummary(sum)
	beam.NewCounter("lowdim", "rows_read").Inc(ctx, int64(rows.Total))
	beam.NewCounter("lowdim", "shards").Inc(ctx, int64(len(shards)))
	beam.NewCounter("lowdim", HessiansCounter).Inc(ctx, 1)
	return out, nil
}

// HessianRowsOf turns the spectra of task t into its table rows (the
// summary without Rows, Classes, Loss, Accuracy and Seconds). Non-finite
// values are NULL.
func HessianRowsOf(runID string, t HessianTask, res *HessianSpectra) ([]HessianEigRow, []HessianDensityRow, HessianSummaryRow) {
	fin := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	var eigs []HessianEigRow
	eig := func(method string, index int, v float64, residual *float64) {
		eigs = append(eigs, HessianEigRow{RunID: runID, Checkpoint: t.Checkpoint, Step: t.Step, Block: t.Block,
			Method: method, Index: int64(index), Eigenvalue: v, Residual: residual})
	}
	sum := HessianSummaryRow{RunID: runID, Checkpoint: t.Checkpoint, Path: t.Path, Step: t.Step, Block: t.Block,
		Params: int64(res.Dim), InputScale: t.InputScale, ScaleRule: t.ScaleRule}
	if ex := res.Exact; ex != nil {
		for i, v := range ex.Top(len(ex.Values)) {
			eig(HessianExactMethod, i+1, v, nil)
		}
		sum.TraceExact, sum.ExactAsymmetry = fin(ex.Trace()), fin(ex.Asymmetry)
		sum.SpectrumMethod, sum.TopEigenvalue = HessianExactMethod, fin(ex.Values[len(ex.Values)-1])
	}
	if lz := res.Lanczos; lz != nil {
		for i, v := range lz.Top {
			eig(HessianLanczosMethod, i+1, v, fin(lz.TopResidual[i]))
		}
		for i, v := range lz.Bottom {
			eig(HessianLanczosMethod, -(i + 1), v, fin(lz.BottomResidual[i]))
		}
		steps, conv := int64(lz.Steps), lz.Converged
		sum.LanczosSteps, sum.LanczosConverged = &steps, &conv
		if sum.SpectrumMethod == "" && len(lz.Top) > 0 {
			sum.SpectrumMethod, sum.TopEigenvalue = HessianLanczosMethod, fin(lz.Top[0])
		}
	}
	var density []HessianDensityRow
	for _, d := range []struct {
		method string
		vals   []float64
	}{{HessianSLQMethod, res.SLQDensity}, {HessianExactMethod, res.ExactDensity}} {
		for i, v := range d.vals {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			density = append(density, HessianDensityRow{RunID: runID, Checkpoint: t.Checkpoint, Step: t.Step, Block: t.Block,
				Method: d.method, X: res.Grid[i], Density: v})
		}
	}
	if res.Grid != nil {
		sum.Broadening = fin(res.Sigma)
	}
	if res.Density != nil {
		p, s := int64(len(res.Density.Quadratures)), int64(0)
		for _, q := range res.Density.Quadratures {
			s = max(s, int64(len(q.Nodes)))
		}
		sum.SLQProbes, sum.SLQSteps = &p, &s
	}
	if tr := res.Trace; tr != nil {
		p := int64(tr.Probes)
		sum.Trace, sum.TraceStderr, sum.TraceProbes = fin(tr.Estimate()), fin(tr.StdErr()), &p
	}
	switch {
	case res.Split != nil:
		k := int64(res.Split.Outliers)
		sum.Outliers, sum.BulkEdge, sum.OutlierGap = &k, fin(res.Split.Edge), fin(res.Split.Gap)
		sum.OutlierRule = fmt.Sprintf("largest ratio gap λk/λk+1 among the top %d %s eigenvalues (k ≤ %d)", res.SplitSeen, res.SplitFrom, res.MaxOutliers)
	case res.SplitFrom != "":
		sum.OutlierRule = "too few eigenvalues for the gap rule"
	default:
		sum.OutlierRule = "not computed (needs exact or lanczos)"
	}
	return eigs, density, sum
}
