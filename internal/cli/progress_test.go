package cli

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lowdim/lowdim/pipelines"
)

func TestProgressLine(t *testing.T) {
	shards := pipelines.Work{Total: 10, Unit: "shards", Counter: "shards"}
	matrices := pipelines.Work{Total: 40, Unit: "matrices", Counter: "matrices"}
	training := pipelines.Work{Total: 4, Unit: "training runs", Counter: "training_runs", Steps: 40_000, StepUnit: "steps", StepCounter: "optimizer_steps"}
	for _, tc := range []struct {
		c       progressCounts
		w       pipelines.Work
		elapsed time.Duration
		want    string
	}{
		{progressCounts{units: 12}, matrices, time.Minute, "lowdim: 12/40 matrices, 12/min, about 2m20s left"},
		{progressCounts{units: 3, rows: 3000}, shards, 2 * time.Second, "lowdim: 3/10 shards, 1.5k rows/s, about 5s left"},
		{progressCounts{units: 50}, matrices, time.Minute, "lowdim: 50/40 matrices, 50/min"},
		{progressCounts{units: 7}, pipelines.Work{Unit: "trials"}, time.Minute, "lowdim: 7 trials, 7/min"},
		// A Hessian of a 1,000-row subsample counts the 60,000 rows it scanned: no rows/s.
		{progressCounts{units: 2, rows: 120_000}, pipelines.Work{Total: 11, Unit: "Hessians", NoRowRate: true}, 6 * time.Minute, "lowdim: 2/11 Hessians, 0.33/min, about 27m0s left"},
		// Within the first training run: the steps move, the time left counts steps.
		{progressCounts{steps: 2500}, training, 10 * time.Second, "lowdim: 0/4 training runs, 2500/40.0k steps, 250 steps/s, about 2m30s left"},
		{progressCounts{units: 4, steps: 40_000}, training, 100 * time.Second, "lowdim: 4/4 training runs, 40.0k/40.0k steps, 400 steps/s"},
	} {
		if got := progressLine(tc.c, tc.w, tc.elapsed); got != tc.want {
			t.Errorf("progressLine(%+v, %+v, %v) = %q, want %q", tc.c, tc.w, tc.elapsed, got, tc.want)
		}
	}
}

var progressRE = regexp.MustCompile(`lowdim: (\d+)/(\d+) ([a-z ]+?)(?:, (\d+)/(\d+) steps)?,`)

// progressCountsOf returns the units and steps of every progress line in
// stderr, in order.
func progressCountsOf(t *testing.T, stderr string) (lines [][2]int64, total, steps int64) {
	t.Helper()
	for _, m := range progressRE.FindAllStringSubmatch(stderr, -1) {
		units, _ := strconv.ParseInt(m[1], 10, 64)
		total, _ = strconv.ParseInt(m[2], 10, 64)
		var s int64
		if m[4] != "" {
			s, _ = strconv.ParseInt(m[4], 10, 64)
			steps, _ = strconv.ParseInt(m[5], 10, 64)
		}
		lines = append(lines, [2]int64{units, s})
	}
	return lines, total, steps
}

// TestProgressFromJobService: the launcher polls the job's counters from
// the job service — the in-process Prism the launcher starts and a
// standalone Prism job server (the Job API of Flink's) — and the last
// progress line counts every unit of the plan's Work: 6 shards of the
// quickstart; 2 training runs of 188 optimizer steps each, counted step by
// step. Counts never go back.
func TestProgressFromJobService(t *testing.T) {
	saved := progressInterval
	progressInterval = time.Millisecond // every run lasts longer: the final line is printed
	t.Cleanup(func() { progressInterval = saved })
	endpoint := startPrismJobServer(t)
	for _, tc := range []struct {
		spec               string
		units, steps       int64
		wantUnit           string
		runnerFlagsRemotes bool
	}{
		{"experiments/quickstart.yaml", 6, 0, "shards", false},
		{"experiments/quickstart.yaml", 6, 0, "shards", true},
		{"experiments/mnist-mlp-checkpoints.yaml", 2, 2 * 188, "training runs", false},
	} {
		args := []string{"run", tc.spec, "--out", t.TempDir(), "--report=false"}
		if tc.runnerFlagsRemotes {
			args = append(args, "--runner=universal", "--endpoint="+endpoint, "--environment_type=LOOPBACK")
		}
		code, stdout, stderr := runLowdim(t, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d\n%s\n%s", args, code, stdout, stderr)
		}
		lines, total, steps := progressCountsOf(t, stderr)
		if len(lines) == 0 {
			t.Fatalf("%v: no progress line in %q", args, stderr)
		}
		last := lines[len(lines)-1]
		if total != tc.units || last[0] != tc.units || steps != tc.steps || last[1] != tc.steps || !strings.Contains(stderr, tc.wantUnit) {
			t.Errorf("%v: last progress line %v of %d units, %d steps; want %d %s, %d steps\n%q", args, last, total, steps, tc.units, tc.wantUnit, tc.steps, stderr)
		}
		for i := 1; i < len(lines); i++ {
			if lines[i][0] < lines[i-1][0] || lines[i][1] < lines[i-1][1] {
				t.Errorf("%v: progress went back from %v to %v", args, lines[i-1], lines[i])
			}
		}
		t.Logf("%v: %d progress lines, first %v", args[1:], len(lines), lines[0])
	}
}
