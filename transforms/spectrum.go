// Package transforms holds lowdim's Beam DoFns and CombineFns: thin wrappers
// that move elements in and out of the pure kernels of package linalg.
package transforms

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/trace"
	"strings"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/internal/parallel"
	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/linalg"
)

func init() {
	register.Emitter1[linalg.RowSketch]()
	register.Emitter1[linalg.RowQR]()
	beam.RegisterDoFn(&SketchBlockFn{})
	beam.RegisterDoFn(&MergeSketchFn{})
	beam.RegisterDoFn(&OnePassSpectrumFn{})
	beam.RegisterDoFn(&ExactBlockFn{})
	beam.RegisterDoFn(&MergeRowQRFn{})
	beam.RegisterDoFn(&ExactSpectrumFn{})
	beam.RegisterDoFn(&FirstBasisFn{})
	beam.RegisterDoFn(&PassTasksFn{})
	beam.RegisterDoFn(&PassShardFn{})
	register.Emitter1[PassTask]()
	register.Emitter1[PassOutput]()
	registerFloatCoder(encodePassTask, decodePassTask)
	registerFloatCoder(encodePassOutput, decodePassOutput)
	registerFloatCoder(encodePassBasis, decodePassBasis)
	beam.RegisterDoFn(&MergePassFn{})
	beam.RegisterDoFn(&NextBasisFn{})
	beam.RegisterDoFn(&PassSpectrumFn{})
	register.Emitter1[SpectrumRow]()
	register.Emitter1[SpectrumSummaryRow]()
	beam.RegisterType(typeOf[linalg.RowSketch]())
	beam.RegisterType(typeOf[linalg.RowQR]())
	beam.RegisterType(typeOf[linalg.PassPartial]())
	beam.RegisterType(typeOf[linalg.MultiPass]())
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

	work concurrent[linalg.RowSketch]
}

// ProcessElement sketches the block on the worker pool (concurrent).
func (f *SketchBlockFn) ProcessElement(b blocks.Block, emit func(linalg.RowSketch)) error {
	b = ownBlock(b)
	defer emitReady(&f.work, emit)
	return f.work.Go(func() (linalg.RowSketch, error) { return f.sketch(b) })
}

func (f *SketchBlockFn) FinishBundle(emit func(linalg.RowSketch)) error {
	return emitAll(&f.work, emit)
}

