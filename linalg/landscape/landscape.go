// Package landscape computes persistence landscapes (Bubenik 2015,
// "Statistical topological data analysis using persistence landscapes",
// JMLR 16) of the diagrams of package ph:
//
//	λ_k(t) = k-th largest value of max(0, min(t − b, d − t)) over the pairs (b, d),
//
// with no √2 factor (GUDHI's representations.Landscape multiplies by √2).
// Exact landscapes are computed with Algorithm 1 of Bubenik & Dłotko (2017,
// "A persistence landscapes toolbox for topological statistics", J. Symb.
// Comput. 78) as lists of critical points; sampled landscapes hold their
// values on a grid fixed before the run, so that landscapes computed on
// different shards average pointwise (MeanAccumulator).
package landscape

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/lowdim/lowdim/linalg/ph"
)

// DefaultResolution is the number of grid points used when none is given.
const DefaultResolution = 100

// Point is a critical point of a piecewise-linear function: its value at T is V.
type Point struct{ T, V float64 }

// Landscape is an exact persistence landscape. Levels[k] holds the critical
// points of λ_{k+1} in increasing T: λ_{k+1} is linear between consecutive
// points and zero outside [Levels[k][0].T, Levels[k][last].T]. Every level
// starts and ends with a zero.
type Landscape struct {
	Levels [][]Point
}

type interval struct{ b, d float64 }

// Exact returns the exact landscape of the pairs of dimension dim. Infinite
// deaths are replaced by inf; pairs whose (truncated) death is not after
// their birth contribute nothing. It panics if inf is NaN.
func Exact(pairs []ph.Pair, dim int, inf float64) Landscape {
	if math.IsNaN(inf) {
		panic("landscape: NaN truncation value")
	}
	var a []interval
	for _, p := range pairs {
		if p.Dim != dim {
			continue
		}
		d := p.Death
		if math.IsInf(d, 1) {
			d = inf
		}
		if d > p.Birth {
			a = append(a, interval{p.Birth, d})
		}
	}
	// Increasing birth, then decreasing death (Bubenik & Dłotko 2017, Alg. 1).
	less := func(x, y interval) bool { return x.b < y.b || (x.b == y.b && x.d > y.d) }
	slices.SortFunc(a, func(x, y interval) int {
		switch {
		case less(x, y):
			return -1
		case less(y, x):
			return 1
		}
		return 0
	})
	var levels [][]Point
	for len(a) > 0 {
		b, d := a[0].b, a[0].d
		a = slices.Delete(a, 0, 1)
		level := []Point{{b, 0}, {(b + d) / 2, (d - b) / 2}}
		p := 0
		for {
			// The first later interval that outlives the current one.
			q := -1
			for i := p; i < len(a); i++ {
				if a[i].d > d {
					q = i
					break
				}
			}
			if q < 0 {
				level = append(level, Point{d, 0})
				break
			}
			b2, d2 := a[q].b, a[q].d
			a = slices.Delete(a, q, q+1)
			p = q
			if b2 > d {
				level = append(level, Point{d, 0})
			}
			if b2 >= d {
				level = append(level, Point{b2, 0})
			} else {
				// The tents cross at (b2+d)/2; the part of (b2, d2) under
				// the current tent goes down a level as (b2, d).
				level = append(level, Point{(b2 + d) / 2, (d - b2) / 2})
				x := interval{b2, d}
				at := p + sort.Search(len(a)-p, func(i int) bool { return !less(a[p+i], x) })
				a = slices.Insert(a, at, x)
			}
			level = append(level, Point{(b2 + d2) / 2, (d2 - b2) / 2})
			b, d = b2, d2
		}
		levels = append(levels, level)
	}
	return Landscape{Levels: levels}
}

// At returns λ_{k+1}(t); levels beyond the last are zero.
func (l Landscape) At(k int, t float64) float64 {
	if k < 0 || k >= len(l.Levels) {
		return 0
	}
	return evalPL(l.Levels[k], t)
}

func evalPL(pts []Point, t float64) float64 {
	i := sort.Search(len(pts), func(i int) bool { return pts[i].T > t })
	if i == 0 || i == len(pts) {
		return 0
	}
	p, q := pts[i-1], pts[i]
	if q.T == p.T {
		return max(p.V, q.V)
	}
	return p.V + (q.V-p.V)*(t-p.T)/(q.T-p.T)
}

