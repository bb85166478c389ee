package pipelines

import (
	"path"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/io/format"
)

// Plan is a study resolved against its input: shapes known, parameters
// checked, ready to be built into a pipeline.
type Plan interface {
	// Build adds the study's transforms to the pipeline.
	Build(s beam.Scope)
	// Tables names the tables the study writes.
	Tables() []string
	// Work says what the launcher's progress line counts.
	Work() Work
}

// Work is what the launcher's progress line counts while a job runs: the
// units of work the workers finish (shards, matrices, trials, training
// runs, subsamples, Hessians), each counted by a Beam counter in namespace
// ProgressNamespace that the DoFn finishing the unit increments by one, and
// for units that take long, the steps inside them (optimizer steps of a
// training run). The launcher polls the counters from the job service, so
// in-process and remote runs show the same progress.
type Work struct {
	Total   int    // units the workers will finish; 0 when unknown
	Unit    string // what they are, plural, as printed ("shards")
	Counter string // the counter of finished units
	// NoRowRate leaves the rate of rows read out of the line, for units
	// whose work does not follow the rows they read (a Hessian over a
	// subsample reads the whole data set).
	NoRowRate bool

	// Steps, when > 0, is how many steps the units take in all, counted
	// by StepCounter and printed as StepUnit.
	Steps       int64
	StepUnit    string
	StepCounter string
}

// InProcessWorkers declares, before Build, that the pipeline will run on
// workers in this process (Prism in process), which share one pool
// (internal/parallel), so that a fan-out reaches every core without a
// Reshuffle. The launcher sets it; false, the default, keeps the
// Reshuffles that spread elements over a runner's workers.
var InProcessWorkers bool

// ProgressNamespace is the namespace of lowdim's counters.
const ProgressNamespace = "lowdim"

// RowsReadCounter counts the input rows the workers read; the progress
// line shows their rate when it is not zero.
const RowsReadCounter = "rows_read"

// datasetName is a file's base name without the suffixes that name its
// compression and format (format.Suffixes, in that order, any case):
// "data/digits.csv.gz" names "digits".
func datasetName(p string) string {
	base := path.Base(strings.ReplaceAll(p, "\\", "/"))
	for _, ext := range format.Suffixes() {
		if n := len(base) - len(ext); n > 0 && strings.EqualFold(base[n:], ext) {
			base = base[:n]
		}
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
	BadRows       int64     `parquet:"bad_rows"` // rows dropped by input.on_bad_rows: skip, all reasons
	// The bad_rows by reason: a value that is not a number, the wrong
	// number of fields (delimited text), a NaN or ±Inf value.
	BadRowsUnparsable int64 `parquet:"bad_rows_unparsable"`
	BadRowsFieldCount int64 `parquet:"bad_rows_field_count"`
	BadRowsNonFinite  int64 `parquet:"bad_rows_non_finite"`
}
