package multipers

import (
	"fmt"
	"math"
	"sync"

	"github.com/lowdim/lowdim/linalg/landscape"
	"github.com/lowdim/lowdim/linalg/ph"
)

// Line is the segment ℓ(s) = (T0, R0) + s·(A, B), s ∈ [0, Length], of the
// parameter plane, with A, B > 0.
type Line struct {
	T0, R0 float64
	A, B   float64
	Length float64
}

func (l Line) validate() error {
	for _, v := range []float64{l.T0, l.R0, l.A, l.B, l.Length} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("line %+v has a non-finite value", l)
		}
	}
	if !(l.A > 0 && l.B > 0) {
		return fmt.Errorf("line direction (%v, %v) must have both components > 0", l.A, l.B)
	}
	if !(l.Length > 0) {
		return fmt.Errorf("line length %v must be > 0", l.Length)
	}
	return nil
}

// Point returns ℓ(s) = (T0 + s·A, R0 + s·B).
func (l Line) Point(s float64) (t, r float64) { return l.T0 + s*l.A, l.R0 + s*l.B }

// Entry returns the line parameter at which a simplex of grade (f, d)
// (codensity f, diameter d) enters the restricted filtration,
// max(0, (f − T0)/A, (d − R0)/B): the smallest s ≥ 0 with ℓ(s) ≥ (f, d).
func (l Line) Entry(f, d float64) float64 { return max(0, (f-l.T0)/l.A, (d-l.R0)/l.B) }

// ParallelLines returns n lines of direction (a, b) through the box, evenly
// spaced: a line of direction (a, b) is the set r/b − t/a = c, the offsets c
// of lines meeting the box fill [RMin/b − TMax/a, RMax/b − TMin/a], and line
// k has the midpoint c_k of the k-th of n equal parts of that interval. Each
// line starts where it enters the box and its Length ends where it leaves:
// with u₀ = max(TMin/a, RMin/b − c), u₁ = min(TMax/a, RMax/b − c),
// (T0, R0) = (a·u₀, b·(u₀ + c)) and Length = u₁ − u₀.
//
// It returns an error unless the box is finite with TMin < TMax and
// RMin < RMax, n ≥ 1, and a, b are finite and > 0.
func ParallelLines(box Box, n int, a, b float64) ([]Line, error) {
	for _, v := range []float64{box.TMin, box.TMax, box.RMin, box.RMax, a, b} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("multipers: box %+v or direction (%v, %v) is not finite", box, a, b)
		}
	}
	if !(box.TMin < box.TMax && box.RMin < box.RMax) {
		return nil, fmt.Errorf("multipers: box %+v is empty or flat", box)
	}
	if !(a > 0 && b > 0) {
		return nil, fmt.Errorf("multipers: line direction (%v, %v) must have both components > 0", a, b)
	}
	if n < 1 {
		return nil, fmt.Errorf("multipers: %d lines, want at least 1", n)
	}
	lo, hi := box.RMin/b-box.TMax/a, box.RMax/b-box.TMin/a
	lines := make([]Line, n)
	for k := range lines {
		c := lo + (float64(k)+0.5)*(hi-lo)/float64(n)
		u0 := max(box.TMin/a, box.RMin/b-c)
		u1 := min(box.TMax/a, box.RMax/b-c)
		lines[k] = Line{T0: a * u0, R0: b * (u0 + c), A: a, B: b, Length: u1 - u0}
	}
	return lines, nil
}

// DiagonalLines is ParallelLines with slope 1, direction (1, 1), in the
// units of f and r. When they have different scales, the box diagonal
// ParallelLines(box, n, box.TMax−box.TMin, box.RMax−box.RMin) is slope 1
// after rescaling the box to a square.
func DiagonalLines(box Box, n int) ([]Line, error) { return ParallelLines(box, n, 1, 1) }

// pairwiseDistances returns the n×n row-major Euclidean distance matrix.
func pairwiseDistances(points []float64, n, dim int) []float64 {
	d := make([]float64, n*n)
	for i := 1; i < n; i++ {
		for j := 0; j < i; j++ {
			v := distance(points[i*dim:(i+1)*dim], points[j*dim:(j+1)*dim])
			d[i*n+j], d[j*n+i] = v, v
		}
	}
	return d
}

