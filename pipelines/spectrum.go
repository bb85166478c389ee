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
}

// Spectrum reads the matrix in row shards, sketches each shard by randomized
// SVD, merges the sketches exactly into the global top-k spectrum, computes
// the spectral metrics and stages the `spectrum` and `spectrum_summary` tables.
func Spectrum(s beam.Scope, plan SpectrumPlan) {
	s = s.Scope("Spectrum")
	p := plan.Params
	l := p.K + p.Oversample
	// Compacting merges to Keep = max(l, cols) rows keeps them exact whenever the shards are.
	keep := max(l, plan.Cols)
	rows := blocks.Read(s, plan.Read, plan.Ranges)
	sketches := beam.ParDo(s, &transforms.SketchBlockFn{
		Cols: plan.Cols, K: p.K, Oversample: p.Oversample, PowerIters: p.PowerIters,
		Seed: plan.Seed, Center: p.Center, Keep: keep,
	}, rows)
	merged := beam.Combine(s, &transforms.MergeSketchFn{Cols: plan.Cols, Center: p.Center, Keep: keep}, sketches)
	sigma, summary := beam.ParDo2(s, &transforms.SpectrumMetricsFn{
		RunID: plan.RunID, Dataset: plan.Dataset, K: p.K, Shards: len(plan.Ranges),
		CodingRateEps: p.CodingRateEps, AlphaFirst: p.AlphaRange[0], AlphaLast: p.AlphaRange[1],
	}, merged)
	tables.Write(s, plan.Out, plan.RunID, SpectrumTable, 1, sigma)
	tables.Write(s, plan.Out, plan.RunID, SpectrumSummaryTable, 1, summary)
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
	src, err := matrix.Open(ctx, read.Path, read.Options)
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
	return &SpectrumPlan{
		RunID: runID, Out: out, Dataset: dataset, Read: read,
		Rows: rows, Cols: cols, Ranges: blocks.PlanSource(src, spec.Input.ShardRows),
		Params: params, Seed: spec.Seed,
	}, nil
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

// Work implements Plan: the row shards.
func (p *SpectrumPlan) Work() (int, string) { return len(p.Ranges), "shards" }

// Tables implements Plan.
func (p *SpectrumPlan) Tables() []string { return []string{SpectrumTable, SpectrumSummaryTable} }
