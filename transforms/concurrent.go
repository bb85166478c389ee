package transforms

import (
	"slices"
	"strconv"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"

	"github.com/lowdim/lowdim/internal/parallel"
	"github.com/lowdim/lowdim/io/blocks"
)

// applyCoresOption sets the worker pool from the pipeline option
// parallel.Option, which the launcher sets from --cores. Without it a
// remote worker keeps what its process started with (1 per bundle: the
// runner parallelises bundles).
func applyCoresOption() {
	if v := beam.PipelineOptions.Get(parallel.Option); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			parallel.SetWorkers(n)
		}
	}
}

// concurrent runs the heavy per-element work of a DoFn on the process-wide
// worker pool: ProcessElement hands an element's work to Go and returns, and
// FinishBundle (which Beam lets emit, in the global window) emits every
// element's outputs from Finish. Prism runs a stage's elements in one bundle
// on one goroutine, so this is what lets a bundle use every core; with one
// worker Go runs the work inline. Work must not touch DoFn state shared
// between elements without a lock, and must copy any input the runner may
// reuse after ProcessElement returns (a reader's Block).
//
// Finish returns the outputs in the order the elements arrived, so a table
// is written in the same row order whatever the parallelism. A DoFn with one
// output per element may emit earlier, from ProcessElement (emitReady): Go
// blocks while every worker is busy, so a bundle of many elements then holds
// about one output per worker instead of all of them until FinishBundle.
type concurrent[R any] struct {
	group   parallel.Group
	mu      sync.Mutex
	next    int
	emitted int // outputs handed out by Ready, a prefix in arrival order
	results []indexed[R]
}

type indexed[R any] struct {
	i int
	r R
}

// Go runs work for the next element of the bundle.
func (c *concurrent[R]) Go(work func() (R, error)) error {
	applyCoresOption()
	c.mu.Lock()
	i := c.next
	c.next++
	c.mu.Unlock()
	return c.group.Go(func() error {
		r, err := work()
		if err != nil {
			return err
		}
		c.mu.Lock()
		c.results = append(c.results, indexed[R]{i, r})
		c.mu.Unlock()
		return nil
	})
}

// Ready returns the outputs that are done and follow, in arrival order,
// every output returned before, and forgets them.
func (c *concurrent[R]) Ready() []R {
	c.mu.Lock()
	defer c.mu.Unlock()
	slices.SortFunc(c.results, func(a, b indexed[R]) int { return a.i - b.i })
	k := 0
	for k < len(c.results) && c.results[k].i == c.emitted+k {
		k++
	}
	out := make([]R, k)
	for j := range k {
		out[j] = c.results[j].r
	}
	c.results = slices.Delete(c.results, 0, k)
	c.emitted += k
	return out
}

// Finish waits for the bundle's work and returns the outputs Ready has not
// returned, in arrival order, or the first error; the collector is then
// empty for the next bundle.
func (c *concurrent[R]) Finish() ([]R, error) {
	err := c.group.Wait()
	out := c.Ready()
	c.mu.Lock()
	c.results, c.next, c.emitted = nil, 0, 0
	c.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return out, nil
}

// emitReady emits, from ProcessElement, the outputs of a DoFn with one
// output per element that are ready (concurrent.Ready).
func emitReady[R any](c *concurrent[R], emit func(R)) {
	for _, o := range c.Ready() {
		emit(o)
	}
}

// emitAll emits the remaining outputs of a DoFn with one output per element.
func emitAll[R any](c *concurrent[R], emit func(R)) error {
	outs, err := c.Finish()
	for _, o := range outs {
		emit(o)
	}
	return err
}

// ownBlock returns b with its own copy of the rows and labels: a reader
// reuses a Block's memory for its next shard, which may be read while b is
// still being computed on.
func ownBlock(b blocks.Block) blocks.Block {
	b.Data = slices.Clone(b.Data)
	b.Labels = slices.Clone(b.Labels)
	return b
}