// sliceDiagram is SliceDiagram on the distance matrix dist.
func sliceDiagram(dist []float64, n int, f []float64, l Line, opts Options) (ph.Diagram, error) {
	births := make([]float64, n)
	for i, v := range f {
		births[i] = max(0, (v-l.T0)/l.A)
	}
	if n == 1 {
		d := ph.Diagram{Threshold: l.Length}
		if births[0] <= l.Length {
			d.Pairs = []ph.Pair{{Dim: 0, Birth: births[0], Death: math.Inf(1)}}
		}
		return d, nil
	}
	edge := make([]float64, n*n)
	for i := 1; i < n; i++ {
		for j := 0; j < i; j++ {
			v := max(0, (dist[i*n+j]-l.R0)/l.B)
			edge[i*n+j], edge[j*n+i] = v, v
		}
	}
	return ph.VietorisRipsDistances(edge, n, ph.Options{
		MaxDim: opts.MaxDim, Threshold: l.Length, VertexBirth: births, MaxBytes: opts.MaxBytes,
	})
}

func checkSlice(points []float64, n, dim int, f []float64, opts Options) error {
	if err := checkCloud(points, n, dim); err != nil {
		return err
	}
	if err := checkCodensity(f, n); err != nil {
		return err
	}
	return opts.validate()
}

// SliceDiagram returns the persistence diagram, dimensions 0…opts.MaxDim, of
// the bifiltration restricted to line l: vertex x enters at
// s_x = max(0, (f(x) − T0)/A), edge uv at max(s_u, s_v, 0, (‖u − v‖ − R0)/B),
// a higher simplex with its last edge (see the package documentation); the
// complex is cut at s = Length (ph threshold), so classes alive there have
// Death = +Inf. Memory is two n×n float64 matrices plus ph's. opts.Workers
// is unused.
func SliceDiagram(points []float64, n, dim int, f []float64, l Line, opts Options) (ph.Diagram, error) {
	if err := checkSlice(points, n, dim, f, opts); err != nil {
		return ph.Diagram{}, err
	}
	if err := l.validate(); err != nil {
		return ph.Diagram{}, fmt.Errorf("multipers: %w", err)
	}
	return sliceDiagram(pairwiseDistances(points, n, dim), n, f, l, opts)
}

// SliceLandscapes returns, for each line, the first levels persistence
// landscapes (Bubenik 2015, package landscape: no √2 factor) of the
// restricted filtration (SliceDiagram) in dimensions 0…opts.MaxDim, sampled
// at resolution evenly spaced points of [0, Length] with infinite deaths
// truncated at Length: out[k][q] is line k, dimension q. The grid of each
// line is fixed by the line alone, so landscapes of different clouds on the
// same lines average pointwise (landscape.MeanAccumulator).
//
// The n×n distance matrix is computed once and shared; up to opts.Workers
// lines run at once, each holding one more n×n matrix and a persistence
// computation. The result does not depend on the number of workers. It
// returns an error for invalid input or lines, levels < 1 or
// resolution < 2, or the first error (in line order) of ph.
func SliceLandscapes(points []float64, n, dim int, f []float64, lines []Line, levels, resolution int, opts Options) ([][]landscape.Sampled, error) {
	if err := checkSlice(points, n, dim, f, opts); err != nil {
		return nil, err
	}
	for k, l := range lines {
		if err := l.validate(); err != nil {
			return nil, fmt.Errorf("multipers: line %d: %w", k, err)
		}
	}
	if levels < 1 || resolution < 2 {
		return nil, fmt.Errorf("multipers: %d landscape levels at %d points, want ≥ 1 and ≥ 2", levels, resolution)
	}
	dist := pairwiseDistances(points, n, dim)
	out := make([][]landscape.Sampled, len(lines))
	errs := make([]error, len(lines))
	next := make(chan int)
	var wg sync.WaitGroup
	workers, release := opts.workers(len(lines))
	defer release()
	for w := workers; w > 0; w-- {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				l := lines[k]
				d, err := sliceDiagram(dist, n, f, l, opts)
				if err != nil {
					errs[k] = fmt.Errorf("multipers: line %d: %w", k, err)
					continue
				}
				g := landscape.Grid{Lo: 0, Hi: l.Length, Resolution: resolution}
				out[k] = make([]landscape.Sampled, opts.MaxDim+1)
				for q := range out[k] {
					if out[k][q], err = landscape.Sample(d.Pairs, q, levels, g); err != nil {
						errs[k] = fmt.Errorf("multipers: line %d: %w", k, err)
						break
					}
				}
			}
		}()
	}
	for k := range lines {
		next <- k
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
