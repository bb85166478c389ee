// Package pipelines builds one Beam pipeline per study. A builder is
// composition only: io readers, transforms, io sinks.
package pipelines

import (
	"context"
	"fmt"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/linalg"
	"github.com/lowdim/lowdim/transforms"
)

// Spectrum tables.
const (
	SpectrumTable        = "spectrum"
	SpectrumSummaryTable = "spectrum_summary"
)

// SpectrumPlan is everything the spectrum pipeline needs, resolved by the
// launcher before the pipeline runs (so bad input fails before any work).
type SpectrumPlan struct {
	RunID   string
	Out     string
	Dataset string
	Read    blocks.Config
	Rows    int
	Cols    int
	Ranges  []blocks.Range
	Params  experiments.SpectrumParams
	Seed    uint64
	// Method is the method that runs (params.method with auto resolved).
	Method string
	// MultiPass is the randomized method's plan (Method randomized).
	MultiPass linalg.MultiPass
	// LabelColumn is input.label_column: set, the class geometry runs too.
	LabelColumn string
}

// Spectrum reads the matrix in row shards, computes its spectrum by the
// plan's method, the spectral metrics, and stages the `spectrum` and
// `spectrum_summary` tables. Every method's merge is exact or a global
// multi-pass algorithm, so the answer does not depend on the sharding,
// except one_pass, which reports its error bound.
func Spectrum(s beam.Scope, plan SpectrumPlan) {
	s = s.Scope("Spectrum")
	p := plan.Params
	metrics := transforms.SpectrumMetrics{
		RunID: plan.RunID, Dataset: plan.Dataset, Method: plan.Method, K: p.K, Shards: len(plan.Ranges),
		CodingRateEps: p.CodingRateEps, AlphaFirst: p.AlphaRange[0], AlphaLast: p.AlphaRange[1],
	}
	var sigma, summary beam.PCollection
	// The read of the exact and one-pass methods carries the rows' labels
	// when input.label_column is set, for the class geometry (spectrum_classes.go).
	var labelled beam.PCollection
	read := func() beam.PCollection {
		if !labelled.IsValid() {
			labelled = blocks.Read(s, plan.labelledRead(), plan.Ranges)
		}
		return labelled
	}
	switch plan.Method {
	case experiments.SpectrumExact:
		factors := beam.ParDo(s, &transforms.ExactBlockFn{Cols: plan.Cols, Center: p.Center}, read())
		merged := beam.Combine(s, &transforms.MergeRowQRFn{Cols: plan.Cols, Center: p.Center}, factors)
		sigma, summary = beam.ParDo2(s, &transforms.ExactSpectrumFn{SpectrumMetrics: metrics}, merged)
	case experiments.SpectrumRandomized:
		sigma, summary = randomizedSpectrum(s, plan, metrics)
	default:
		sigma, summary = onePassSpectrum(s, plan, metrics, read())
	}
	if plan.LabelColumn != "" {
		summary = spectrumClasses(s, plan, read(), summary)
	}
	tables.Write(s, plan.Out, plan.RunID, SpectrumTable, 1, sigma)
	tables.Write(s, plan.Out, plan.RunID, SpectrumSummaryTable, 1, summary)
}

// randomizedSpectrum is Halko–Martinsson–Tropp subspace iteration with one
// global test matrix: each pass sends the pass's n × l basis with every
// shard's range, re-reads the shard and multiplies it by the basis, sums the
// products in a Combine and re-orthonormalises them into the next basis;
// the final pass factors A·X by TSQR. With the Gram schedule (MultiPass.Gram)
// the first read sums AᵀA instead and the power iterations run in NextBasisFn:
// two reads. The arithmetic is the single-machine
// algorithm's whatever the sharding (linalg.MultiPass). No pass uses a side
// input, so a shard's read and product are one fused step (and Prism's
// scheduler does not poll a waiting side-input stage).
func randomizedSpectrum(s beam.Scope, plan SpectrumPlan, metrics transforms.SpectrumMetrics) (sigma, summary beam.PCollection) {
	mp, skip := plan.MultiPass, plan.Read.SkipBadRows
	basis := beam.ParDo(s, &transforms.FirstBasisFn{MP: mp}, beam.Impulse(s))
	for pass := 0; pass < mp.Reads(); pass++ {
		ps := s.Scope(fmt.Sprintf("Pass%d", pass+1))
		tasks := beam.ParDo(ps, &transforms.PassTasksFn{Ranges: plan.Ranges}, basis)
		if !InProcessWorkers {
			// Remote workers get one task per shard (PassTasksFn), which
			// the Reshuffle spreads over them. In process the one task
			// runs its shards on the pool where the basis was made: no
			// stage between (20,000 × 4,096 f32: 2.88 → 2.60 s).
			tasks = beam.Reshuffle(ps, tasks)
		}
		partials := beam.ParDo(ps, &transforms.PassShardFn{RunID: plan.RunID, Read: plan.Read}, tasks)
		merged := beam.Combine(ps, &transforms.MergePassFn{}, partials)
		if pass == mp.Reads()-1 {
			return beam.ParDo2(ps, &transforms.PassSpectrumFn{SpectrumMetrics: metrics, MP: mp, SkipBadRows: skip}, merged)
		}
		basis = beam.ParDo(ps, &transforms.NextBasisFn{MP: mp, SkipBadRows: skip}, merged)
	}
	panic("unreachable: a randomized plan makes at least two reads")
}

