package cli

import (
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/pipelines"
)

// TestCoresDoNotChangeResults runs every study's example with one core and
// with four (elements computed concurrently, results emitted at the end of
// the bundle) and requires every table to agree row for row, floating-point
// values to 1e-12 relative (merges may add in another order). Run ids and
// timings aside.
func TestCoresDoNotChangeResults(t *testing.T) {
	randomized := writeSpec(t, t.TempDir(), "study: spectrum\nname: randomized\ninput:\n  path: "+filepath.Join(mustAbs(t, "testdata/formats"), "m_c.npy")+"\n  shard_rows: 5\nparams:\n  k: 3\n  method: randomized\n  power_iters: 2\n")
	specs := []struct {
		spec      string
		overrides []string
	}{
		{"experiments/quickstart.yaml", nil},
		{randomized, nil},
		{"experiments/phase-quick.yaml", nil},
		{"experiments/landscape-torus.yaml", nil},
		{"experiments/multipers-hidden-circle.yaml", nil},
		{"experiments/rank-dynamics-example.yaml", nil},
		{"experiments/mnist-mlp-checkpoints.yaml", nil},
	}
	db := duck(t)
	for _, tc := range specs {
		t.Run(filepath.Base(tc.spec), func(t *testing.T) {
			out := t.TempDir()
			for _, cores := range []string{"1", "4"} {
				args := append([]string{"run", tc.spec}, tc.overrides...)
				args = append(args, "--out", out, "--run_id", "cores"+cores, "--quiet", "--report=false", "--cores="+cores)
				if code, o, e := runLowdim(t, args...); code != 0 {
					t.Fatalf("--cores=%s: exit %d\n%s\n%s", cores, code, o, e)
				}
			}
			entries, err := os.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			compared := 0
			for _, e := range entries {
				if !e.IsDir() || strings.HasPrefix(e.Name(), "_") || e.Name() == pipelines.RunsTable || e.Name() == pipelines.CheckpointsFolder || e.Name() == "report" {
					continue
				}
				compareRuns(t, db, filepath.Join(out, e.Name()), "cores1", "cores4")
				compared++
			}
			if compared == 0 {
				t.Fatal("no table written")
			}
		})
	}
}

// compareRuns requires the tables of two runs under dir to hold the same
// rows (ordered by every column), doubles equal to 1e-12 relative to the
// larger of the two or to 1e-12 of the column's largest magnitude.
func compareRuns(t *testing.T, db *sql.DB, dir, a, b string) {
	t.Helper()
	table := filepath.Base(dir)
	query := func(run string) ([]string, [][]any) {
		rows, err := db.Query(fmt.Sprintf("SELECT COLUMNS(c -> c NOT IN ('run_id', 'run', 'train_seconds', 'seconds')) FROM read_parquet('%s', hive_partitioning=0) ORDER BY ALL", filepath.Join(dir, "run="+run, "*.parquet")))
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var all [][]any
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			all = append(all, vals)
		}
		return cols, all
	}
	cols, ra := query(a)
	_, rb := query(b)
	if len(ra) == 0 || len(ra) != len(rb) {
		t.Fatalf("%s: %d rows with %s, %d with %s", table, len(ra), a, len(rb), b)
	}
	scale := make([]float64, len(cols))
	for _, r := range ra {
		for j, v := range r {
			if x, ok := v.(float64); ok && !math.IsNaN(x) && !math.IsInf(x, 0) {
				scale[j] = max(scale[j], math.Abs(x))
			}
		}
	}
	bad := 0
	for i := range ra {
		for j := range cols {
			x, xok := ra[i][j].(float64)
			y, yok := rb[i][j].(float64)
			var same bool
			switch {
			case xok && yok:
				same = x == y || (math.IsNaN(x) && math.IsNaN(y)) || math.Abs(x-y) <= 1e-12*max(math.Abs(x), math.Abs(y), scale[j])
			default:
				same = fmt.Sprint(ra[i][j]) == fmt.Sprint(rb[i][j])
			}
			if !same {
				if bad < 5 {
					t.Errorf("%s row %d, column %s: %v with %s, %v with %s", table, i+1, cols[j], ra[i][j], a, rb[i][j], b)
				}
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d values differ", table, bad)
	}
}
