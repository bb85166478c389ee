package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/metricsx"
	jobpb "github.com/apache/beam/sdks/v2/go/pkg/beam/model/jobmanagement_v1"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/options/jobopts"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/lowdim/lowdim/pipelines"
)

// progressInterval is how often the progress line is updated.
var progressInterval = 2 * time.Second

// jobCounters reads the lowdim counters (pipelines.ProgressNamespace) of
// one job from a Beam job service while it runs: the job is found by its
// name (GetJobs), its counters by GetJobMetrics. In-process Prism and job
// servers (Prism, Flink) answer alike, so remote runs show progress too.
type jobCounters struct {
	client jobpb.JobServiceClient
	name   string
	id     string
}

// read returns the job's counters by name, summed over transforms; each
// counter is the larger of its committed value (finished bundles) and its
// attempted one (Prism reports the counts of a running bundle there), so
// a unit counts as soon as a worker reports it. It returns nil while the
// job is not yet submitted.
func (j *jobCounters) read(ctx context.Context) (map[string]int64, error) {
	if j.id == "" {
		jobs, err := j.client.GetJobs(ctx, &jobpb.GetJobsRequest{})
		if err != nil {
			return nil, err
		}
		for _, info := range jobs.GetJobInfo() {
			if info.GetJobName() == j.name {
				j.id = info.GetJobId()
			}
		}
		if j.id == "" {
			return nil, nil
		}
	}
	resp, err := j.client.GetJobMetrics(ctx, &jobpb.GetJobMetricsRequest{JobId: j.id})
	if err != nil {
		return nil, err
	}
	return lowdimCounters(resp.GetMetrics()), nil
}

// lowdimCounters sums the lowdim counters of a job's metrics by name.
func lowdimCounters(m *jobpb.MetricResults) map[string]int64 {
	res := metricsx.FromMonitoringInfos(nil, m.GetAttempted(), m.GetCommitted())
	counters := map[string]int64{}
	for _, c := range res.AllMetrics().Counters() {
		if c.Namespace() == pipelines.ProgressNamespace {
			counters[c.Name()] += max(c.Committed, c.Attempted)
		}
	}
	return counters
}

// inProcess is the Prism job server this process runs for --runner=prism
// without an endpoint (what prism.Execute would start), started by the
// launcher so that it knows the endpoint and can poll the job's counters.
var inProcess struct {
	sync.Mutex
	endpoint string
	client   jobpb.JobServiceClient
}

// inProcessPrism starts (once per process) an in-process Prism job server
// and returns its endpoint and a client of it.
func inProcessPrism(ctx context.Context) (string, jobpb.JobServiceClient, error) {
	inProcess.Lock()
	defer inProcess.Unlock()
	if inProcess.client != nil {
		return inProcess.endpoint, inProcess.client, nil
	}
	var last error
	for range 5 { // the free port may be taken before Prism listens on it
		l, err := net.Listen("tcp", "127.0.0.1:0") // no resolver lookup (7 ms)
		if err != nil {
			return "", nil, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		client, err := func() (c jobpb.JobServiceClient, err error) {
			defer func() {
				if r := recover(); r != nil { // Prism panics when it cannot listen
					err = fmt.Errorf("starting Prism on port %d: %v", port, r)
				}
			}()
			dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			return prism.CreateJobServer(dctx, prism.Options{Port: port})
		}()
		if err != nil {
			last = err
			continue
		}
		inProcess.endpoint, inProcess.client = fmt.Sprintf("localhost:%d", port), client
		return inProcess.endpoint, client, nil
	}
	return "", nil, last
}

// jobServiceClient returns a client of the job service at endpoint and a
// func that closes it.
func jobServiceClient(endpoint string) (jobpb.JobServiceClient, func(), error) {
	cc, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, nil, err
	}
	return jobpb.NewJobServiceClient(cc), func() { cc.Close() }, nil
}

var jobNameChars = regexp.MustCompile(`[^a-z0-9-]+`)