// Norm returns the Lᵖ norm (Σ_k ∫ λ_k(t)ᵖ dt)^(1/p) of the landscape, exact
// for the piecewise-linear levels; p = +Inf gives max_k sup_t λ_k(t) = λ₁'s
// maximum. It panics if p < 1.
func (l Landscape) Norm(p float64) float64 {
	checkP(p)
	var s float64
	for _, level := range l.Levels {
		for i := 1; i < len(level); i++ {
			a, b := level[i-1], level[i]
			if math.IsInf(p, 1) {
				s = max(s, a.V, b.V)
				continue
			}
			s += segmentPow(b.T-a.T, a.V, b.V, p)
		}
	}
	if math.IsInf(p, 1) {
		return s
	}
	return math.Pow(s, 1/p)
}

func checkP(p float64) {
	if !(p >= 1) {
		panic(fmt.Sprintf("landscape: Lᵖ norm needs p ≥ 1, got %v", p))
	}
}

// segmentPow returns ∫₀ʰ ℓ(s)ᵖ ds for the linear ℓ from u ≥ 0 to v ≥ 0:
// h (v^{p+1} − u^{p+1}) / ((p+1)(v − u)), or h uᵖ when u = v.
func segmentPow(h, u, v, p float64) float64 {
	if h <= 0 {
		return 0
	}
	switch p {
	case 1:
		return h * (u + v) / 2
	case 2:
		return h * (u*u + u*v + v*v) / 3
	}
	if u == v {
		return h * math.Pow(u, p)
	}
	return h * (math.Pow(v, p+1) - math.Pow(u, p+1)) / ((p + 1) * (v - u))
}

// Grid is Resolution evenly spaced points from Lo to Hi, both included:
// tᵢ = Lo + i(Hi − Lo)/(Resolution − 1).
type Grid struct {
	Lo, Hi     float64
	Resolution int
}

// DefaultGrid is the grid [0, threshold] with DefaultResolution points, the
// default of the landscape study.
func DefaultGrid(threshold float64) Grid {
	return Grid{Lo: 0, Hi: threshold, Resolution: DefaultResolution}
}

func (g Grid) validate() error {
	if math.IsNaN(g.Lo) || math.IsInf(g.Lo, 0) || math.IsNaN(g.Hi) || math.IsInf(g.Hi, 0) || !(g.Lo < g.Hi) {
		return fmt.Errorf("landscape: grid [%v, %v] must be a finite interval with lo < hi", g.Lo, g.Hi)
	}
	if g.Resolution < 2 {
		return fmt.Errorf("landscape: grid resolution %d must be at least 2", g.Resolution)
	}
	return nil
}

// At returns grid point i.
func (g Grid) At(i int) float64 {
	if i == g.Resolution-1 {
		return g.Hi
	}
	return g.Lo + (g.Hi-g.Lo)*float64(i)/float64(g.Resolution-1)
}

// Points returns all grid points.
func (g Grid) Points() []float64 {
	out := make([]float64, g.Resolution)
	for i := range out {
		out[i] = g.At(i)
	}
	return out
}

// Sampled is a landscape sampled on a grid: Values[k*Grid.Resolution+i] is
// λ_{k+1}(Grid.At(i)) for k < Levels.
type Sampled struct {
	Grid   Grid
	Levels int
	Values []float64
}

// Sample returns the first levels levels of the landscape of the pairs of
// dimension dim on grid g; infinite deaths are truncated at g.Hi. It returns
// an error for an invalid grid or levels < 1.
func Sample(pairs []ph.Pair, dim, levels int, g Grid) (Sampled, error) {
	if err := g.validate(); err != nil {
		return Sampled{}, err
	}
	if levels < 1 {
		return Sampled{}, fmt.Errorf("landscape: %d levels, want at least 1", levels)
	}
	return Exact(pairs, dim, g.Hi).Sample(g, levels), nil
}

// Sample evaluates the first levels levels of l on grid g, clamping each
// level to the one above so that λ₁ ≥ λ₂ ≥ … holds exactly in floating
// point. It panics if the grid is invalid.
func (l Landscape) Sample(g Grid, levels int) Sampled {
	if err := g.validate(); err != nil {
		panic(err)
	}
	s := Sampled{Grid: g, Levels: levels, Values: make([]float64, levels*g.Resolution)}
	for k := 0; k < levels && k < len(l.Levels); k++ {
		row := s.Values[k*g.Resolution : (k+1)*g.Resolution]
		pts := l.Levels[k]
		j := 0 // pts[j-1].T ≤ t < pts[j].T
		for i := range row {
			t := g.At(i)
			for j < len(pts) && pts[j].T <= t {
				j++
			}
			if j == 0 || j == len(pts) {
				continue
			}
			p, q := pts[j-1], pts[j]
			row[i] = p.V + (q.V-p.V)*(t-p.T)/(q.T-p.T)
			if k > 0 {
				// λ_{k+1} ≤ λ_k exactly, not only up to rounding.
				row[i] = min(row[i], s.Values[(k-1)*g.Resolution+i])
			}
		}
	}
	return s
}

