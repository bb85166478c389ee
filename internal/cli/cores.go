package cli

import (
	"fmt"
	"runtime"

	"github.com/lowdim/lowdim/internal/parallel"
)

// configureCores sizes this process's worker pool (internal/parallel) for a
// run: --cores, else every core when the workers are this process
// (in-process Prism, LOOPBACK). Remote workers start with one element at a
// time per bundle and take --cores from the pipeline options, where Beam
// puts every flag the launcher was given (transforms.CoresOption).
func configureCores(runner string) error {
	n := *coresFlag
	if n < 0 {
		return usageError{fmt.Sprintf("--cores %d: give a positive number of cores (or omit it for the default)", n)}
	}
	if remoteWorkers(runner) {
		return nil
	}
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	parallel.SetWorkers(n)
	return nil
}
