package cli

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2"
	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/io/npy"
)

// runLowdim runs the CLI in process with fresh flag values.
func runLowdim(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for _, name := range []string{"out", "run_id", "overwrite", "quiet", "report", "open", "runner", "endpoint", "environment_type", "environment_config", "worker_binary", "dry_run", "cores", "figures"} {
		f := flag.Lookup(name)
		f.Value.Set(f.DefValue)
	}
	var o, e bytes.Buffer
	code = runCLI(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func duck(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func queryInt(t *testing.T, db *sql.DB, q string) int64 {
	t.Helper()
	var n int64
	if err := db.QueryRow(q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func columns(t *testing.T, db *sql.DB, glob string) []string {
	t.Helper()
	rows, err := db.Query(fmt.Sprintf("DESCRIBE SELECT * FROM read_parquet('%s', hive_partitioning=1)", glob))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var names []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		names = append(names, fmt.Sprint(vals[0]))
	}
	return names
}

// TestQuickstartTablesReadByDuckDB runs the quickstart exactly as `make run`
// does and opens every table it wrote with DuckDB.
func TestQuickstartTablesReadByDuckDB(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runLowdim(t, "run", "experiments/quickstart.yaml", "--out", out, "--run_id", "qs1")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"RankMe", "energy ranks", "top singular values", "report:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("summary lacks %q:\n%s", want, stdout)
		}
	}
	db := duck(t)
	glob := func(table string) string { return filepath.Join(out, table, "**", "*.parquet") }

	wantCols := map[string][]string{
		"spectrum":         {"run_id", "dataset", "index", "sigma", "explained_variance_ratio", "run"},
		"spectrum_summary": {"run_id", "dataset", "rows", "cols", "k", "shards", "rankme", "stable_rank", "alpha_req", "energy_rank_90", "energy_rank_95", "energy_rank_99", "nuclear_norm_topk", "coding_rate", "spectral_entropy", "error_estimate", "run"},
		"runs":             {"run_id", "study", "name", "spec", "seed", "runner", "lowdim_version", "started_at", "finished_at", "rows_read", "shards", "bad_rows", "run"},
	}
	for table, want := range wantCols {
		got := columns(t, db, glob(table))
		for _, c := range want {
			if !contains(got, c) {
				t.Errorf("%s: column %q missing; have %v", table, c, got)
			}
		}
	}
	k := queryInt(t, db, fmt.Sprintf("SELECT k FROM read_parquet('%s', hive_partitioning=1)", glob("spectrum_summary")))
	if n := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM read_parquet('%s', hive_partitioning=1) WHERE run = 'qs1'", glob("spectrum"))); n != k {
		t.Errorf("spectrum has %d rows, want k = %d", n, k)
	}
	if n := queryInt(t, db, fmt.Sprintf("SELECT rows FROM read_parquet('%s', hive_partitioning=1)", glob("spectrum_summary"))); n != 1797 {
		t.Errorf("digits rows = %d, want 1797", n)
	}
	if n := queryInt(t, db, fmt.Sprintf("SELECT rows_read FROM read_parquet('%s', hive_partitioning=1)", glob("runs"))); n != 1797 {
		t.Errorf("runs.rows_read = %d, want 1797", n)
	}
	if n := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM read_parquet('%s', hive_partitioning=1) WHERE sigma <= 0 OR index < 1", glob("spectrum"))); n != 0 {
		t.Errorf("%d spectrum rows with non-positive sigma or index", n)
	}
	for _, f := range []string{"report/report.md", "report/scree-digits.png", "report/scree-digits.svg", "report/index.html", "report/spec-qs1.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	// lowdim report OUT --open rewrites the report and prints index.html's path.
	code, stdout, stderr = runLowdim(t, "report", out, "--open")
	index, _ := filepath.Abs(filepath.Join(out, "report", "index.html"))
	if code != 0 || !strings.Contains(stdout, "open: "+index+"\n") {
		t.Errorf("lowdim report --open: exit %d, stdout %q, stderr %q; want the path %s", code, stdout, stderr, index)
	}
	if page, err := os.ReadFile(index); err != nil || !strings.Contains(string(page), `id="run-qs1"`) || !strings.Contains(string(page), "<svg class=\"fig\"") {
		t.Errorf("index.html (%v) lacks the run's section or its inline figures", err)
	}
	if _, err := os.Stat(filepath.Join(out, "_staging")); !os.IsNotExist(err) {
		t.Errorf("staging folder left behind: %v", err)
	}

	// A rerun into the same run id refuses without --overwrite and keeps the tables.
	code, _, stderr = runLowdim(t, "run", "experiments/quickstart.yaml", "--out", out, "--run_id", "qs1", "--quiet")
	if code == 0 || !strings.Contains(stderr, "--overwrite") {
		t.Errorf("rerun into run qs1: exit %d, stderr %q; want a refusal naming --overwrite", code, stderr)
	}
	if n := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM read_parquet('%s', hive_partitioning=1)", glob("runs"))); n != 1 {
		t.Errorf("runs has %d rows after refused rerun, want 1", n)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func writeSpec(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, "spec.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func writeNpy(t *testing.T, file string, a *mat.Dense) {
	t.Helper()
	r, c := a.Dims()
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := npy.Write(f, r, c, a.RawMatrix().Data, "<f8", false); err != nil {
		t.Fatal(err)
	}
}

func spectrumSpec(input, extra string) string {
	return fmt.Sprintf("study: spectrum\nname: bad\nseed: 3\ninput:\n  path: %s\n  shard_rows: 10\n%sparams:\n  k: 3\n", input, extra)
}

// TestBadInput checks that each kind of bad input is a one-line error naming
// the file (and row), a non-zero exit, and no table folder for the run.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	good := mat.NewDense(40, 5, nil)
	for i := 0; i < 40; i++ {
		for j := 0; j < 5; j++ {
			good.Set(i, j, math.Sin(float64(i*5+j)))
		}
	}
	withNaN := mat.DenseCopyOf(good)
	withNaN.Set(23, 2, math.NaN())
	nanFile := filepath.Join(dir, "nan.npy")
	writeNpy(t, nanFile, withNaN)
	goodFile := filepath.Join(dir, "good.npy")
	writeNpy(t, goodFile, good)
	// bad.csv: 40 rows of good, line 5 (row 4) unparsable, line 8 (row 7)
	// with too few fields and line 12 (row 11) NaN.
	var csv strings.Builder
	for i := 0; i < 40; i++ {
		fields := make([]string, 5)
		for j := range fields {
			fields[j] = fmt.Sprint(good.At(i, j))
		}
		switch i {
		case 4:
			fields[1] = "oops"
		case 7:
			fields = fields[:4]
		case 11:
			fields[0] = "nan"
		}
		csv.WriteString(strings.Join(fields, ",") + "\n")
	}
	badCSV := filepath.Join(dir, "bad.csv")
	os.WriteFile(badCSV, []byte(csv.String()), 0o644)
	raggedCSV := filepath.Join(dir, "ragged.csv")
	os.WriteFile(raggedCSV, []byte(strings.Replace(csv.String(), "oops", "1", 1)), 0o644)
	npyDir := filepath.Join(dir, "parts")
	os.Mkdir(npyDir, 0o755)
	writeNpy(t, filepath.Join(npyDir, "p1.npy"), mat.DenseCopyOf(good.Slice(0, 15, 0, 5)))
	writeNpy(t, filepath.Join(npyDir, "p2.npy"), mat.DenseCopyOf(good.Slice(15, 40, 0, 5)))
	mixedDir := filepath.Join(dir, "mixed")
	os.Mkdir(mixedDir, 0o755)
	writeNpy(t, filepath.Join(mixedDir, "a.npy"), mat.DenseCopyOf(good.Slice(0, 15, 0, 5)))
	writeNpy(t, filepath.Join(mixedDir, "b.npy"), mat.DenseCopyOf(good.Slice(15, 40, 0, 4)))
	badHeader := filepath.Join(dir, "badheader.npy")
	os.WriteFile(badHeader, []byte("\x93NUMPY\x01\x00\x10\x00{'descr': '<f8', 'fortr"), 0o644)

	cases := []struct {
		name, spec string
		want       []string
	}{
		{"missing file", spectrumSpec(filepath.Join(dir, "nope.npy"), ""), []string{"nope.npy"}},
		{"malformed npy header", spectrumSpec(badHeader, ""), []string{"badheader.npy", "byte"}},
		{"NaN value", spectrumSpec(nanFile, ""), []string{"nan.npy", "row 24, column 3"}},
		{"unparsable csv row", spectrumSpec(badCSV, ""), []string{"bad.csv", `line 5, column 2: parse "oops"`}},
		{"ragged csv row", spectrumSpec(raggedCSV, ""), []string{"ragged.csv", "line 8: row has 4 fields, want 5"}},
		{"folder of npy, column counts differ", spectrumSpec(mixedDir, ""), []string{filepath.Join(mixedDir, "b.npy") + ": 4 columns", "a.npy", "same column count"}},
		{"k too large", strings.Replace(spectrumSpec(goodFile, ""), "k: 3", "k: 6", 1), []string{"k", "6", "5"}},
		{"unknown key", strings.Replace(spectrumSpec(goodFile, ""), "shard_rows", "shard_rowz", 1), []string{"spec.yaml", "shard_rowz"}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, fmt.Sprintf("out%d", i))
			spec := writeSpec(t, t.TempDir(), tc.spec)
			code, _, stderr := runLowdim(t, "run", spec, "--out", out, "--run_id", "bad", "--quiet")
			if code == 0 {
				t.Fatalf("exit 0, want failure")
			}
			msg := strings.TrimSpace(stderr)
			if strings.Count(msg, "\n") > 0 {
				t.Errorf("error is not one line:\n%s", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			for _, table := range []string{"spectrum", "spectrum_summary", "runs"} {
				if _, err := os.Stat(filepath.Join(out, table, "run=bad")); !os.IsNotExist(err) {
					t.Errorf("%s/run=bad exists after a failed run", table)
				}
			}
			if _, err := os.Stat(filepath.Join(out, "_staging")); !os.IsNotExist(err) {
				t.Errorf("staging left behind after a failed run")
			}
		})
	}

	t.Run("NaN rows skipped and counted", func(t *testing.T) {
		out := filepath.Join(dir, "skip")
		spec := writeSpec(t, t.TempDir(), spectrumSpec(nanFile, "  on_bad_rows: skip\n"))
		code, stdout, stderr := runLowdim(t, "run", spec, "--out", out, "--run_id", "skip", "--quiet")
		if code != 0 {
			t.Fatalf("exit %d: %s %s", code, stdout, stderr)
		}
		db := duck(t)
		if n := queryInt(t, db, fmt.Sprintf("SELECT bad_rows FROM read_parquet('%s/runs/**/*.parquet', hive_partitioning=1)", out)); n != 1 {
			t.Errorf("runs.bad_rows = %d, want 1", n)
		}
		if n := queryInt(t, db, fmt.Sprintf("SELECT rows FROM read_parquet('%s/spectrum_summary/**/*.parquet', hive_partitioning=1)", out)); n != 39 {
			t.Errorf("spectrum_summary.rows = %d, want 39", n)
		}
	})

	t.Run("bad csv rows skipped and counted by reason", func(t *testing.T) {
		out := filepath.Join(dir, "skipcsv")
		spec := writeSpec(t, t.TempDir(), spectrumSpec(badCSV, "  on_bad_rows: skip\n"))
		code, stdout, stderr := runLowdim(t, "run", spec, "--out", out, "--run_id", "skip", "--quiet")
		if code != 0 {
			t.Fatalf("exit %d: %s %s", code, stdout, stderr)
		}
		db := duck(t)
		q := fmt.Sprintf("SELECT rows_read*1000000 + bad_rows*1000 + bad_rows_unparsable*100 + bad_rows_field_count*10 + bad_rows_non_finite FROM read_parquet('%s/runs/**/*.parquet', hive_partitioning=1)", out)
		if n := queryInt(t, db, q); n != 40003111 {
			t.Errorf("runs rows_read, bad_rows, unparsable, field_count, non_finite = %d, want 40, 3, 1, 1, 1", n)
		}
		if n := queryInt(t, db, fmt.Sprintf("SELECT rows FROM read_parquet('%s/spectrum_summary/**/*.parquet', hive_partitioning=1)", out)); n != 37 {
			t.Errorf("spectrum_summary.rows = %d, want 37", n)
		}
	})

	t.Run("folder of npy files", func(t *testing.T) {
		whole := filepath.Join(dir, "whole")
		code, stdout, stderr := runLowdim(t, "run", writeSpec(t, t.TempDir(), spectrumSpec(goodFile, "")), "--out", whole, "--run_id", "w", "--quiet")
		if code != 0 {
			t.Fatalf("exit %d: %s %s", code, stdout, stderr)
		}
		for i, p := range []string{npyDir, filepath.Join(npyDir, "p*.npy")} {
			out := filepath.Join(dir, fmt.Sprint("parts", i))
			code, stdout, stderr := runLowdim(t, "run", writeSpec(t, t.TempDir(), spectrumSpec(p, "")), "--out", out, "--run_id", "p", "--quiet")
			if code != 0 {
				t.Fatalf("%s: exit %d: %s %s", p, code, stdout, stderr)
			}
			db := duck(t)
			q := `SELECT string_agg(printf('%%.10g', sigma), ',' ORDER BY "index") FROM read_parquet('%s/spectrum/**/*.parquet', hive_partitioning=1)`
			var a, b string
			if err := db.QueryRow(fmt.Sprintf(q, whole)).Scan(&a); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(fmt.Sprintf(q, out)).Scan(&b); err != nil {
				t.Fatal(err)
			}
			if a != b || strings.Count(a, ",") != 2 {
				t.Errorf("%s: sigma %v, the whole file's %v", p, b, a)
			}
			if n := queryInt(t, db, fmt.Sprintf("SELECT rows FROM read_parquet('%s/spectrum_summary/**/*.parquet', hive_partitioning=1)", out)); n != 40 {
				t.Errorf("%s: rows %d, want 40", p, n)
			}
		}
	})
}

func TestCLIHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"run", "--help"}, {"validate", "--help"}, {"report", "--help"}, {"help"}} {
		code, stdout, _ := runLowdim(t, args...)
		if code != 0 || !strings.Contains(stdout, "Usage") && !strings.Contains(stdout, "usage") {
			t.Errorf("%v: exit %d, output %q", args, code, stdout)
		}
	}
	code, stdout, _ := runLowdim(t, "validate", "experiments/quickstart.yaml")
	if code != 0 || !strings.Contains(stdout, "shard_rows") || !strings.Contains(stdout, "oversample") {
		t.Errorf("validate: exit %d, output:\n%s", code, stdout)
	}
	if code, _, stderr := runLowdim(t, "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
}