// onePassSpectrum stacks each shard's truncated randomized SVD and merges
// the stacks: one read, approximate (design §4).
func onePassSpectrum(s beam.Scope, plan SpectrumPlan, metrics transforms.SpectrumMetrics, first beam.PCollection) (sigma, summary beam.PCollection) {
	p := plan.Params
	l := p.K + p.Oversample
	// Compacting merges to Keep = max(l, cols) rows keeps them exact whenever the shards are.
	keep := max(l, plan.Cols)
	sketches := beam.ParDo(s, &transforms.SketchBlockFn{
		Cols: plan.Cols, K: p.K, Oversample: p.Oversample, PowerIters: p.PowerIters,
		Seed: plan.Seed, Center: p.Center, Keep: keep,
	}, first)
	merged := beam.Combine(s, &transforms.MergeSketchFn{Cols: plan.Cols, Center: p.Center, Keep: keep}, sketches)
	return beam.ParDo2(s, &transforms.OnePassSpectrumFn{SpectrumMetrics: metrics}, merged)
}

// PlanSpectrum opens the input matrix (header only where the format allows),
// checks k against its shape and splits it into row shards.
func PlanSpectrum(ctx context.Context, spec *experiments.Spec, out, runID string) (*SpectrumPlan, error) {
	params, err := spec.SpectrumParams()
	if err != nil {
		return nil, err
	}
	read := blocks.Config{
		Path:        spec.Input.Path,
		Options:     MatrixOptions(spec.Input),
		SkipBadRows: spec.Input.OnBadRows == "skip",
	}
	src, err := read.Open(ctx)
	if err != nil {
		return nil, err
	}
	rows, cols := src.Rows(), src.Cols()
	if params.K > min(rows, cols) {
		return nil, fmt.Errorf("%s: params.k = %d exceeds min(rows, cols) = min(%d, %d) of %s", spec.File, params.K, rows, cols, read.Path)
	}
	dataset := spec.Input.Dataset
	if dataset == "" {
		dataset = datasetName(read.Path)
	}
	plan := &SpectrumPlan{
		RunID: runID, Out: out, Dataset: dataset, Read: read,
		Rows: rows, Cols: cols, Ranges: blocks.PlanSource(src, spec.Input.ShardRows),
		Params: params, Seed: spec.Seed, Method: params.MethodFor(cols),
		LabelColumn: spec.Input.LabelColumn,
	}
	if plan.Method == experiments.SpectrumRandomized {
		mp, err := linalg.NewMultiPass(int64(rows), cols, linalg.MultiPassOptions{
			K: params.K, Oversample: params.Oversample, PowerIters: params.PowerIters,
			Seed: spec.Seed, Key: 0, Centered: params.Center,
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", spec.File, err)
		}
		plan.MultiPass = *mp
	}
	return plan, nil
}

// MatrixOptions translates a spec's input keys into reader options:
// input.column names the tensor of a safetensors or npz file and the list
// column of a Parquet file; input.label_column is dropped from the matrix.
func MatrixOptions(in experiments.Input) matrix.Options {
	opts := matrix.Options{Format: in.Format, Delimiter: in.Delimiter, Columns: in.Columns}
	switch in.Format {
	case "safetensors", "npz":
		opts.Tensor = in.Column
	default:
		opts.Column = in.Column
	}
	if in.LabelColumn != "" {
		opts.DropColumns = []string{in.LabelColumn}
	}
	return opts
}

// Build implements Plan.
func (p *SpectrumPlan) Build(s beam.Scope) { Spectrum(s, *p) }

// Work implements Plan: the row shards, read once per pass.
func (p *SpectrumPlan) Work() Work {
	if p.Method == experiments.SpectrumRandomized {
		return Work{Total: len(p.Ranges) * p.MultiPass.Reads(), Unit: "shard reads", Counter: blocks.ShardsCounter}
	}
	return Work{Total: len(p.Ranges), Unit: "shards", Counter: blocks.ShardsCounter}
}

// Tables implements Plan.
func (p *SpectrumPlan) Tables() []string {
	return append([]string{SpectrumTable, SpectrumSummaryTable}, p.classTables()...)
}
