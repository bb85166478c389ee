package main

import (
	"fmt"
	"io"
	"time"

	"github.com/lowdim/lowdim/io/blocks"
)

// showProgress prints, every interval until stop is closed, the shards read
// of total, the rows per second and an estimate of the time left. It reads
// the counters of workers in this process (local runs); it prints nothing
// while they stay at zero.
func showProgress(w io.Writer, total int, shards0, rows0 int64, interval time.Duration, stop <-chan struct{}) {
	start := time.Now()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	printed := false
	for {
		select {
		case <-stop:
			if printed {
				fmt.Fprintln(w)
			}
			return
		case <-tick.C:
			shards, rows := blocks.Progress()
			shards, rows = shards-shards0, rows-rows0
			if shards == 0 {
				continue
			}
			elapsed := time.Since(start)
			line := fmt.Sprintf("\rlowdim: %d/%d shards, %s rows/s", shards, total, humanRate(float64(rows)/elapsed.Seconds()))
			if total > 0 && int(shards) < total {
				left := time.Duration(float64(elapsed) * float64(total-int(shards)) / float64(shards))
				line += fmt.Sprintf(", about %s left", left.Round(time.Second))
			}
			fmt.Fprintf(w, "%-72s", line)
			printed = true
		}
	}
}

func humanRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}