// prepareJob points Beam at the job service the run will use, names the
// job so the launcher can find it there, and returns the reader of its
// counters (nil when the runner has no job service to poll: Dataflow) and
// a func restoring the flags it set.
func prepareJob(ctx context.Context, runner, runID string) (*jobCounters, func(), error) {
	saved := [3]string{*jobopts.Endpoint, *jobopts.EnvironmentType, *jobopts.JobName}
	restore := func() {
		*jobopts.Endpoint, *jobopts.EnvironmentType, *jobopts.JobName = saved[0], saved[1], saved[2]
	}
	if runner == "dataflow" {
		return nil, restore, nil
	}
	var client jobpb.JobServiceClient
	closeClient := func() {}
	if runner == "prism" && *jobopts.Endpoint == "" {
		endpoint, c, err := inProcessPrism(ctx)
		if err != nil {
			return nil, restore, err
		}
		*jobopts.Endpoint, client = endpoint, c
		if *jobopts.EnvironmentType == "" {
			*jobopts.EnvironmentType = "loopback" // as prism.Execute does for its own server
		}
	} else if *jobopts.Endpoint != "" {
		c, cl, err := jobServiceClient(*jobopts.Endpoint)
		if err != nil {
			return nil, restore, err
		}
		client, closeClient = c, cl
	} else {
		return nil, restore, nil
	}
	if *jobopts.JobName == "" {
		var b [4]byte
		rand.Read(b[:])
		*jobopts.JobName = "lowdim-" + strings.Trim(jobNameChars.ReplaceAllString(strings.ToLower(runID), "-"), "-") + "-" + hex.EncodeToString(b[:])
	}
	return &jobCounters{client: client, name: *jobopts.JobName}, func() { closeClient(); restore() }, nil
}

// startProgress prints, every interval until the returned stop is called,
// the units of work finished of w.Total (an estimate for some studies, so
// the count may pass it), the steps inside them when w counts steps, the
// rows read per second when units read rows, and the time left at the rate
// so far. It reads the job's counters from its job service (jobCounters),
// and prints nothing while they stay at zero. When the run lasted longer
// than interval, stop reads the counters once more and prints the final
// count; it returns once the last line has ended with a newline.
func startProgress(ctx context.Context, out io.Writer, job *jobCounters, w pipelines.Work, interval time.Duration) (stop func()) {
	if job == nil {
		return func() {}
	}
	start := time.Now()
	quit, done := make(chan struct{}), make(chan struct{})
	var shown progressCounts
	printed, ticked := false, false
	update := func() {
		rctx, cancel := context.WithTimeout(ctx, interval+5*time.Second)
		defer cancel()
		counters, err := job.read(rctx)
		if err != nil || counters == nil {
			return // the job service may not know the job yet; the next tick tries again
		}
		// Attempted counts of concurrent bundles may overwrite each other: never go back.
		shown.units = max(shown.units, counters[w.Counter])
		shown.rows = max(shown.rows, counters[pipelines.RowsReadCounter])
		if w.StepCounter != "" {
			shown.steps = max(shown.steps, counters[w.StepCounter])
		}
		if shown.units == 0 && shown.steps == 0 {
			return
		}
		fmt.Fprintf(out, "\r%-78s", progressLine(shown, w, time.Since(start)))
		printed = true
	}
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				if ticked {
					update()
				}
				if printed {
					fmt.Fprintln(out)
				}
				return
			case <-tick.C:
				ticked = true
				update()
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// progressCounts are the counts a progress line reports.
type progressCounts struct {
	units, steps, rows int64
}

// progressLine is one progress report: "lowdim: 12/40 matrices, 3.1k rows/s…",
// or with steps "lowdim: 1/4 training runs, 1.2k/3.0k steps, 40/min…"
// (the rate and the time left then count steps).
func progressLine(c progressCounts, w pipelines.Work, elapsed time.Duration) string {
	line := fmt.Sprintf("lowdim: %d/%d %s", c.units, w.Total, w.Unit)
	if w.Total <= 0 {
		line = fmt.Sprintf("lowdim: %d %s", c.units, w.Unit)
	}
	done, total := c.units, int64(w.Total)
	if w.Steps > 0 {
		line += fmt.Sprintf(", %s/%s %s", humanCount(c.steps), humanCount(w.Steps), w.StepUnit)
		done, total = c.steps, w.Steps
	}
	switch {
	case c.rows > 0 && !w.NoRowRate:
		line += fmt.Sprintf(", %s rows/s", humanRate(float64(c.rows)/elapsed.Seconds()))
	case w.Steps > 0:
		line += fmt.Sprintf(", %s %s/s", humanRate(float64(c.steps)/elapsed.Seconds()), w.StepUnit)
	default:
		line += fmt.Sprintf(", %s/min", humanRate(float64(c.units)/elapsed.Minutes()))
	}
	if total > 0 && done > 0 && done < total {
		left := time.Duration(float64(elapsed) * float64(total-done) / float64(done))
		line += fmt.Sprintf(", about %s left", left.Round(time.Second))
	}
	return line
}

func humanRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	case r < 1:
		return fmt.Sprintf("%.2g", r)
	}
	return fmt.Sprintf("%.0f", r)
}

// humanCount is n, with k or M past 10 000.
func humanCount(n int64) string {
	if n < 10_000 {
		return fmt.Sprint(n)
	}
	return humanRate(float64(n))
}
