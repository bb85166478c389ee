package pipelines

import (
	"path"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
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
