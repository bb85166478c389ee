package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
	"github.com/lowdim/lowdim/transforms"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func goBuild(t *testing.T, out string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"build", "-o", out}, args...)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", args, err, b)
	}
}

func readSigma(t *testing.T, out, runID string) []transforms.SpectrumRow {
	t.Helper()
	rows, err := tables.ReadRun[transforms.SpectrumRow](context.Background(), out, pipelines.SpectrumTable, runID)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Index < rows[j].Index })
	return rows
}

// TestUniversalRunnerMatchesInProcess submits the quickstart to a standalone
// Prism job server — the same Job API as Beam's Flink job server — with
// LOOPBACK workers, and checks its tables equal the in-process run's.
// startPrismJobServer builds and starts a standalone Prism job server — the
// same Job API as Beam's Flink job server — and returns its endpoint.
func startPrismJobServer(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	prism := filepath.Join(dir, "prism")
	goBuild(t, prism, "github.com/apache/beam/sdks/v2/go/cmd/prism")
	port := freePort(t)
	server := exec.Command(prism, fmt.Sprintf("--job_port=%d", port), "--serve_http=false", "--log_level=warn")
	server.Stdout, server.Stderr = os.Stderr, os.Stderr
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Process.Kill(); server.Wait() })
	endpoint := fmt.Sprintf("localhost:%d", port)
	for i := 0; ; i++ { // wait until the job server listens
		c, err := net.Dial("tcp", endpoint)
		if err == nil {
			c.Close()
			return endpoint
		}
		if i == 600 {
			t.Fatalf("prism job server did not listen on %s", endpoint)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestUniversalRunnerMatchesInProcess(t *testing.T) {
	endpoint := startPrismJobServer(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	code, stdout, stderr := runLowdim(t, "run", "experiments/quickstart.yaml", "--out", out, "--run_id", "local", "--quiet", "--report=false")
	if code != 0 {
		t.Fatalf("in-process run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	code, stdout, stderr = runLowdim(t, "run", "experiments/quickstart.yaml", "--out", out, "--run_id", "universal", "--quiet", "--report=false",
		"--runner=universal", "--endpoint="+endpoint, "--environment_type=LOOPBACK")
	if code != 0 {
		t.Fatalf("universal run: exit %d\n%s\n%s", code, stdout, stderr)
	}
	local, remote := readSigma(t, out, "local"), readSigma(t, out, "universal")
	if len(local) == 0 || len(local) != len(remote) {
		t.Fatalf("spectrum rows: in process %d, universal %d", len(local), len(remote))
	}
	for i := range local {
		if local[i].Sigma != remote[i].Sigma || local[i].ExplainedVarianceRatio != remote[i].ExplainedVarianceRatio {
			t.Errorf("σ%d: in process %v, universal %v", i+1, local[i].Sigma, remote[i].Sigma)
		}
	}
	runs, err := tables.ReadRun[pipelines.RunRow](context.Background(), out, pipelines.RunsTable, "universal")
	if err != nil || len(runs) != 1 {
		t.Fatalf("runs table of the universal run: %v, %d rows", err, len(runs))
	}
	if runs[0].Runner != "universal" || runs[0].RowsRead != 1797 || runs[0].Shards != 6 {
		t.Errorf("runs row: runner %q, rows_read %d, shards %d; want universal, 1797, 6", runs[0].Runner, runs[0].RowsRead, runs[0].Shards)
	}
}

// TestUniversalRunnerEveryStudyPath runs, on a standalone Prism job server
// with LOOPBACK workers, the transforms the quickstart does not use: the
// rank_dynamics series (grouped tasks, series split, drift), CSV shards
// that carry their byte offset to the worker, and subspace training that
// writes checkpoints. Every table equals the in-process run's, row for row
// (run_id and train_seconds aside), and the checkpoints are published.
func TestUniversalRunnerEveryStudyPath(t *testing.T) {
	endpoint := startPrismJobServer(t)
	csvSpec := writeSpec(t, t.TempDir(), "study: spectrum\nname: csv\ninput:\n  path: "+filepath.Join(mustAbs(t, "testdata/formats"), "m.csv")+"\n  shard_rows: 7\nparams:\n  k: 4\n")
	// The randomized method's passes hand their basis to the next pass as a side input.
	randomizedSpec := writeSpec(t, t.TempDir(), "study: spectrum\nname: randomized\ninput:\n  path: "+filepath.Join(mustAbs(t, "testdata/formats"), "m_c.npy")+"\n  shard_rows: 5\nparams:\n  k: 3\n  method: randomized\n  power_iters: 2\n")
	db := duck(t)
	for _, tc := range []struct {
		spec   string
		tables []string
	}{
		{"experiments/rank-dynamics-example.yaml", []string{pipelines.RankDynamicsTable, pipelines.RankDriftTable}},
		{csvSpec, []string{pipelines.SpectrumTable, pipelines.SpectrumSummaryTable}},
		{randomizedSpec, []string{pipelines.SpectrumTable, pipelines.SpectrumSummaryTable}},
		{"experiments/mnist-mlp-checkpoints.yaml", []string{pipelines.SubspaceRunsTable, pipelines.IntrinsicDimTable}},
	} {
		t.Run(filepath.Base(tc.spec), func(t *testing.T) {
			out := t.TempDir()
			for _, run := range []struct {
				id    string
				flags []string
			}{
				{"local", nil},
				{"universal", []string{"--runner=universal", "--endpoint=" + endpoint, "--environment_type=LOOPBACK"}},
			} {
				args := append([]string{"run", tc.spec, "--out", out, "--run_id", run.id, "--quiet", "--report=false"}, run.flags...)
				if code, o, e := runLowdim(t, args...); code != 0 {
					t.Fatalf("%s run: exit %d\n%s\n%s", run.id, code, o, e)
				}
			}
			for _, table := range tc.tables {
				part := func(run string) string {
					return fmt.Sprintf("SELECT COLUMNS(c -> c NOT IN ('run_id', 'train_seconds')) FROM read_parquet('%s', hive_partitioning=0)", filepath.Join(out, table, "run="+run, "*.parquet"))
				}
				n := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM (%s)", part("local")))
				diff := queryInt(t, db, fmt.Sprintf("SELECT count(*) FROM ((%s EXCEPT ALL %s) UNION ALL (%s EXCEPT ALL %s))",
					part("local"), part("universal"), part("universal"), part("local")))
				if n == 0 || diff != 0 {
					t.Errorf("%s: %d rows in process, %d rows differ on the universal runner", table, n, diff)
				}
			}
			if strings.Contains(tc.spec, "checkpoints") {
				for _, run := range []string{"local", "universal"} {
					files, _ := filepath.Glob(filepath.Join(out, pipelines.CheckpointsFolder, "run="+run, "*", "*.safetensors"))
					if len(files) != 22 {
						t.Errorf("%s: %d checkpoints published, want 22", run, len(files))
					}
				}
			}
		})
	}
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
