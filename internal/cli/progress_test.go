package cli

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lowdim/lowdim/internal/progress"
)

func TestProgressLine(t *testing.T) {
	for _, tc := range []struct {
		units, rows int64
		total       int
		unit        string
		elapsed     time.Duration
		want        string
	}{
		{12, 0, 40, "matrices", time.Minute, "lowdim: 12/40 matrices, 12/min, about 2m20s left"},
		{3, 3000, 10, "shards", 2 * time.Second, "lowdim: 3/10 shards, 1.5k rows/s, about 5s left"},
		{50, 0, 40, "matrices", time.Minute, "lowdim: 50/40 matrices, 50/min"},
		{7, 0, 0, "trials", time.Minute, "lowdim: 7 trials, 7/min"},
	} {
		if got := progressLine(tc.units, tc.rows, tc.total, tc.unit, tc.elapsed); got != tc.want {
			t.Errorf("progressLine(%d, %d, %d, %q, %v) = %q, want %q", tc.units, tc.rows, tc.total, tc.unit, tc.elapsed, got, tc.want)
		}
	}
}

// syncBuffer is a strings.Builder safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestProgressCountsOnlyThisRun: units finished before the report starts
// are not counted; units added later are, and the line ends with a newline
// when the run stops.
func TestProgressCountsOnlyThisRun(t *testing.T) {
	progress.Add(5, 500) // an earlier run in this process
	var out syncBuffer
	stop := startProgress(&out, 10, "shards", time.Millisecond)
	progress.Add(3, 300)
	for !strings.Contains(out.String(), "lowdim: 3/10 shards") {
		time.Sleep(time.Millisecond)
	}
	stop()
	if s := out.String(); !strings.HasSuffix(s, "\n") || strings.Contains(s, "8/10") {
		t.Errorf("progress output %q", s)
	}
}
