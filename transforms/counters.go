package transforms

import (
	"context"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
)

// Counters (Beam metrics, namespace "lowdim") the DoFns increment by one
// as each unit of work finishes; the launcher polls them from the job
// service for its progress line (pipelines.Work). Shards read by io/blocks
// are counted there, as blocks.ShardsCounter.
const (
	HessiansCounter       = "hessians"        // HessianFn: one block of one checkpoint
	TrainingRunsCounter   = "training_runs"   // SubspaceRunFn: one training run
	OptimizerStepsCounter = "optimizer_steps" // SubspaceRunFn: one optimizer step of a training run
	TrialsCounter         = "trials"          // PhaseTrialFn: one trial of one cell
	SubsamplesCounter     = "subsamples"      // LandscapeFn: one (cloud, sample) diagram
	MatricesCounter       = "matrices"        // rank_dynamics: one weight matrix of one step
)

// poolCounters creates, on the bundle's goroutine, the lowdim counters that
// work on the worker pool (concurrent.Go) will increment: Beam keeps a
// bundle's counters in a plain map, created lazily, so goroutines other
// than the bundle's may only add to counters that already exist. Call it
// in ProcessElement before concurrent.Go.
func poolCounters(ctx context.Context, names ...string) {
	for _, n := range names {
		beam.NewCounter("lowdim", n).Inc(ctx, 0)
	}
}
