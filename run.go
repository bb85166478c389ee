package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
)

func loadSpec(file string) (*experiments.Spec, error) {
	spec, err := experiments.ParseFile(file)
	if err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return spec, nil
}

func newRunID(now time.Time) string {
	var b [2]byte
	rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// runnerName is the runner to hand to Beam: Prism by default, and for
// "direct", the name users know for Beam's local runner.
func runnerName() string {
	f := flag.Lookup("runner")
	r := strings.ToLower(f.Value.String())
	if r == "" || r == "direct" {
		r = "prism"
		f.Value.Set(r)
	}
	return r
}

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	pos, err := parseInterspersed(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"want exactly one SPEC.yaml (see lowdim run --help)"}
	}
	spec, err := loadSpec(pos[0])
	if err != nil {
		return err
	}
	out := spec.Output
	if *outFlag != "" {
		out = *outFlag
	}
	if out == "" {
		return usageError{"no output: set `output:` in the spec or pass --out DIR"}
	}
	runID := *runIDFlag
	if runID == "" {
		runID = newRunID(time.Now())
	}
	if !validRunID.MatchString(runID) {
		return usageError{fmt.Sprintf("--run_id %q: use letters, digits, '-', '_' and '.' only", runID)}
	}
	runner := runnerName()

	plan, err := pipelines.NewPlan(ctx, spec, out, runID)
	if err != nil {
		return err
	}
	dryRun := isDryRun()
	for _, t := range append(plan.Tables(), pipelines.RunsTable) {
		if dryRun {
			break // nothing will be written
		}
		exists, err := tables.Exists(ctx, tables.RunFolder(out, t, runID))
		if err != nil {
			return err
		}
		if exists && !*overwriteFlag {
			return fmt.Errorf("%s already holds run %q: pass --overwrite to replace it", tables.RunFolder(out, t, runID), runID)
		}
	}

	beam.Init()
	captureBeamLogs()
	failureLog.reset()
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	if !*quietFlag {
		fmt.Fprintf(stderr, "lowdim: running %s study %q as run %s on %s\n", spec.Study, spec.Name, runID, runner)
	}
	started := time.Now().UTC()
	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if sh, ok := plan.(interface{ Shards() int }); ok && !*quietFlag {
			showProgress(stderr, sh.Shards(), 2*time.Second, stopProgress)
		}
	}()
	res, err := beamx.RunWithMetrics(ctx, p)
	close(stopProgress)
	<-progressDone
	if err != nil {
		if aerr := tables.Abort(ctx, out, runID); aerr != nil {
			fmt.Fprintf(stderr, "lowdim: cleaning up staged files: %v\n", aerr)
		}
		if cause := failureLog.first(); cause != "" {
			return fmt.Errorf("%s", cause)
		}
		return fmt.Errorf("run %s failed: %w (LOWDIM_BEAM_LOGS=1 shows the runner's log)", runID, err)
	}
	finished := time.Now().UTC()
	if dryRun {
		fmt.Fprintf(stdout, "dry run: job printed above, nothing submitted or written\n")
		return nil
	}

	counters := map[string]int64{}
	if res != nil {
		for _, c := range res.Metrics().AllMetrics().Counters() {
			if c.Namespace() == "lowdim" {
				counters[c.Name()] += c.Result()
			}
		}
	}
	specJSON, err := spec.JSON()
	if err != nil {
		return err
	}
	run := pipelines.RunRow{
		RunID: runID, Study: spec.Study, Name: spec.Name, Spec: string(specJSON), Seed: int64(spec.Seed),
		Runner: runner, LowdimVersion: version, StartedAt: started, FinishedAt: finished,
		RowsRead: counters["rows_read"], Shards: counters["shards"], BadRows: counters["bad_rows"],
	}
	runsFile := tables.Join(tables.StagingFolder(out, pipelines.RunsTable, runID), tables.PartName(0, 1))
	if err := tables.WriteFile(ctx, runsFile, []any{run}); err != nil {
		tables.Abort(ctx, out, runID)
		return err
	}
	committed, err := tables.Commit(ctx, out, runID, *overwriteFlag)
	if err != nil {
		tables.Abort(ctx, out, runID)
		return err
	}
	if !*quietFlag {
		if err := printSummary(ctx, stdout, out, runID, spec, run, finished.Sub(started)); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "tables (%s): %s\n", strings.Join(committed, ", "), tables.Join(out, "<table>", "run="+runID))
	if *reportFlag && !strings.Contains(out, "://") {
		dir, err := writeReport(ctx, out, runID)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "report: %s\n", dir)
	}
	return nil
}

// isDryRun reports whether Dataflow's --dry_run asks to print the job only.
func isDryRun() bool {
	f := flag.Lookup("dry_run")
	return f != nil && f.Value.String() == "true"
}

var validRunID = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// oneLine reduces an error to the line a user needs: the first line that names
// one of our own failures, else the first line.
func oneLine(err error) string {
	msg := err.Error()
	lines := strings.Split(msg, "\n")
	for _, l := range lines {
		if i := strings.Index(l, "lowdim-error: "); i >= 0 {
			return strings.TrimSpace(l[i+len("lowdim-error: "):])
		}
	}
	return strings.TrimSpace(lines[0])
}
