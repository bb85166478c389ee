// Package pipelines builds one Beam pipeline per study. A builder is
// composition only: io readers, transforms, io sinks.
package pipelines

import (
	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/blocks"
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