// At returns λ_{k+1} at grid point i.
func (s Sampled) At(k, i int) float64 { return s.Values[k*s.Grid.Resolution+i] }

// Norm returns the Lᵖ norm over [Grid.Lo, Grid.Hi] of the piecewise-linear
// interpolant of the samples, summed over the levels: exact for that
// interpolant, and equal to the exact landscape's norm when every critical
// point lies on the grid. p = +Inf gives the largest sample. It panics if
// p < 1.
func (s Sampled) Norm(p float64) float64 {
	checkP(p)
	h := (s.Grid.Hi - s.Grid.Lo) / float64(s.Grid.Resolution-1)
	var sum float64
	for k := 0; k < s.Levels; k++ {
		row := s.Values[k*s.Grid.Resolution : (k+1)*s.Grid.Resolution]
		for i := 1; i < len(row); i++ {
			if math.IsInf(p, 1) {
				sum = max(sum, row[i-1], row[i])
				continue
			}
			sum += segmentPow(h, row[i-1], row[i], p)
		}
	}
	if math.IsInf(p, 1) {
		return sum
	}
	return math.Pow(sum, 1/p)
}

// MeanAccumulator accumulates sampled landscapes on one grid for their
// pointwise mean. Its fields are exported so that it can serve as the
// accumulator of a Beam CombineFn: Sum[k*Resolution+i] is the sum of
// λ_{k+1}(tᵢ) over the Count landscapes added. The mean of merged shards is
// the mean of all landscapes (not a mean of means); the floating-point sums
// may differ in the last bits with the merge order.
type MeanAccumulator struct {
	Sum        []float64
	Count      int64
	Levels     int
	Resolution int
}

// ErrShape is wrapped by the errors of Add and Merge on mismatched shapes.
var ErrShape = errors.New("landscape: mismatched landscape shapes")

// Add adds one sampled landscape. The first landscape fixes Levels and
// Resolution; a later one of another shape is an error wrapping ErrShape.
func (a *MeanAccumulator) Add(s Sampled) error {
	if len(s.Values) != s.Levels*s.Grid.Resolution {
		return fmt.Errorf("%w: %d values for %d levels × %d points", ErrShape, len(s.Values), s.Levels, s.Grid.Resolution)
	}
	if err := a.shape(s.Levels, s.Grid.Resolution); err != nil {
		return err
	}
	for i, v := range s.Values {
		a.Sum[i] += v
	}
	a.Count++
	return nil
}

// Merge adds the landscapes accumulated in b.
func (a *MeanAccumulator) Merge(b MeanAccumulator) error {
	if b.Count == 0 {
		return nil
	}
	if len(b.Sum) != b.Levels*b.Resolution {
		return fmt.Errorf("%w: %d sums for %d levels × %d points", ErrShape, len(b.Sum), b.Levels, b.Resolution)
	}
	if err := a.shape(b.Levels, b.Resolution); err != nil {
		return err
	}
	for i, v := range b.Sum {
		a.Sum[i] += v
	}
	a.Count += b.Count
	return nil
}

func (a *MeanAccumulator) shape(levels, resolution int) error {
	if a.Count == 0 && a.Sum == nil {
		a.Levels, a.Resolution = levels, resolution
		a.Sum = make([]float64, levels*resolution)
		return nil
	}
	if a.Levels != levels || a.Resolution != resolution {
		return fmt.Errorf("%w: %d levels × %d points added to %d levels × %d points", ErrShape, levels, resolution, a.Levels, a.Resolution)
	}
	return nil
}

// Mean returns the pointwise mean, level-major like Sampled.Values, or nil
// when nothing was added.
func (a MeanAccumulator) Mean() []float64 {
	if a.Count == 0 {
		return nil
	}
	out := make([]float64, len(a.Sum))
	for i, v := range a.Sum {
		out[i] = v / float64(a.Count)
	}
	return out
}
