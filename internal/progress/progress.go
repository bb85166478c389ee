// Package progress counts the units of work (shards, matrices, trials,
// training runs, subsamples) that the workers of this process have
// finished, so the launcher can show progress. Local runs (in-process
// Prism, LOOPBACK workers) run every worker here; on remote workers the
// counts stay in their processes and the launcher shows nothing.
package progress

import "sync/atomic"

var units, rows atomic.Int64

// Add records n finished units of work that read r input rows.
func Add(n, r int64) {
	units.Add(n)
	rows.Add(r)
}

// Load returns the units finished and the rows they read so far.
func Load() (n, r int64) { return units.Load(), rows.Load() }
