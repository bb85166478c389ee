package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/internal/studies"
	"github.com/lowdim/lowdim/io/files"
	"github.com/lowdim/lowdim/io/matrix"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/pipelines"
)

// loadSpec parses and validates the spec named by args[0] with the
// KEY=VALUE overrides that follow it (params.k=5 input.shard_rows=2048).
func loadSpec(args []string) (*experiments.Spec, error) {
	if len(args) == 0 || experiments.IsOverride(args[0]) {
		return nil, usageError{"want SPEC.yaml first, then any KEY=VALUE overrides"}
	}
	for _, o := range args[1:] {
		if !experiments.IsOverride(o) {
			return nil, usageError{fmt.Sprintf("%q after the spec is not a KEY=VALUE override (e.g. params.k=5)", o)}
		}
	}
	spec, err := experiments.ParseFileWithOverrides(args[0], args[1:])
	if err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return spec, nil
}

func newRunID(now time.Time) string {
	var b [4]byte
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
	if len(pos) == 0 {
		return runOne(ctx, pos, *runIDFlag, stdout, stderr)
	}
	sweep, err := experiments.ExpandSweeps(pos[1:])
	if err != nil {
		return usageError{err.Error()}
	}
	if len(sweep) == 1 {
		return runOne(ctx, append(pos[:1:1], sweep[0]...), *runIDFlag, stdout, stderr)
	}
	return runSweep(ctx, pos[0], sweep, stdout, stderr)
}

// runSweep runs the study once per combination of the sweep overrides
// (params.k=5,10,20: three runs), as runs <run_id>-1, <run_id>-2, … of the
// same output. Every run's spec is validated before the first starts.
func runSweep(ctx context.Context, file string, sweep [][]string, stdout, stderr io.Writer) error {
	for _, overrides := range sweep {
		if _, err := loadSpec(append([]string{file}, overrides...)); err != nil {
			return err
		}
	}
	base := *runIDFlag
	if base == "" {
		base = newRunID(time.Now())
	}
	for i, overrides := range sweep {
		runID := fmt.Sprintf("%s-%d", base, i+1)
		var values []string // the swept overrides: those some other run lacks
		for _, o := range overrides {
			if slices.ContainsFunc(sweep, func(r []string) bool { return !slices.Contains(r, o) }) {
				values = append(values, o)
			}
		}
		if !*quietFlag {
			fmt.Fprintf(stderr, "lowdim: sweep run %d of %d: %s as run %s\n", i+1, len(sweep), strings.Join(values, " "), runID)
		}
		if err := runOne(ctx, append([]string{file}, overrides...), runID, stdout, stderr); err != nil {
			return fmt.Errorf("sweep run %d of %d (%s): %w", i+1, len(sweep), strings.Join(values, " "), err)
		}
	}
	return nil
}

