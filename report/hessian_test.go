package report_test

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestHessianReport trains a small digits MLP with checkpoints (steps 0, 40,
// 80, 120, 135), runs the hessian study on them, and checks that the report
// draws the density per step, the top eigenvalues over steps and the
// outliers against the classes, with a table per series, and that the
// summary prints a line per step.
func TestHessianReport(t *testing.T) {
	ckpt, _ := runStudy(t, `study: intrinsic_dim
seed: 5
input: {dataset: digits}
params:
  model: mlp
  hidden: [8]
  baseline_lr: 0.01
  epochs: 3
  subspace_dim: 10
  checkpoint_every: 40
`)
	folder := filepath.ToSlash(filepath.Join(ckpt, "checkpoints", "run=r1", "mlp-full-seed0"))
	out, run := runStudy(t, `study: hessian
seed: 2
input: {dataset: digits}
params:
  checkpoints: `+folder+`
  samples: 300
  probes: 3
  slq_steps: 20
  top_k: 12
`)
	checkReport(t, out, run,
		[]string{"hessian-density-mlp-full-seed0-whole.png", "hessian-top-mlp-full-seed0-whole.png", "hessian-outliers-mlp-full-seed0-whole.png"},
		[]string{"## Hessian of mlp-full-seed0, block whole (D = 610, 300 rows, 10 classes)", "| 135 | ", "/ 10 |", "largest ratio gap", "Features were divided by 16"},
		"mlp-full-seed0, block whole: D = 610, 300 rows, 10 classes")
	// DuckDB reads the three tables as design §3 promises: no NaN, every
	// row of the run.
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, table := range []string{"hessian_eigs", "hessian_density", "hessian_summary"} {
		var n, bad int64
		q := fmt.Sprintf("SELECT count(*), count(*) FILTER (WHERE run_id IS DISTINCT FROM 'r1') FROM read_parquet('%s/%s/**/*.parquet', hive_partitioning=1)", out, table)
		if err := db.QueryRow(q).Scan(&n, &bad); err != nil || n == 0 || bad != 0 {
			t.Errorf("%s: %d rows, %d of another run, %v", table, n, bad, err)
		}
	}
	var nan int64
	if err := db.QueryRow(fmt.Sprintf("SELECT count(*) FROM read_parquet('%s/hessian_eigs/**/*.parquet') WHERE isnan(eigenvalue)", out)).Scan(&nan); err != nil || nan != 0 {
		t.Errorf("hessian_eigs: %d NaN eigenvalues, %v", nan, err)
	}
}
