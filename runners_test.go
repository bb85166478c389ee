package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
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
func TestUniversalRunnerMatchesInProcess(t *testing.T) {
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
			break
		}
		if i == 600 {
			t.Fatalf("prism job server did not listen on %s", endpoint)
		}
		time.Sleep(50 * time.Millisecond)
	}

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