// runOne runs the spec pos[0] with the overrides pos[1:] as run runID
// ("" = a new id).
func runOne(ctx context.Context, pos []string, runID string, stdout, stderr io.Writer) error {
	spec, err := loadSpec(pos)
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
	// One spelling per folder: gs://b/o/ and gs://b/o name the same tables.
	if strings.Contains(out, "://") {
		if base := strings.TrimRight(out, "/"); !strings.HasSuffix(base, ":/") {
			out = base
		}
	} else {
		out = filepath.Clean(out)
	}
	if runID == "" {
		runID = newRunID(time.Now())
	}
	if !validRunID.MatchString(runID) {
		return usageError{fmt.Sprintf("--run_id %q: use letters, digits, '-', '_' and '.' only", runID)}
	}
	if strings.ContainsAny(out, "*?[\\") {
		return usageError{fmt.Sprintf("output %q: glob characters (* ? [ \\) are not allowed in an output path", out)}
	}
	for _, name := range []string{"async", "execute_async", "template_location"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != f.DefValue {
			return usageError{fmt.Sprintf("--%s is not supported: lowdim waits for the job to commit its tables", name)}
		}
	}
	runner := runnerName()
	if err := checkRemote(spec, out, runner); err != nil {
		return err
	}
	if err := checkEndpoint(ctx, runner); err != nil {
		return err
	}
	if err := configureCores(runner); err != nil {
		return err
	}
	dryRun := isDryRun()
	if !dryRun {
		// Before any work: finish or clear what crashed runs left in out,
		// take this run's lock (refusing a concurrent run of the same id),
		// and prove out writable.
		unlock, err := openOutput(ctx, out, runID)
		if err != nil {
			return err
		}
		defer unlock()
	}

	study, err := studies.Lookup(spec.Study)
	if err != nil {
		return fmt.Errorf("%s: %w", spec.File, err)
	}
	plan, err := study.Plan(ctx, spec, out, runID)
	if err != nil {
		return err
	}
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

	if !dryRun {
		// Files staged by an earlier, interrupted run with this id must not be committed with this one.
		if err := tables.Abort(ctx, out, runID); err != nil {
			return err
		}
	}
	if dryRun {
		beamlog.LogLevel = "info" // the job is printed in Beam's log
	}
	beam.Init()
	captureBeamLogs(dryRun)
	failureLog.reset()
	p, s := beam.NewPipelineWithRoot()
	plan.Build(s)
	if !*quietFlag {
		fmt.Fprintf(stderr, "lowdim: running %s study %q as run %s on %s\n", spec.Study, spec.Name, runID, runner)
	}
	job, restoreFlags, err := prepareJob(ctx, runner, runID)
	defer restoreFlags()
	if err != nil {
		return err
	}
	started := time.Now().UTC()
	stopProgress := func() {}
	if !*quietFlag && !dryRun {
		stopProgress = startProgress(ctx, stderr, job, plan.Work(), progressInterval)
	}
	restoreTemp := privateTempDir()
	res, err := beamx.RunWithMetrics(ctx, p)
	stopProgress()
	restoreTemp()
	if err != nil {
		// An interrupted run's ctx is cancelled: clean up without it.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), *checkTimeout)
		defer cancel()
		if aerr := tables.Abort(cctx, out, runID); aerr != nil {
			fmt.Fprintf(stderr, "lowdim: cleaning up staged files: %v\n", aerr)
		}
		if _, ok := interruptedBy(ctx); ok {
			return context.Cause(ctx)
		}
		if cause := failureLog.first(); cause != "" {
			return fmt.Errorf("%s", cause)
		}
		return fmt.Errorf("run %s failed: %w (LOWDIM_BEAM_LOGS=1 shows the runner's log)", runID, err)
	}
	finished := time.Now().UTC()
	if dryRun {
		fmt.Fprintf(stdout, "dry run: job printed above (Beam's log), nothing submitted or written\n")
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
	staged := 0
	for _, t := range plan.Tables() {
		files, err := files.List(ctx, tables.Join(tables.StagingFolder(out, t, runID), "*.parquet"))
		if err != nil {
			return err
		}
		staged += len(files)
	}
	if staged == 0 {
		tables.Abort(ctx, out, runID)
		return fmt.Errorf("run %s finished but no table reached %s: workers on another machine need an output they share with the launcher (gs://…)", runID, out)
	}
	specJSON, err := spec.JSON()
	if err != nil {
		return err
	}
	run := pipelines.RunRow{
		RunID: runID, Study: spec.Study, Name: spec.Name, Spec: string(specJSON), Seed: spec.Seed,
		Runner: runner, LowdimVersion: version, StartedAt: started, FinishedAt: finished,
		RowsRead: counters["rows_read"], Shards: counters["shards"], BadRows: counters["bad_rows"],
		BadRowsUnparsable: counters["bad_rows_"+matrix.ReasonUnparsable],
		BadRowsFieldCount: counters["bad_rows_"+matrix.ReasonFieldCount],
		BadRowsNonFinite:  counters["bad_rows_"+matrix.ReasonNonFinite],
	}
	runsFile := tables.Join(tables.StagingFolder(out, pipelines.RunsTable, runID), tables.PartName(0, 1))
	if err := tables.WriteFile(ctx, runsFile, []any{run}); err != nil {
		tables.Abort(ctx, out, runID)
		return err
	}
	committed, err := tables.Commit(ctx, out, runID, *overwriteFlag, append(plan.Tables(), pipelines.RunsTable))
	if err != nil {
		tables.Abort(ctx, out, runID)
		return err
	}
	if !*quietFlag {
		if study.Summary != nil {
			if err := study.Summary(ctx, stdout, out, run); err != nil {
				return err
			}
		}
	}
	if i := slices.Index(committed, pipelines.CheckpointsFolder); i >= 0 {
		committed = slices.Delete(committed, i, i+1)
		fmt.Fprintf(stdout, "checkpoints: %s\n", tables.Join(out, pipelines.CheckpointsFolder, "run="+runID))
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
	var lines []string
	for _, l := range strings.Split(err.Error(), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return "unknown error"
	}
	if len(lines) == 1 {
		return lines[0]
	}
	return lines[0] + " " + lines[len(lines)-1]
}

// checkTimeout bounds each check made before a run (output writable).
var checkTimeout = flag.Duration("check_timeout", 20*time.Second, "deadline of each check before a run starts (output writable, endpoint reachable)")

// openOutput recovers out (completes journalled commits, removes the
// staging of crashed runs), takes runID's lock and proves out writable by
// writing and removing a probe in its staging folder, each within
// --check_timeout. It returns the unlock function.
func openOutput(ctx context.Context, out, runID string) (unlock func(), err error) {
	cctx, cancel := context.WithTimeout(ctx, *checkTimeout)
	defer cancel()
	if _, _, err := tables.Recover(cctx, out, onlyRemote(out, runID)); err != nil {
		return nil, deadlineHint(cctx, fmt.Errorf("recovering %s: %w", out, err))
	}
	lock, err := tables.TryLock(cctx, out, runID)
	if err != nil {
		return nil, err
	}
	probe := tables.Join(tables.StagingDir, "run="+runID, ".probe")
	if err := tables.WriteBytes(cctx, tables.Join(out, probe), nil); err != nil {
		lock.Unlock()
		return nil, deadlineHint(cctx, fmt.Errorf("output %s is not writable: %w", out, err))
	}
	if err := tables.Abort(cctx, out, runID); err != nil {
		lock.Unlock()
		return nil, deadlineHint(cctx, fmt.Errorf("output %s: removing the write probe: %w", out, err))
	}
	return lock.Unlock, nil
}

// onlyRemote is the run id Recover may touch: every run locally (locks tell
// live runs), only this run on an object store.
func onlyRemote(out, runID string) string {
	if strings.Contains(out, "://") {
		return runID
	}
	return ""
}

// checkEndpoint dials the job server of --endpoint (runners other than
// Dataflow) within --check_timeout, so that an address nothing listens on
// is refused in seconds, before any planning, instead of after Beam's
// two-minute connection timeout.
func checkEndpoint(ctx context.Context, runner string) error {
	ep := *jobopts.Endpoint
	if ep == "" || runner == "dataflow" {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, *checkTimeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(cctx, "tcp", ep)
	if err != nil {
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Err != nil {
			err = oe.Err // "connection refused", without Go's "dial tcp" prefix
		}
		return deadlineHint(cctx, fmt.Errorf("--endpoint=%s: the %s job server is not reachable: %v", ep, runner, err))
	}
	conn.Close()
	return nil
}

func deadlineHint(ctx context.Context, err error) error {
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("%w (no answer within --check_timeout=%s)", err, *checkTimeout)
	}
	return err
}
