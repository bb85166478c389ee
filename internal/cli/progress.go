package cli

import (
	"fmt"
	"io"
	"time"

	"github.com/lowdim/lowdim/internal/progress"
)

// startProgress prints, every interval until the returned stop is called,
// the units of work finished of total since it was called (total is an
// estimate for some studies, so the count may pass it), the rows read per
// second when units read rows, and the time left at the rate so far. It
// reads the counts of workers in this process (package internal/progress:
// local runs), and prints nothing while they stay at zero. stop returns
// once the last line has ended with a newline.
func startProgress(w io.Writer, total int, unit string, interval time.Duration) (stop func()) {
	units0, rows0 := progress.Load()
	start := time.Now()
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		printed := false
		for {
			select {
			case <-quit:
				if printed {
					fmt.Fprintln(w)
				}
				return
			case <-tick.C:
				units, rows := progress.Load()
				units, rows = units-units0, rows-rows0
				if units == 0 {
					continue
				}
				fmt.Fprintf(w, "\r%-78s", progressLine(units, rows, total, unit, time.Since(start)))
				printed = true
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// progressLine is one progress report: "lowdim: 12/40 matrices, 3.1 rows/s…".
func progressLine(units, rows int64, total int, unit string, elapsed time.Duration) string {
	line := fmt.Sprintf("lowdim: %d/%d %s", units, total, unit)
	if total <= 0 {
		line = fmt.Sprintf("lowdim: %d %s", units, unit)
	}
	if rows > 0 {
		line += fmt.Sprintf(", %s rows/s", humanRate(float64(rows)/elapsed.Seconds()))
	} else {
		line += fmt.Sprintf(", %s/min", humanRate(float64(units)/elapsed.Minutes()))
	}
	if total > 0 && int(units) < total {
		left := time.Duration(float64(elapsed) * float64(total-int(units)) / float64(units))
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
	}
	return fmt.Sprintf("%.0f", r)
}