func (f *SketchBlockFn) sketch(b blocks.Block) (linalg.RowSketch, error) {
	sk := linalg.NewRowSketch(f.Cols, f.Center, f.Keep)
	if b.Rows == 0 {
		return *sk, nil
	}
	k := min(f.K, b.Rows, b.Cols)
	opts := linalg.RSVDOptions{K: k, Oversample: f.Oversample, PowerIters: f.PowerIters, Seed: linalg.DeriveSeed(f.Seed, uint64(b.Start))}
	if err := sk.AddBlock(mat.NewDense(b.Rows, b.Cols, b.Data), opts); err != nil {
		return linalg.RowSketch{}, fmt.Errorf("%s: rows %d–%d: %w", b.Path, b.Start+1, b.Start+b.RowsInput, err)
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

func (f *MergeSketchFn) AddInput(acc, in linalg.RowSketch) (linalg.RowSketch, error) {
	return f.MergeAccumulators(acc, in)
}

func (f *MergeSketchFn) MergeAccumulators(a, b linalg.RowSketch) (linalg.RowSketch, error) {
	if err := a.Merge(&b); err != nil {
		return linalg.RowSketch{}, fmt.Errorf("merge sketches: %w", err)
	}
	return a, nil
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
	RunID   string `parquet:"run_id"`
	Dataset string `parquet:"dataset"`
	// Method is the method that ran: exact, randomized or one_pass.
	Method string `parquet:"method"`
	// Reads is how many times every row was read (randomized: q + 2).
	Reads      int64   `parquet:"reads"`
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
	// ErrorEstimate bounds σᵢ(A)² − σ̂ᵢ² ≥ 0 for every i: 0 for exact, the
	// residual ‖A − AXXᵀ‖_F² of the final basis X for randomized, the energy
	// dropped by truncating shards and merges for one_pass.
	ErrorEstimate float64 `parquet:"error_estimate"`
	// RelativeError is sqrt(ErrorEstimate)/‖A‖_F.
	RelativeError float64 `parquet:"relative_error"`
	// Class geometry of the labelled rows (input.label_column; NULL without
	// one), in nats, with coding_rate_eps (classgeom.Geometry; see
	// ClassRates): R(Z, ε), Rc, ΔR = R − Rc and the centroid nuclear norm.
	CodingRateTotal     *float64 `parquet:"coding_rate_total,optional"`
	CodingRateClasses   *float64 `parquet:"coding_rate_classes,optional"`
	RateReduction       *float64 `parquet:"rate_reduction,optional"`
	CentroidNuclearNorm *float64 `parquet:"centroid_nuclear_norm,optional"`
}

// SpectrumMetrics turns a finished spectrum into the rows of the spectrum
// tables; each method's last DoFn embeds it.
type SpectrumMetrics struct {
	RunID, Dataset string
	Method         string // the params.method that ran: exact, randomized or one_pass
	K              int
	Shards         int
	CodingRateEps  float64
	AlphaFirst     int
	AlphaLast      int
}

func (f *SpectrumMetrics) emit(res *linalg.SpectrumResult, emitSigma func(SpectrumRow), emitSummary func(SpectrumSummaryRow)) {
	sigma := res.Sigma
	if len(sigma) > f.K {
		sigma = sigma[:f.K]
	}
	for i, s := range sigma {
		emitSigma(SpectrumRow{RunID: f.RunID, Dataset: f.Dataset, Index: int64(i + 1), Sigma: s, ExplainedVarianceRatio: safeDiv(s*s, res.FrobSq)})
	}
	emitSummary(f.Summarize(res, sigma))
}

// Summarize computes the summary metrics of a spectrum whose top singular
// values are sigma.
func (f *SpectrumMetrics) Summarize(res *linalg.SpectrumResult, sigma []float64) SpectrumSummaryRow {
	row := SpectrumSummaryRow{
		RunID: f.RunID, Dataset: f.Dataset, Method: f.Method, Reads: int64(res.Reads),
		Rows: res.Rows, Cols: int64(res.Cols), K: int64(len(sigma)),
		Shards: int64(f.Shards), Centered: res.Centered,
		FrobeniusNorm: math.Sqrt(res.FrobSq),
		CodingRateEps: f.CodingRateEps, ErrorEstimate: res.ResidualSq, RelativeError: math.Sqrt(safeDiv(res.ResidualSq, res.FrobSq)),
	}
	if len(sigma) == 0 {
		return row
	}
	m := ComputeSpectralMetrics(sigma, res.FrobSq, f.AlphaFirst, f.AlphaLast)
	row.RankMe, row.StableRank, row.SpectralNorm, row.NuclearNorm, row.SpectralEntropy = m.RankMe, m.StableRank, m.SpectralNorm, m.NuclearNorm, m.SpectralEntropy
	row.AlphaReQ, row.AlphaReQR2 = m.AlphaReQ, m.AlphaReQR2
	row.EnergyRank90, row.EnergyRank95, row.EnergyRank99 = m.EnergyRank90, m.EnergyRank95, m.EnergyRank99
	row.CodingRate = linalg.CodingRate(sigma, int(res.Rows), res.Cols, f.CodingRateEps)
	return row
}

// OnePassSpectrumFn finishes the one-pass method: the merged sketch's spectrum.
type OnePassSpectrumFn struct{ SpectrumMetrics }

func (f *OnePassSpectrumFn) ProcessElement(sk linalg.RowSketch, emitSigma func(SpectrumRow), emitSummary func(SpectrumSummaryRow)) error {
	res, err := linalg.OnePassResult(&sk)
	if err != nil {
		return err
	}
	f.emit(res, emitSigma, emitSummary)
	return nil
}

// ExactBlockFn summarises one row block by the R factor of its QR
// (linalg.RowQR): exact, O(Cols²) whatever the block's rows.
type ExactBlockFn struct {
	Cols   int
	Center bool

	work concurrent[linalg.RowQR]
}

// ProcessElement factors the block on the worker pool (concurrent).
func (f *ExactBlockFn) ProcessElement(b blocks.Block, emit func(linalg.RowQR)) error {
	b = ownBlock(b)
	defer emitReady(&f.work, emit)
	return f.work.Go(func() (linalg.RowQR, error) { return f.factor(b) })
}

func (f *ExactBlockFn) FinishBundle(emit func(linalg.RowQR)) error {
	return emitAll(&f.work, emit)
}

func (f *ExactBlockFn) factor(b blocks.Block) (linalg.RowQR, error) {
	q := linalg.NewRowQR(f.Cols, f.Center)
	if b.Rows == 0 {
		return *q, nil
	}
	if err := q.AddBlock(mat.NewDense(b.Rows, b.Cols, b.Data)); err != nil {
		return linalg.RowQR{}, fmt.Errorf("%s: rows %d–%d: %w", b.Path, b.Start+1, b.Start+b.RowsInput, err)
	}
	return *q, nil
}

// MergeRowQRFn merges row-block QR factors exactly (TSQR; linalg.RowQR.Merge).
type MergeRowQRFn struct {
	Cols   int
	Center bool
}

func (f *MergeRowQRFn) CreateAccumulator() linalg.RowQR { return *linalg.NewRowQR(f.Cols, f.Center) }

func (f *MergeRowQRFn) AddInput(acc, in linalg.RowQR) (linalg.RowQR, error) {
	return f.MergeAccumulators(acc, in)
}

func (f *MergeRowQRFn) MergeAccumulators(a, b linalg.RowQR) (linalg.RowQR, error) {
	if err := a.Merge(&b); err != nil {
		return linalg.RowQR{}, fmt.Errorf("merge QR factors: %w", err)
	}
	return a, nil
}

func (f *MergeRowQRFn) ExtractOutput(a linalg.RowQR) linalg.RowQR { return a }

// ExactSpectrumFn finishes the exact method: the SVD of the merged R.
type ExactSpectrumFn struct{ SpectrumMetrics }

func (f *ExactSpectrumFn) ProcessElement(q linalg.RowQR, emitSigma func(SpectrumRow), emitSummary func(SpectrumSummaryRow)) error {
	res, err := q.Finish()
	if err != nil {
		return err
	}
	f.emit(res, emitSigma, emitSummary)
	return nil
}

// FirstBasisFn emits the basis of the randomized method's first pass,
// X₀ = orth(Ω), Ω the one global test matrix seeded by the spec.
type FirstBasisFn struct{ MP linalg.MultiPass }

func (f *FirstBasisFn) ProcessElement(_ []byte) linalg.PassBasis { return *f.MP.FirstBasis() }

// PassTask is a share of a pass of the randomized method: shard ranges and
// the pass's basis.
type PassTask struct {
	Ranges []blocks.Range
	Basis  linalg.PassBasis
}

// PassTasksFn fans a pass's basis out with the shard ranges. A remote
// worker (parallel.PerBundle: Dataflow, Flink, a job server's worker pool)
// gets one task per shard, so that the runner spreads the shards over its
// workers. A process that runs every bundle on one pool (Prism in process)
// gets one task with every range, run concurrently by PassShardFn: the
// basis (n × l, ~1 MB at n = 4,096) then crosses Prism once per pass
// instead of once per shard, which Prism moves slowly (from the basis to
// the shards' start: 40 → 10 ms per pass with 5 shards).
type PassTasksFn struct{ Ranges []blocks.Range }

func (f *PassTasksFn) ProcessElement(basis linalg.PassBasis, emit func(PassTask)) {
	if !parallel.PerBundle() {
		emit(PassTask{Ranges: f.Ranges, Basis: basis})
		return
	}
	for _, r := range f.Ranges {
		emit(PassTask{Ranges: []blocks.Range{r}, Basis: basis})
	}
}

// PassOutput is a pass's partial product with the header of the basis it
// was computed from, which the next pass's orthonormalisation checks; the
// basis's X (n × l, as large as the product) comes along only in the final
// pass, whose Finish needs it (V = X·W). Halving a power pass's output
// shortened the step from its last shard to the next basis from 33 to
// 15 ms on the 20,000 × 4,096 benchmark (Prism moves ~1 MB elements slowly).
type PassOutput struct {
	Basis   linalg.PassBasis
	Partial linalg.PassPartial
}

// PassShardFn reads one shard and multiplies it by the pass's basis: a
// power pass returns CᵢᵀCᵢX, the final pass the TSQR factor of CᵢX. Shards,
// or in one process their pieces (passJobs), run concurrently on the worker
// pool (concurrent); their partials are merged in the order the task lists
// them (PassPartial.Absorb) into one output per bundle, so a pass encodes
// one partial per bundle, not one per piece.
type PassShardFn struct {
	RunID string // scopes the cached readers to this run (shardReaders)
	Read  blocks.Config

	work concurrent[PassOutput]
	sum  PassOutput // the bundle's partials merged so far
	have bool       // whether sum holds any
}

// ProcessElement starts the task's jobs and merges those already done, in
// the order they were started; FinishBundle emits the sum (emit declares
// the output).
func (f *PassShardFn) ProcessElement(ctx context.Context, t PassTask, _ func(PassOutput)) error {
	poolCounters(ctx, blocks.ReadCounters()...)
	for _, r := range t.Ranges {
		for _, job := range passJobs(r, t.Basis.Cols) {
			if err := f.shard(ctx, job, r.End, t.Basis); err != nil {
				return err
			}
			if err := f.fold(f.work.Ready()); err != nil {
				return err
			}
		}
	}
	return nil
}

// fold merges outputs, in order, into the bundle's sum.
func (f *PassShardFn) fold(outs []PassOutput) error {
	for _, o := range outs {
		if !f.have {
			f.sum, f.have = o, true
			continue
		}
		if err := f.sum.Partial.Absorb(&o.Partial); err != nil {
			return fmt.Errorf("merge pass partials: %w", err)
		}
	}
	return nil
}

// passPieceBytes is the size, as float64 values, of the pieces a pass
// multiplies float32 data in (2,048 rows of 4,096 columns): they are read in
// place, so their size costs no memory, and every piece pays O(n·l) work
// (its partial sum, its conversion and merge, the packing of X) that 512-row
// pieces made 9% of the CPU time of a 20,000 × 4,096 spectrum. Decoded
// inputs keep blocks.PieceBytes. (A variable only so that tests can cut
// small matrices into many pieces.)
var passPieceBytes = 64 << 20

// passJobs cuts a shard range into the ranges the pool computes at once: in
// one process (every shard of the pass in one task), a binary range is cut
// into pieces (passPieceBytes) so that the cores stay busy to the end of a
// pass instead of waiting on its last shard (5 shards on 2 cores: one core
// idles for a fifth of a pass). Remote workers, which run one bundle per
// core, and text ranges (parsed from their start) keep whole shards.
func passJobs(r blocks.Range, cols int) []blocks.Range {
	if parallel.PerBundle() || r.At.Line > 0 || cols <= 0 {
		return []blocks.Range{r}
	}
	rows := max(1, passPieceBytes/(8*cols))
	var jobs []blocks.Range
	for start := r.Start; start < r.End; start += rows {
		job := r
		job.Start, job.End = start, min(r.End, start+rows)
		jobs = append(jobs, job)
	}
	if len(jobs) == 0 {
		return []blocks.Range{r}
	}
	return jobs
}

// shard starts the pass's product of the rows of rg, a shard range or a
// piece of one ending at shardEnd (the piece that ends the shard counts the
// shard's read).
func (f *PassShardFn) shard(ctx context.Context, rg blocks.Range, shardEnd int, basis linalg.PassBasis) error {
	return f.work.Go(func() (PassOutput, error) {
		if trace.IsEnabled() { // LOWDIM_TRACE: one region per shard and pass
			defer trace.StartRegion(ctx, fmt.Sprintf("pass %d rows %d–%d", basis.Pass, rg.Start+1, rg.End)).End()
		}
		sr := shardReaders.get(f.RunID, f.Read)
		defer shardReaders.put(f.RunID, f.Read, sr)
		out := PassOutput{Basis: basis}
		if !basis.Final {
			out.Basis.X = nil // Next needs only the pass's header; Finish needs X
		}
		// Float32 data are read in place (the mapped file) and multiplied
		// as stored or widened (Process32). The first pass checks the values
		// through its products instead of scanning them: a NaN or ±Inf in a
		// row makes every entry of its piece's partial non-finite (NaN·0 and
		// Inf − Inf are NaN), and such a piece is read again with its values
		// checked, for the error naming the row. Later passes rely on the
		// first (a NaN written into the file since would still make the
		// pass's product non-finite: MultiPass.Next).
		sr.Checked = true
		var bad *blocks.Range
		next := rg.Start
		total, ok, err := sr.ReadEachFloat32(ctx, rg, passPieceBytes, func(rows, cols int, data []float32) error {
			piece := rg
			piece.Start, piece.End = next, next+rows
			next += rows
			p, err := basis.Process32(rows, cols, data)
			if err != nil {
				return fmt.Errorf("%s: pass %d: %w", f.Read.Path, basis.Pass+1, err)
			}
			if basis.Pass == 0 && !p.Finite() {
				bad = &piece
				return errNonFinitePiece
			}
			return out.Partial.Absorb(p)
		})
		if ok {
			if bad != nil {
				return PassOutput{}, f.nonFinite(ctx, sr, *bad)
			}
			if err != nil {
				return PassOutput{}, err
			}
			countRead(ctx, total, rg.End == shardEnd)
			return out, nil
		}
		sr.Checked = basis.Pass > 0
		total, err = sr.ReadEach(ctx, rg, blocks.PieceBytes, func(b blocks.Block) error {
			if b.Rows == 0 {
				return nil
			}
			p, err := basis.Process(mat.NewDense(b.Rows, b.Cols, b.Data))
			if err != nil {
				return fmt.Errorf("%s: rows %d–%d, pass %d: %w", b.Path, b.Start+1, b.Start+b.RowsInput, basis.Pass+1, err)
			}
			return out.Partial.Absorb(p)
		})
		if err != nil {
			return PassOutput{}, err
		}
		countRead(ctx, total, rg.End == shardEnd)
		return out, nil
	})
}

// errNonFinitePiece stops a first pass at a piece whose partial is not
// finite (PassShardFn.nonFinite reports it).
var errNonFinitePiece = errors.New("non-finite piece")

// nonFinite returns the error for a piece of float32 rows whose partial is
// not finite: the reader's, naming the row of the first NaN or ±Inf, or,
// when every value is finite (a product that overflowed), one naming the
// rows.
func (f *PassShardFn) nonFinite(ctx context.Context, sr *blocks.ShardReader, piece blocks.Range) error {
	sr.Checked = false
	_, _, err := sr.ReadEachFloat32(ctx, piece, passPieceBytes, func(int, int, []float32) error { return nil })
	if err != nil {
		return err
	}
	return fmt.Errorf("%s: rows %d–%d: the first pass's product is not finite (values too large?)", f.Read.Path, piece.Start+1, piece.End)
}

// countRead counts a job's rows, and its shard when the job ends it.
func countRead(ctx context.Context, b blocks.Block, endsShard bool) {
	if endsShard {
		blocks.CountRead(ctx, b)
	} else {
		blocks.CountRows(ctx, b)
	}
}

func (f *PassShardFn) FinishBundle(emit func(PassOutput)) error {
	outs, err := f.work.Finish()
	if err == nil {
		err = f.fold(outs)
	}
	sum, have := f.sum, f.have
	f.sum, f.have = PassOutput{}, false
	if err != nil {
		return err
	}
	if have {
		emit(sum)
	}
	return nil
}

// shardReaders keeps the shard readers of the randomized passes (each with
// its open file and its shard buffer) for the next shard and the next pass,
// at most parallel.Workers() per input: every pass re-reads the same file,
// so a run allocates its shard buffers once, not once per shard (a
// sync.Pool would drop them at every collection, and a 4,096 × 4,096 shard
// is 134 MB).
var shardReaders = readerCache{free: map[string][]*blocks.ShardReader{}}

type readerCache struct {
	mu   sync.Mutex
	free map[string][]*blocks.ShardReader
}

func readerKey(runID string, cfg blocks.Config) string {
	return runID + "\x00" + fmt.Sprintf("%#v", cfg)
}

func (c *readerCache) get(runID string, cfg blocks.Config) *blocks.ShardReader {
	key := readerKey(runID, cfg)
	c.mu.Lock()
	defer c.mu.Unlock()
	if rs := c.free[key]; len(rs) > 0 {
		c.free[key] = rs[:len(rs)-1]
		return rs[len(rs)-1]
	}
	return &blocks.ShardReader{Config: cfg}
}

func (c *readerCache) put(runID string, cfg blocks.Config, r *blocks.ShardReader) {
	key := readerKey(runID, cfg)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.free[key]) < parallel.Workers() {
		c.free[key] = append(c.free[key], r)
	}
}

// drop forgets the readers of run runID (its last pass has been merged), so
// a process that runs several pipelines neither holds their buffers nor
// reads a later file of the same name through an earlier run's header.
func (c *readerCache) drop(runID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key := range c.free {
		if strings.HasPrefix(key, runID+"\x00") {
			delete(c.free, key)
		}
	}
}

// MergePassFn sums the partials of one pass (linalg.PassPartial.Merge) and
// keeps the pass's basis (Cols is 0 in an accumulator that has none yet).
type MergePassFn struct{}

func (f *MergePassFn) CreateAccumulator() PassOutput { return PassOutput{} }

func (f *MergePassFn) AddInput(acc, in PassOutput) (PassOutput, error) {
	return f.MergeAccumulators(acc, in)
}

func (f *MergePassFn) MergeAccumulators(a, b PassOutput) (PassOutput, error) {
	if a.Basis.Cols == 0 {
		a.Basis = b.Basis
	}
	// a's sums are the accumulator's own (its first Merge copied them), so
	// the next partials are added in place instead of into a new n×l sum.
	merge := a.Partial.Merge
	if a.Partial.Rows > 0 {
		merge = a.Partial.Absorb
	}
	if err := merge(&b.Partial); err != nil {
		return PassOutput{}, fmt.Errorf("merge pass partials: %w", err)
	}
	return a, nil
}

// NextBasisFn re-orthonormalises a pass's merged product into the next
// pass's basis. With SkipBadRows the row count is that of the first pass.
type NextBasisFn struct {
	MP          linalg.MultiPass
	SkipBadRows bool
}

func (f *NextBasisFn) ProcessElement(merged PassOutput) (linalg.PassBasis, error) {
	mp := f.MP
	if f.SkipBadRows {
		mp.Rows = merged.Partial.Rows
	}
	next, err := mp.Next(&merged.Basis, &merged.Partial)
	if err != nil {
		return linalg.PassBasis{}, err
	}
	return *next, nil
}

// PassSpectrumFn finishes the randomized method from its final pass.
type PassSpectrumFn struct {
	SpectrumMetrics
	MP          linalg.MultiPass
	SkipBadRows bool
}

func (f *PassSpectrumFn) ProcessElement(merged PassOutput, emitSigma func(SpectrumRow), emitSummary func(SpectrumSummaryRow)) error {
	mp := f.MP
	if f.SkipBadRows {
		mp.Rows = merged.Partial.Rows
	}
	shardReaders.drop(f.RunID)
	res, err := mp.Finish(&merged.Basis, &merged.Partial)
	if err != nil {
		return err
	}
	f.emit(res, emitSigma, emitSummary)
	return nil
}

func safeDiv(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}
