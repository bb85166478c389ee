// Package parallel bounds the goroutines lowdim's DoFns and kernels run at
// once to the cores the process is given (--cores). One process-wide
// pool of Workers() slots is shared by every bundle and every kernel, so
// element-level and kernel-level parallelism never add up to more busy
// goroutines than that, and a runner that already runs one bundle per core
// (Dataflow, Flink: Workers() = 1) is not oversubscribed.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Option is the Beam pipeline option that carries the launcher's --cores to
// the workers (read by transforms before a bundle's work).
const Option = "cores"

var (
	mu sync.Mutex
	// perBundle: no process-wide budget; every bundle computes one element
	// at a time on its own goroutine (SetPerBundle).
	perBundle bool
	workers   = runtime.GOMAXPROCS(0)
	// slots holds one token per running task beyond the callers' own
	// goroutines; its capacity is workers.
	slots = make(chan struct{}, workers)
)

// SetWorkers sets how many goroutines may compute at once in this process
// (n < 1 means 1).
func SetWorkers(n int) {
	n = max(n, 1)
	mu.Lock()
	defer mu.Unlock()
	perBundle = false
	if n != workers {
		workers = n
		slots = make(chan struct{}, n)
	}
}

// SetPerBundle is the mode of a remote worker whose runner runs one bundle
// per core: each bundle computes its elements one at a time on its own
// goroutine, with no process-wide budget across bundles, and kernels run
// single-threaded.
func SetPerBundle() {
	SetWorkers(1)
	mu.Lock()
	perBundle = true
	mu.Unlock()
}

// PerBundle reports whether the process is a remote worker in per-bundle
// mode (SetPerBundle): its runner, not this process's pool, spreads work
// over the cores and machines.
func PerBundle() bool {
	mu.Lock()
	defer mu.Unlock()
	return perBundle
}

// Workers is the number of goroutines that may compute at once.
func Workers() int {
	mu.Lock()
	defer mu.Unlock()
	return workers
}

func pool() chan struct{} {
	mu.Lock()
	defer mu.Unlock()
	return slots
}

// Group runs tasks on their own goroutines, at most Workers() at a time
// across the process; Go blocks while every slot is taken. With one worker
// Go runs the task on the caller's goroutine, still holding the one slot
// (bundles a runner splits then take turns), or, in per-bundle mode
// (SetPerBundle), without one. The zero Group is ready.
type Group struct {
	wg  sync.WaitGroup
	mu  sync.Mutex
	err error
}

// Go runs task, or returns the first error a task of the group has
// returned so far (without running task), so a failing bundle stops early.
func (g *Group) Go(task func() error) error {
	if err := g.firstErr(); err != nil {
		return err
	}
	p := pool()
	if cap(p) <= 1 {
		if !PerBundle() {
			p <- struct{}{}
			defer func() { <-p }()
		}
		g.record(task())
		return g.firstErr()
	}
	p <- struct{}{}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		defer func() { <-p }()
		g.record(task())
	}()
	return nil
}

// Wait waits for every task and returns the first error, then resets the
// group for reuse.
func (g *Group) Wait() error {
	g.wg.Wait()
	err := g.firstErr()
	g.mu.Lock()
	g.err = nil
	g.mu.Unlock()
	return err
}

func (g *Group) record(err error) {
	if err == nil {
		return
	}
	g.mu.Lock()
	if g.err == nil {
		g.err = err
	}
	g.mu.Unlock()
}

func (g *Group) firstErr() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.err
}

// Reserve is for a kernel that splits its work among goroutines: it takes,
// without waiting, up to want − 1 free slots (never more than Workers() − 1)
// for helpers of the calling goroutine, which is a worker itself, and
// returns the number of goroutines to run (≥ 1, ≤ want) and release, which
// gives the slots back once they have finished. Inside a Group task whose
// siblings hold every slot it returns 1: element-level and kernel-level
// parallelism share one budget.
func Reserve(want int) (workers int, release func()) {
	p := pool()
	taken := 0
	for taken < min(want, cap(p))-1 {
		select {
		case p <- struct{}{}:
			taken++
			continue
		default:
		}
		break
	}
	return 1 + taken, func() {
		for range taken {
			<-p
		}
	}
}

// For calls f(i) for every i in [0, n) on the calling goroutine and the
// helpers Reserve grants (it never waits for a slot, so it cannot deadlock
// when called from inside a task). Indices are handed out in order; f must
// be safe to call concurrently for different i.
func For(n int, f func(i int)) {
	if n <= 0 {
		return
	}
	workers, release := Reserve(n)
	defer release()
	var next atomic.Int64
	run := func() {
		for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
			f(i)
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(run)
	}
	run()
	wg.Wait()
}
