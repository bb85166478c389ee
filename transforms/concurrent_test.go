package transforms

import (
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/lowdim/lowdim/internal/parallel"
)

var running, peak atomic.Int64

// overlapFn squares its element on the worker pool, holding each element
// long enough for the next ones to start beside it when slots are free.
type overlapFn struct {
	work concurrent[int]
}

func (f *overlapFn) ProcessElement(x int, _ func(int)) error {
	return f.work.Go(func() (int, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(50 * time.Millisecond)
		return x * x, nil
	})
}

func (f *overlapFn) FinishBundle(emit func(int)) error { return emitAll(&f.work, emit) }

func init() { beam.RegisterDoFn(&overlapFn{}) }

// TestConcurrentRunsABundleOnEveryWorker runs eight elements through Prism:
// with four workers several overlap, with one none does, and the outputs
// are the same.
func TestConcurrentRunsABundleOnEveryWorker(t *testing.T) {
	defer parallel.SetWorkers(parallel.Workers())
	for _, tc := range []struct{ workers, minPeak, maxPeak int64 }{{1, 1, 1}, {4, 2, 4}} {
		parallel.SetWorkers(int(tc.workers))
		peak.Store(0)
		p, s := beam.NewPipelineWithRoot()
		in := beam.CreateList(s, []int{1, 2, 3, 4, 5, 6, 7, 8})
		out := beam.ParDo(s, &overlapFn{}, in)
		passert.Equals(s, out, 1, 4, 9, 16, 25, 36, 49, 64)
		if err := ptest.Run(p); err != nil {
			t.Fatal(err)
		}
		if got := peak.Load(); got < tc.minPeak || got > tc.maxPeak {
			t.Errorf("%d workers: %d elements ran at once, want %d to %d", tc.workers, got, tc.minPeak, tc.maxPeak)
		}
	}
}

func TestMain(m *testing.M) { ptest.Main(m) }

// TestConcurrentReadyKeepsArrivalOrder: Ready returns only the finished
// prefix in arrival order (never an element before an earlier one that is
// still running), and Ready and Finish together return every output once.
func TestConcurrentReadyKeepsArrivalOrder(t *testing.T) {
	defer parallel.SetWorkers(parallel.Workers())
	parallel.SetWorkers(4)
	var c concurrent[int]
	release := make(chan struct{})
	if err := c.Go(func() (int, error) { <-release; return 0, nil }); err != nil { // element 0 waits
		t.Fatal(err)
	}
	for i := 1; i < 3; i++ {
		if err := c.Go(func() (int, error) { return i, nil }); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(20 * time.Millisecond) // elements 1 and 2 finish
	if got := c.Ready(); len(got) != 0 {
		t.Fatalf("Ready returned %v while element 0 runs", got)
	}
	close(release)
	var got []int
	for len(got) < 3 {
		got = append(got, c.Ready()...)
	}
	if err := c.Go(func() (int, error) { return 3, nil }); err != nil {
		t.Fatal(err)
	}
	rest, err := c.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if got = append(got, rest...); !slices.Equal(got, []int{0, 1, 2, 3}) {
		t.Errorf("outputs %v, want [0 1 2 3]", got)
	}
	if again, _ := c.Finish(); len(again) != 0 {
		t.Errorf("a second Finish returned %v", again)
	}
}
