package pipelines

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/blocks"
	"github.com/lowdim/lowdim/io/matrix"
)

// Plan is a study resolved against its input: shapes known, parameters
// checked, ready to be built into a pipeline.
type Plan interface {
	// Build adds the study's transforms to the pipeline.
	Build(s beam.Scope)
	// Tables names the tables the study writes.
	Tables() []string
	// Work is how many units of work the workers will finish (the units
	// package internal/progress counts: shards, matrices, trials, training
	// runs, subsamples) and what they are, for the launcher's progress line;
	// 0 when unknown.
	Work() (total int, unit string)
}

// NewPlan resolves spec for a run writing to out. Everything that can be
// checked before the pipeline runs is checked here, so that bad input fails
// fast with a one-line error and no work is started.
func NewPlan(ctx context.Context, spec *experiments.Spec, out, runID string) (Plan, error) {
	switch spec.Study {
	case "spectrum":
		return PlanSpectrum(ctx, spec, out, runID)
	case "phase_transition":
		return PlanPhase(ctx, spec, out, runID)
	case "intrinsic_dim":
		return PlanIntrinsic(ctx, spec, out, runID)
	case "rank_dynamics":
		return PlanRankDynamics(ctx, spec, out, runID)
	case "landscape":
		return PlanLandscape(ctx, spec, out, runID)
	default:
		return nil, fmt.Errorf("%s: study %q is not implemented yet (available: spectrum, landscape, phase_transition)", spec.File, spec.Study)
	}
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

// datasetName is a file's base name without its data extensions.
func datasetName(p string) string {
	base := path.Base(strings.ReplaceAll(p, "\\", "/"))
	for _, ext := range []string{".gz", ".npy", ".npz", ".csv", ".tsv", ".txt", ".parquet", ".safetensors"} {
		base = strings.TrimSuffix(base, ext)
	}
	return base
}

// RunsTable is the table of runs, one row per run, written by the launcher.
const RunsTable = "runs"

// RunRow is a row of the `runs` table (design §3).
type RunRow struct {
	RunID         string    `parquet:"run_id"`
	Study         string    `parquet:"study"`
	Name          string    `parquet:"name"`
	Spec          string    `parquet:"spec"` // the spec with defaults, as JSON
	Seed          uint64    `parquet:"seed"`
	Runner        string    `parquet:"runner"`
	LowdimVersion string    `parquet:"lowdim_version"`
	StartedAt     time.Time `parquet:"started_at,timestamp(millisecond)"`
	FinishedAt    time.Time `parquet:"finished_at,timestamp(millisecond)"`
	RowsRead      int64     `parquet:"rows_read"`
	Shards        int64     `parquet:"shards"`
	BadRows       int64     `parquet:"bad_rows"`
}
