// Package parallel bounds the goroutines lowdim's DoFns and kernels run at
// once to the cores the process is given (--parallelism). One process-wide
// pool of Workers() slots is shared by every bundle and every kernel, so
// element-level and kernel-level parallelism never add up to more busy
// goroutines than that, and a runner that already runs one bundle per core
// (Dataflow, Flink: Workers() = 1) is not oversubscribed.
package parallel

import (
	"runtime"
	"sync"
)

// Option is the Beam pipeline option that carries the launcher's --cores to
// the workers (read by transforms before a bundle's work).
const Option = "cores"

var (
	mu      sync.Mutex
	workers = runtime.GOMAXPROCS(0)
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
	if n != workers {
		workers = n
		slots = make(chan struct{}, n)
	}
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
// Go runs the task on the caller's goroutine. The zero Group is ready.
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

// For calls f(i) for every i in [0, n): on the caller's goroutine, helped
// by as many other goroutines as there are free slots (none when a Group's
// tasks hold them all), so it never waits for a slot and never deadlocks
// when called from inside a task. Indices are handed out in order; f must
// be safe to call concurrently for different i.
func For(n int, f func(i int)) {
	if n <= 0 {
		return
	}
	p := pool()
	var (
		next int
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if next >= n {
			return 0, false
		}
		next++
		return next - 1, true
	}
	run := func() {
		for i, ok := take(); ok; i, ok = take() {
			f(i)
		}
	}
	// The caller is one worker; helpers take free slots, up to Workers() − 1.
helpers:
	for h := 0; h < min(n, cap(p))-1; h++ {
		select {
		case p <- struct{}{}:
		default:
			break helpers
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-p }()
			run()
		}()
	}
	run()
	wg.Wait()
}
