package multipers

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/lowdim/lowdim/internal/parallel"

	"github.com/lowdim/lowdim/linalg/ph"
)

// Options configures Hilbert and SliceLandscapes.
type Options struct {
	// MaxDim is the largest homological dimension computed (0, 1, 2, …).
	MaxDim int
	// Workers is the number of columns (Hilbert) or lines (SliceLandscapes)
	// computed at once; < 1 means parallel.Workers() (--cores). The result does
	// not depend on it.
	Workers int
	// MaxBytes is passed to every persistence computation as
	// ph.Options.MaxBytes; each worker may hold that much at once.
	MaxBytes int64
}

func (o Options) validate() error {
	if o.MaxDim < 0 {
		return fmt.Errorf("multipers: negative MaxDim %d", o.MaxDim)
	}
	return nil
}

// workers reserves the goroutines for tasks (parallel.Reserve), at most
// o.Workers when set.
func (o Options) workers(tasks int) (int, func()) {
	w := o.Workers
	if w < 1 {
		w = parallel.Workers()
	}
	return parallel.Reserve(max(1, min(w, tasks)))
}

// HilbertFunction is the Hilbert function of the codensity–Rips
// bifiltration on a grid, for homological dimensions 0…MaxDim.
type HilbertFunction struct {
	Grid   Grid
	MaxDim int
	// Values[(q·len(T) + i)·len(R) + j] = dim H_q(Rips_{R[j]}({x : f(x) ≤ T[i]})).
	Values []int
}

// At returns dim H_q at grid point (T[i], R[j]).
func (h HilbertFunction) At(q, i, j int) int {
	return h.Values[(q*len(h.Grid.T)+i)*len(h.Grid.R)+j]
}

// Betti returns the Betti number β_q(r) of the one-parameter filtration of
// diagram d at value r: the number of its q-dimensional pairs with
// Birth ≤ r < Death, essential pairs (Death = +Inf) included. It is exact for
// r up to the ph.Options.Threshold the diagram was computed with (ph's
// enclosing-radius cut does not change it); above, the complex is unknown.
func Betti(d ph.Diagram, q int, r float64) int {
	c := 0
	for _, p := range d.Pairs {
		if p.Dim == q && p.Birth <= r && r < p.Death {
			c++
		}
	}
	return c
}

// SublevelDiagram returns the Vietoris–Rips persistence diagram of the
// points with f(x) ≤ t, computed by ph.VietorisRips with opts on that subset
// in index order. One point gives a single essential H0 pair born at 0 and no
// subset gives an empty diagram (ph needs two points). opts.VertexBirth must
// be nil. Errors are those of ph, or an invalid cloud or codensity.
func SublevelDiagram(points []float64, n, dim int, f []float64, t float64, opts ph.Options) (ph.Diagram, error) {
	if err := checkCloud(points, n, dim); err != nil {
		return ph.Diagram{}, err
	}
	if err := checkCodensity(f, n); err != nil {
		return ph.Diagram{}, err
	}
	if opts.VertexBirth != nil {
		return ph.Diagram{}, fmt.Errorf("multipers: SublevelDiagram sets no vertex births; got %d", len(opts.VertexBirth))
	}
	return sublevelDiagram(points, dim, subset(f, t), opts)
}

// subset returns the indices of the values ≤ t, increasing.
func subset(f []float64, t float64) []int {
	var idx []int
	for i, v := range f {
		if v <= t {
			idx = append(idx, i)
		}
	}
	return idx
}

func sublevelDiagram(points []float64, dim int, idx []int, opts ph.Options) (ph.Diagram, error) {
	switch len(idx) {
	case 0:
		return ph.Diagram{Threshold: opts.Threshold}, nil
	case 1:
		return ph.Diagram{Pairs: []ph.Pair{{Dim: 0, Birth: 0, Death: math.Inf(1)}}, Threshold: opts.Threshold}, nil
	}
	sub := make([]float64, 0, len(idx)*dim)
	for _, i := range idx {
		sub = append(sub, points[i*dim:(i+1)*dim]...)
	}
	return ph.VietorisRips(sub, len(idx), dim, opts)
}

// Hilbert returns the Hilbert function of the codensity–Rips bifiltration
// of the n points (row-major, dimension dim) with codensity f on grid g:
// H_q(i, j) = dim H_q(Rips_{R[j]}({x : f(x) ≤ T[i]})) with Z/2 coefficients,
// for q = 0…opts.MaxDim. Edges of length exactly R[j] and points with f
// exactly T[i] are in.
//
// Column i is one ph.VietorisRips computation on {f ≤ T[i]} with threshold
// R[last] and H_q(i, j) = Betti(diagram, q, R[j]); columns with the same
// subset share one computation. Up to opts.Workers columns run at once; the
// result does not depend on their number or order. Time is that of at most
// len(T) persistence computations, memory O((MaxDim+1)·len(T)·len(R)) for
// the result plus one persistence computation per worker.
//
// It returns an error for an invalid cloud, codensity, grid or options, or
// the first error (in column order) of ph.
func Hilbert(points []float64, n, dim int, f []float64, g Grid, opts Options) (HilbertFunction, error) {
	if err := checkCloud(points, n, dim); err != nil {
		return HilbertFunction{}, err
	}
	if err := checkCodensity(f, n); err != nil {
		return HilbertFunction{}, err
	}
	if err := g.validate(); err != nil {
		return HilbertFunction{}, err
	}
	if err := opts.validate(); err != nil {
		return HilbertFunction{}, err
	}
	nt, nr := len(g.T), len(g.R)
	h := HilbertFunction{
		Grid:   Grid{T: slices.Clone(g.T), R: slices.Clone(g.R)},
		MaxDim: opts.MaxDim,
		Values: make([]int, (opts.MaxDim+1)*nt*nr),
	}

	// Distinct subsets: column i computes iff it adds points to column i−1.
	counts := make([]int, nt)
	for _, v := range f {
		for i := nt - 1; i >= 0 && v <= g.T[i]; i-- {
			counts[i]++
		}
	}
	var columns []int
	for i := range counts {
		if i == 0 || counts[i] != counts[i-1] {
			columns = append(columns, i)
		}
	}

	phOpts := ph.Options{MaxDim: opts.MaxDim, Threshold: g.R[nr-1], MaxBytes: opts.MaxBytes}
	errs := make([]error, nt)
	next := make(chan int)
	var wg sync.WaitGroup
	workers, release := opts.workers(len(columns))
	defer release()
	for w := workers; w > 0; w-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d, err := sublevelDiagram(points, dim, subset(f, g.T[i]), phOpts)
				if err != nil {
					errs[i] = fmt.Errorf("multipers: column %d (t = %v, %d points): %w", i, g.T[i], counts[i], err)
					continue
				}
				for q := 0; q <= opts.MaxDim; q++ {
					row := h.Values[(q*nt+i)*nr : (q*nt+i+1)*nr]
					for j, r := range g.R {
						row[j] = Betti(d, q, r)
					}
				}
			}
		}()
	}
	// Largest subsets first: the slowest columns start early.
	for k := len(columns) - 1; k >= 0; k-- {
		next <- columns[k]
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return HilbertFunction{}, err
		}
	}
	// Columns that add no points repeat their predecessor.
	for i := 1; i < nt; i++ {
		if counts[i] == counts[i-1] {
			for q := 0; q <= opts.MaxDim; q++ {
				copy(h.Values[(q*nt+i)*nr:(q*nt+i+1)*nr], h.Values[(q*nt+i-1)*nr:(q*nt+i)*nr])
			}
		}
	}
	return h, nil
}
