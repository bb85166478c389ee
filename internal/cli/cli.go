// Package cli is the lowdim command: it parses the command line, checks a
// run before it starts, runs the pipeline, commits its tables and prints the
// summary and report. Package main only calls Main.
//
//	lowdim run SPEC.yaml [--out DIR] [--runner prism|direct|universal|flink|dataflow] [Beam flags]
//	lowdim validate SPEC.yaml
//	lowdim report OUT
//	lowdim version
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/experiments"
	"github.com/lowdim/lowdim/internal/parallel"
	"github.com/lowdim/lowdim/internal/studies"
	"github.com/lowdim/lowdim/io/tables"
	"github.com/lowdim/lowdim/report"
)

// version is the lowdim version Main was given.
var version = "dev"

var (
	outFlag       = flag.String("out", "", "output directory or gs://bucket/prefix (overrides the spec's output)")
	runIDFlag     = flag.String("run_id", "", "run id (default: UTC time and a random suffix)")
	overwriteFlag = flag.Bool("overwrite", false, "replace the tables of an existing run with the same --run_id")
	quietFlag     = flag.Bool("quiet", false, "print only errors and where the tables are")
	reportFlag    = flag.Bool("report", true, "write OUT/report/ (plots, report.md, index.html) after a local run")
	openFlag      = flag.Bool("open", false, "lowdim report: print the path of OUT/report/index.html to open in a browser")
	figuresFlag   report.Figures
	coresFlag     = flag.Int("cores", 0, "elements (and kernel threads) one lowdim process computes at once (default: every core for a local run, 1 per bundle on remote workers)")
)

func init() {
	flag.Var(&figuresFlag, "figures", "figures the report draws: summary (a run's clouds together; one figure each for a run of one cloud) or all (also one per cloud)")
}

const usage = `lowdim — low-dimensional structure in data and models, as Beam pipelines.

Usage:
  lowdim run SPEC.yaml [KEY=VALUE…] [flags]
                                 run a study; tables go to OUT/<table>/run=<run_id>/
  lowdim validate SPEC.yaml      check a spec and print it with every default filled in
  lowdim report OUT [--open] [--figures=all]
                                 write OUT/report/ (plots, report.md, index.html) for the runs in OUT
  lowdim repair OUT              complete commits a crash interrupted and remove abandoned staging
  lowdim version                 print the version
  lowdim help COMMAND            help for one command

Start with:  lowdim run experiments/quickstart.yaml
Read tables: duckdb -c "SELECT * FROM read_parquet('OUT/spectrum_summary/**/*.parquet', hive_partitioning=1)"
`

const runUsage = `Usage: lowdim run SPEC.yaml [KEY=VALUE ...] [flags]

Runs the study described by SPEC.yaml (see experiments/quickstart.yaml) and
writes its tables to OUT/<table>/run=<run_id>/part-*.parquet, committed only
when the whole run succeeds. Prints a short summary and writes OUT/report/.

Overrides: KEY=VALUE arguments after the spec set dotted keys as if written
in it (values are YAML), validated like the file and recorded in the runs row:
  lowdim run experiments/quickstart.yaml params.k=5 input.shard_rows=500

lowdim flags:
  --out DIR            output directory or gs://bucket/prefix (default: the spec's output)
  --run_id ID          run id (default: UTC time and a random suffix)
  --overwrite          replace an existing run with the same --run_id
  --quiet              print only errors and where the tables are
  --report=false       skip writing OUT/report/
  --figures=all        also draw the report's per-cloud figures (default summary:
                       figures that put a run's clouds together; see lowdim help report)
  --cores N            compute N elements at once in each lowdim process (default:
                       every core for a local run; 1 per bundle on remote workers,
                       whose runner already runs one bundle per core)

Runner flags (Beam's):
  --runner R           prism (default, in process), direct (alias of prism),
                       universal | flink (a job server), dataflow
  --endpoint HOST:PORT job server for universal/flink
  --environment_type T LOOPBACK | DOCKER | EXTERNAL
  --project, --region, --staging_location, --temp_location, --worker_binary,
  --dry_run            Dataflow; see docs/DEPLOY.md
`

