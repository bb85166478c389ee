package parallel

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// busy tracks how many tasks run at once.
type busy struct{ now, peak atomic.Int64 }

func (b *busy) enter() {
	n := b.now.Add(1)
	for {
		p := b.peak.Load()
		if n <= p || b.peak.CompareAndSwap(p, n) {
			return
		}
	}
}
func (b *busy) leave() { b.now.Add(-1) }

// spin keeps a task running long enough for others to overlap with it.
func spin(release <-chan struct{}) { <-release }

func TestGroupNeverExceedsWorkers(t *testing.T) {
	defer SetWorkers(Workers())
	for _, w := range []int{1, 2, 3} {
		SetWorkers(w)
		var b busy
		var g Group
		var started atomic.Int64
		release := make(chan struct{})
		done := make(chan struct{})
		go func() {
			for i := 0; i < 10; i++ {
				if err := g.Go(func() error {
					b.enter()
					defer b.leave()
					if started.Add(1) <= int64(w) && w > 1 {
						spin(release)
					}
					return nil
				}); err != nil {
					t.Error(err)
				}
			}
			close(done)
		}()
		if w > 1 {
			for started.Load() < int64(w) {
			}
			close(release)
		}
		<-done
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		if got := b.peak.Load(); got != int64(w) {
			t.Errorf("workers %d: peak concurrency %d", w, got)
		}
		if started.Load() != 10 {
			t.Errorf("workers %d: %d tasks ran, want 10", w, started.Load())
		}
	}
}

func TestGroupFirstErrorStopsLaterTasks(t *testing.T) {
	defer SetWorkers(Workers())
	SetWorkers(1)
	var g Group
	boom := errors.New("boom")
	ran := 0
	for i := 0; i < 5; i++ {
		err := g.Go(func() error {
			ran++
			if ran == 2 {
				return boom
			}
			return nil
		})
		if i >= 1 && !errors.Is(err, boom) {
			t.Fatalf("task %d: Go returned %v, want boom", i, err)
		}
	}
	if ran != 2 {
		t.Errorf("%d tasks ran after the error, want 2", ran)
	}
	if err := g.Wait(); !errors.Is(err, boom) {
		t.Errorf("Wait = %v", err)
	}
	if err := g.Wait(); err != nil {
		t.Errorf("Wait after reset = %v", err)
	}
}

func TestForCoversEveryIndexOnceAndNestsInTasks(t *testing.T) {
	defer SetWorkers(Workers())
	SetWorkers(2)
	var g Group
	var mu sync.Mutex
	seen := map[int]int{}
	for task := 0; task < 4; task++ {
		if err := g.Go(func() error {
			For(100, func(i int) {
				mu.Lock()
				seen[task*100+i]++
				mu.Unlock()
			})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 400 {
		t.Fatalf("%d indices seen, want 400", len(seen))
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("index %d seen %d times", i, n)
		}
	}
}

func TestReserveSharesTheBudget(t *testing.T) {
	defer SetWorkers(Workers())
	SetWorkers(3)
	w1, r1 := Reserve(10)
	if w1 != 3 {
		t.Fatalf("first Reserve(10) with 3 workers: %d", w1)
	}
	w2, r2 := Reserve(10)
	if w2 != 2 { // the third slot is still free (the first caller's own goroutine holds none)
		t.Errorf("second Reserve while 2 slots are taken: %d, want 2", w2)
	}
	r2()
	r1()
	if w, r := Reserve(2); w != 2 {
		t.Errorf("Reserve(2) after release: %d", w)
	} else {
		r()
	}
	SetWorkers(1)
	if w, r := Reserve(8); w != 1 {
		t.Errorf("one worker: Reserve(8) = %d", w)
	} else {
		r()
	}
}

// TestOneWorkerSerialisesBundles: with one worker, tasks of two groups
// (two bundles a runner split) never overlap; in per-bundle mode they may.
func TestOneWorkerSerialisesBundles(t *testing.T) {
	defer SetWorkers(Workers())
	for _, perBundle := range []bool{false, true} {
		if perBundle {
			SetPerBundle()
		} else {
			SetWorkers(1)
		}
		var b busy
		var wg sync.WaitGroup
		started := make(chan struct{}, 2)
		release := make(chan struct{})
		for range 2 {
			wg.Go(func() {
				var g Group
				g.Go(func() error {
					b.enter()
					defer b.leave()
					started <- struct{}{}
					select {
					case <-release:
					case <-started: // the other bundle's task started beside this one
						started <- struct{}{}
					}
					return nil
				})
			})
		}
		<-started
		if perBundle {
			<-started // both run at once
			started <- struct{}{}
			started <- struct{}{}
		}
		close(release)
		wg.Wait()
		want := int64(1)
		if perBundle {
			want = 2
		}
		if got := b.peak.Load(); got != want {
			t.Errorf("per-bundle %v: %d tasks at once, want %d", perBundle, got, want)
		}
	}
}