// TestEveryStudyTablesReadByDuckDB runs each small example spec through the
// CLI and opens every table it wrote with DuckDB, as design §3 requires:
// read_parquet('OUT/<table>/**/*.parquet', hive_partitioning=1) works, has
// rows, and every row carries the run_id.
func TestEveryStudyTablesReadByDuckDB(t *testing.T) {
	specs := []string{"experiments/quickstart.yaml", "experiments/phase-quick.yaml"}
	for _, extra := range []string{"experiments/landscape-torus.yaml", "experiments/rank-dynamics-example.yaml", "experiments/intrinsic-digits.yaml", "experiments/multipers-hidden-circle.yaml"} {
		if _, err := os.Stat(extra); err == nil {
			specs = append(specs, extra)
		}
	}
	db := duck(t)
	for _, spec := range specs {
		t.Run(filepath.Base(spec), func(t *testing.T) {
			out := t.TempDir()
			if code, o, e := runLowdim(t, "run", spec, "--out", out, "--run_id", "all", "--quiet"); code != 0 {
				t.Fatalf("exit %d\n%s%s", code, o, e)
			}
			entries, err := os.ReadDir(out)
			if err != nil {
				t.Fatal(err)
			}
			tables := 0
			for _, e := range entries {
				if !e.IsDir() || e.Name() == "report" || strings.HasPrefix(e.Name(), "_") { // _locks: the runs' lock files
					continue
				}
				tables++
				glob := filepath.Join(out, e.Name(), "**", "*.parquet")
				n := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM read_parquet('%s', hive_partitioning=1)", glob))
				bad := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM read_parquet('%s', hive_partitioning=1) WHERE run_id IS DISTINCT FROM 'all' OR run IS DISTINCT FROM 'all'", glob))
				if n == 0 || bad != 0 {
					t.Errorf("%s: %d rows, %d without run_id = run = 'all'", e.Name(), n, bad)
				}
			}
			if tables < 2 {
				t.Errorf("%s wrote %d tables", spec, tables)
			}
		})
	}
}