const validateUsage = `Usage: lowdim validate SPEC.yaml [KEY=VALUE ...]

Parses and checks SPEC.yaml (unknown keys are errors) and prints it with every
default filled in. Exits non-zero with a one-line error on a bad spec.
`

const reportUsage = `Usage: lowdim report OUT [--run_id ID] [--open] [--figures=summary|all]

Reads the tables under OUT and writes OUT/report/: report.md with the
figures (PNG, and SVG beside each) of one run (default: the latest), and
index.html, one self-contained page (figures inlined as SVG, tables, links
to the Parquet files and the spec) with a section for every run in OUT.
--open prints the path of index.html to open in a browser.

--figures=summary (the default, also what lowdim run writes) draws the
figures that put a run's clouds together: for a landscape run of several
clouds, every cloud's mean landscapes (λ₁, λ₂) and persistence diagrams in
two figures, with one table of every cloud's numbers. --figures=all also
draws each cloud's own figures (its diagrams, every level of its mean
landscape per dimension, its Hilbert heatmaps).
`

// Main runs the lowdim command with args (os.Args[1:]) and returns the exit
// code. When a runner starts the binary as an SDK worker, Main serves the
// worker harness and never returns.
func Main(args []string, lowdimVersion string) int {
	version = lowdimVersion
	if isWorker(args) {
		// A remote runner runs one bundle per core: one element at a time
		// per bundle, unless the launcher passed --cores (transforms reads it).
		parallel.SetPerBundle()
		flag.Parse()
		beam.Init() // serves the worker harness and exits
	}
	// Ctrl-C cancels the run; the launcher then removes what it staged.
	ctx, stop := notifyInterrupt(context.Background())
	defer stop()
	defer startProfile()()
	return runCLI(ctx, args, os.Stdout, os.Stderr)
}

// interrupted is the cause of a context cancelled by a signal.
type interrupted struct{ sig os.Signal }

func (e interrupted) Error() string { return "interrupted (" + e.sig.String() + ")" }

// exitCode is the shell's code for a process ended by the signal: 128 + its
// number (130 for SIGINT, 143 for SIGTERM).
func (e interrupted) exitCode() int {
	if s, ok := e.sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 130
}

// notifyInterrupt returns a context cancelled, with an interrupted cause,
// by the first SIGINT or SIGTERM. Later signals get the default action, so
// a second Ctrl-C ends a launcher that is slow to clean up.
func notifyInterrupt(parent context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			signal.Stop(sigs)
			cancel(interrupted{s})
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// interruptedBy returns the signal that cancelled ctx, if one did.
func interruptedBy(ctx context.Context) (interrupted, bool) {
	var in interrupted
	ok := ctx.Err() != nil && errors.As(context.Cause(ctx), &in)
	return in, ok
}

// isWorker reports whether a runner started this binary as an SDK worker.
func isWorker(args []string) bool {
	for _, a := range args {
		if a == "--worker" || a == "-worker" || strings.HasPrefix(a, "--worker=") || strings.HasPrefix(a, "-worker=") {
			return true
		}
	}
	return false
}

func runCLI(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	helps := map[string]string{"run": runUsage, "validate": validateUsage, "report": reportUsage, "repair": repairUsage}
	if wantsHelp(rest) {
		if h, ok := helps[cmd]; ok {
			fmt.Fprint(stdout, h)
			return 0
		}
	}
	var err error
	switch cmd {
	case "run":
		err = cmdRun(ctx, rest, stdout, stderr)
	case "validate":
		err = cmdValidate(rest, stdout)
	case "report":
		err = cmdReport(ctx, rest, stdout)
	case "repair":
		err = cmdRepair(ctx, rest, stdout)
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "lowdim %s\n", version)
	case "help", "-h", "--help", "-help":
		if len(rest) > 0 {
			if h, ok := helps[rest[0]]; ok {
				fmt.Fprint(stdout, h)
				return 0
			}
		}
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "lowdim: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		if in, ok := interruptedBy(ctx); ok {
			// Whatever the runner made of the cancellation ("failed to get
			// metrics: rpc error: Canceled"), the cause is the signal.
			fmt.Fprintf(stderr, "lowdim: %v\n", in)
			return in.exitCode()
		}
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "lowdim %s: %v\n", cmd, err)
			return 2
		}
		fmt.Fprintf(stderr, "lowdim: %s\n", oneLine(err))
		return 1
	}
	return 0
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "-help" || a == "help" {
			return true
		}
	}
	return false
}

