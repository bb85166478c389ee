package cli

import (
	"bufio"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestInterruptDuringRun sends this process SIGINT while a long run is
// executing on in-process Prism: the run stops with one line saying
// "interrupted" (not Beam's "failed to get metrics: rpc error: Canceled"),
// exit code 130, and nothing staged or published.
func TestInterruptDuringRun(t *testing.T) {
	for _, name := range []string{"out", "run_id", "overwrite", "quiet", "report", "runner", "endpoint", "environment_type", "dry_run"} {
		f := flag.Lookup(name)
		f.Value.Set(f.DefValue)
	}
	out := filepath.Join(t.TempDir(), "out")
	// Far more work than can finish between the "running" line and the
	// signal: 20,000 trials of 800 points in 64 dimensions.
	spec := writeSpec(t, t.TempDir(), "study: phase_transition\nname: long\nseed: 1\nparams:\n  trials: 20000\n  grid:\n    ambient_dim: [64]\n    components: [2]\n    intrinsic_dim: [3]\n    samples_per_component: [400]\n")
	ctx, stop := notifyInterrupt(context.Background())
	defer stop()
	pr, pw := io.Pipe()
	code := make(chan int, 1)
	go func() {
		c := runCLI(ctx, []string{"run", spec, "--out", out, "--run_id", "int"}, io.Discard, pw)
		pw.Close()
		code <- c
	}()
	var lines []string
	sent := false
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if !sent && strings.HasPrefix(sc.Text(), "lowdim: running") {
			if err := syscall.Kill(os.Getpid(), syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			sent = true
		}
	}
	if !sent {
		t.Fatalf("the run never started:\n%s", strings.Join(lines, "\n"))
	}
	if c := <-code; c != 130 {
		t.Errorf("exit code %d, want 130", c)
	}
	last := lines[len(lines)-1]
	if last != "lowdim: interrupted (interrupt)" {
		t.Errorf("last line %q, want \"lowdim: interrupted (interrupt)\"; stderr:\n%s", last, strings.Join(lines, "\n"))
	}
	if all := strings.Join(lines, "\n"); strings.Contains(all, "Canceled") || strings.Contains(all, "rpc error") {
		t.Errorf("Beam's cancellation error shown:\n%s", all)
	}
	for _, dir := range []string{"_staging/run=int", "phase_trials/run=int", "runs/run=int"} {
		if _, err := os.Stat(filepath.Join(out, dir)); !os.IsNotExist(err) {
			t.Errorf("%s left after the interrupt (%v)", dir, err)
		}
	}
	if (interrupted{syscall.SIGTERM}).exitCode() != 143 {
		t.Errorf("SIGTERM exit code %d, want 143", interrupted{syscall.SIGTERM}.exitCode())
	}
}

// TestNoLoopbackFileLeft: Beam creates an empty beamloopbackworker-N in
// the temporary folder for each in-process run; after a run the folder
// holds nothing new.
func TestNoLoopbackFileLeft(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	out := filepath.Join(t.TempDir(), "out")
	spec := writeSpec(t, t.TempDir(), "study: phase_transition\nname: short\nseed: 1\nparams:\n  trials: 1\n  grid:\n    ambient_dim: [6]\n    components: [1]\n    intrinsic_dim: [2]\n    samples_per_component: [2]\n")
	if code, stdout, stderr := runLowdim(t, "run", spec, "--out", out, "--run_id", "lb", "--quiet"); code != 0 {
		t.Fatalf("exit %d: %s %s", code, stdout, stderr)
	}
	if lastRunTempFiles == 0 {
		t.Errorf("Beam made no loopback stand-in: the test sees nothing")
	}
	ents, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("%s left in the temporary folder", e.Name())
	}
	if os.Getenv("TMPDIR") != tmp {
		t.Errorf("TMPDIR %q after the run, want %q", os.Getenv("TMPDIR"), tmp)
	}
}
