package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestIntrinsicEstimatorTablesReadByDuckDB runs the data estimators with
// local estimates on two generated manifolds through the CLI and reads
// data_intrinsic_dim and local_intrinsic_dim with DuckDB: one local row per
// (manifold, input row, estimator), rows numbered 1…points, no NaN (NULL
// where undefined), true_dim set; the report has the estimate-vs-true panel
// and one local-ID histogram per manifold.
func TestIntrinsicEstimatorTablesReadByDuckDB(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "manifolds.yaml")
	if err := os.WriteFile(spec, []byte(`study: intrinsic_dim
seed: 5
input: {dataset: "manifold:M7_Roll,M2_Affine_3to5", shard_rows: 200}
params:
  points: 400
  local_k: 30
  local: [mle, twonn]
  grid:
    method: [mle, lpca, danco]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if code, o, e := runLowdim(t, "run", spec, "--out", out, "--run_id", "all", "--quiet"); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, o, e)
	}
	db := duck(t)
	from := func(table string) string {
		return fmt.Sprintf("FROM read_parquet('%s', hive_partitioning=1) WHERE run_id = 'all' AND run = 'all'", filepath.Join(out, table, "**", "*.parquet"))
	}
	for _, c := range []struct {
		q    string
		want int64
	}{
		{"SELECT count(*) " + from("local_intrinsic_dim"), 2 * 400 * 2},
		{"SELECT count(DISTINCT (dataset, estimator, row)) " + from("local_intrinsic_dim") + " AND row BETWEEN 1 AND 400", 2 * 400 * 2},
		{"SELECT count(*) " + from("local_intrinsic_dim") + " AND isnan(estimate)", 0},
		{"SELECT count(*) " + from("local_intrinsic_dim") + " AND estimate IS NOT NULL", 2 * 400 * 2},
		{"SELECT count(*) " + from("data_intrinsic_dim"), 2 * 3 * 3},
		{"SELECT count(*) " + from("data_intrinsic_dim") + " AND dataset = 'manifold:M7_Roll' AND true_dim = 2", 3 * 3},
		{"SELECT count(*) " + from("data_intrinsic_dim") + " AND shard IS NULL AND method = 'lpca' AND estimate = 3", 2},
	} {
		if got := queryInt(t, db, c.q); got != c.want {
			t.Errorf("%s: %d, want %d", c.q, got, c.want)
		}
	}
	for _, f := range []string{"intrinsic-estimators-vs-true.png", "local-id-0-manifold-M2_Affine_3to5.png", "local-id-1-manifold-M7_Roll.png"} {
		if _, err := os.Stat(filepath.Join(out, "report", f)); err != nil {
			t.Errorf("report: %v", err)
		}
	}
}