// parseInterspersed parses Beam's and lowdim's flags (on flag.CommandLine)
// wherever they appear among the positional arguments, which it returns.
func parseInterspersed(args []string) ([]string, error) {
	var positional []string
	fs := flag.CommandLine
	fs.SetOutput(io.Discard)
	// flag.CommandLine exits the process on a bad flag, silently since its
	// output is discarded; report the flag instead.
	fs.Init(fs.Name(), flag.ContinueOnError)
	for {
		if err := fs.Parse(args); err != nil {
			return nil, usageError{err.Error() + " (see lowdim help)"}
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func cmdValidate(args []string, stdout io.Writer) error {
	pos, err := parseInterspersed(args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		_, err := loadSpec(pos)
		return err
	}
	runs, err := experiments.ExpandSweeps(pos[1:])
	if err != nil {
		return usageError{err.Error()}
	}
	for i, overrides := range runs { // a sweep: every run's spec, as YAML documents
		spec, err := loadSpec(append(pos[:1:1], overrides...))
		if err != nil {
			return err
		}
		canon, err := spec.Canonical()
		if err != nil {
			return err
		}
		if len(runs) > 1 {
			fmt.Fprintf(stdout, "---\n# sweep run %d of %d: %s\n", i+1, len(runs), strings.Join(overrides, " "))
		}
		fmt.Fprintf(stdout, "# %s: valid %s study\n", pos[0], spec.Study)
		if _, err := stdout.Write(canon); err != nil {
			return err
		}
	}
	return nil
}

func cmdReport(ctx context.Context, args []string, stdout io.Writer) error {
	pos, err := parseInterspersed(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"want exactly one OUT directory"}
	}
	out := pos[0]
	if strings.Contains(out, "://") {
		return usageError{"reports are written next to local tables: copy the tables first (gsutil -m cp -r " + out + " DIR) and run lowdim report DIR"}
	}
	if _, _, err := tables.Recover(ctx, out, ""); err != nil {
		return err
	}
	runID := *runIDFlag
	if runID == "" {
		run, err := report.LatestRun(ctx, out)
		if err != nil {
			return err
		}
		runID = run.RunID
	}
	dir, err := writeReport(ctx, out, runID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "report: %s\n", dir)
	if *openFlag {
		index, err := filepath.Abs(filepath.Join(dir, report.IndexFile))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "open: %s\n", index)
	}
	return nil
}

// writeReport writes OUT/report/ for run runID (report.md) and every run
// of OUT (index.html), each with its study's section and the figures
// --figures asks for.
func writeReport(ctx context.Context, out, runID string) (string, error) {
	return report.Write(report.WithFigures(ctx, figuresFlag), out, runID, lookupStudy)
}

// lookupStudy is the report section and summary of a registered study.
func lookupStudy(name string) (report.Section, report.Summary, error) {
	st, err := studies.Lookup(name)
	if err != nil {
		return nil, nil, err
	}
	return st.Report, st.Summary, nil
}

const repairUsage = `Usage: lowdim repair OUT

Completes the commits that a crash interrupted (every run is then whole:
all its tables and its runs row) and removes what runs that crashed before
committing left in OUT/_staging. Runs still in progress are left alone.
lowdim run and lowdim report do the same before they touch OUT; on gs://,
which has no locks, repair acts only on --run_id.
`

func cmdRepair(ctx context.Context, args []string, stdout io.Writer) error {
	pos, err := parseInterspersed(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"want exactly one OUT directory"}
	}
	completed, removed, err := tables.Recover(ctx, pos[0], *runIDFlag)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "repaired %s: %d commits completed %v, %d abandoned runs removed %v\n", pos[0], len(completed), completed, len(removed), removed)
	return nil
}
