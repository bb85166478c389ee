package cli

import (
	"fmt"
	"runtime"
	"strconv"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/internal/parallel"
	"github.com/lowdim/lowdim/pipelines"
)

// configureCores sizes the worker pool (internal/parallel) of the processes
// that run the job: --cores, else every core when the workers are this
// process (in-process Prism, LOOPBACK). Remote workers start with one
// element at a time per bundle (their runner runs a bundle per core) and
// take --cores, when given, from the pipeline option parallel.Option.
func configureCores(runner string) error {
	n := *coresFlag
	if n < 0 {
		return usageError{fmt.Sprintf("--cores %d: give a positive number of cores (or omit it for the default)", n)}
	}
	// In process, the pipeline may fuse fan-outs that remote workers need
	// spread (pipelines.InProcessWorkers).
	pipelines.InProcessWorkers = !remoteWorkers(runner)
	if remoteWorkers(runner) {
		if n > 0 {
			beam.PipelineOptions.Set(parallel.Option, strconv.Itoa(n))
		}
		return nil
	}
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	parallel.SetWorkers(n)
	beam.PipelineOptions.Set(parallel.Option, strconv.Itoa(n))
	return nil
}
