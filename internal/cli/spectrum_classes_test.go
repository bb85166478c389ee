package cli

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

// TestSpectrumClassTablesReadByDuckDB: the quickstart (digits, label column
// "64") writes class_geometry and class_pairs, and DuckDB reads them with
// their list column; ΔR equals the NumPy golden value (38.487464676341,
// testdata/classgeom/golden.json) to 1e-8.
func TestSpectrumClassTablesReadByDuckDB(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runLowdim(t, "run", "experiments/quickstart.yaml", "--out", out, "--run_id", "cls")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "ΔR = R − Rc") {
		t.Errorf("summary lacks ΔR:\n%s", stdout)
	}
	db := duck(t)
	glob := func(table string) string {
		return fmt.Sprintf("read_parquet('%s', hive_partitioning=1)", filepath.Join(out, table, "**", "*.parquet"))
	}
	for _, q := range []struct {
		sql  string
		want int64
	}{
		{"SELECT count(*) FROM " + glob("class_geometry") + " WHERE run_id = 'cls' AND run = 'cls'", 10},
		{"SELECT sum(rows) FROM " + glob("class_geometry"), 1797},
		{"SELECT count(*) FROM " + glob("class_geometry") + " WHERE rankme IS NULL OR energy_rank_90 IS NULL OR alpha_req IS NULL", 0},
		{"SELECT count(*) FROM " + glob("class_pairs") + " WHERE label_a < label_b", 45},
		{"SELECT count(*) FROM " + glob("class_pairs") + " WHERE len(angles_deg) < 1 OR min_angle_deg IS DISTINCT FROM list_min(angles_deg) OR bures_wasserstein <= 0", 0},
		{"SELECT count(*) FROM " + glob("spectrum_summary") + " WHERE rate_reduction IS NULL OR coding_rate_total IS NULL OR coding_rate_classes IS NULL OR centroid_nuclear_norm IS NULL", 0},
	} {
		if n := queryInt(t, db, q.sql); n != q.want {
			t.Errorf("%s = %d, want %d", q.sql, n, q.want)
		}
	}
	var dr float64
	if err := db.QueryRow("SELECT rate_reduction FROM " + glob("spectrum_summary")).Scan(&dr); err != nil {
		t.Fatal(err)
	}
	if e := math.Abs(dr-38.48746467634109) / 38.48746467634109; e > 1e-8 {
		t.Errorf("rate_reduction = %.15g, golden 38.48746467634109 (relative %.2e)", dr, e)
	}
	rows, err := db.Query("SELECT label_a, label_b, bures_wasserstein, min_angle_deg FROM " + glob("class_pairs") + " ORDER BY bures_wasserstein LIMIT 3")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var a, b string
		var w, angle float64
		if err := rows.Scan(&a, &b, &w, &angle); err != nil {
			t.Fatal(err)
		}
		t.Logf("nearest by W₂: %s–%s W₂ %.4f, smallest angle %.2f°", a, b, w, angle)
	}
}
