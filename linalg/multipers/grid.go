package multipers

import (
	"fmt"
	"math"
	"slices"
)

// Grid is a finite grid of the parameter plane: codensity thresholds T and
// Rips radii R, each finite and strictly increasing, with R[0] ≥ 0.
type Grid struct {
	T, R []float64
}

// Box is the axis-parallel rectangle [TMin, TMax] × [RMin, RMax].
type Box struct {
	TMin, TMax, RMin, RMax float64
}

// Box returns the rectangle spanned by the grid.
func (g Grid) Box() Box {
	return Box{TMin: g.T[0], TMax: g.T[len(g.T)-1], RMin: g.R[0], RMax: g.R[len(g.R)-1]}
}

func (g Grid) validate() error {
	if len(g.T) == 0 || len(g.R) == 0 {
		return fmt.Errorf("multipers: grid of %d × %d values, want at least one of each", len(g.T), len(g.R))
	}
	for name, axis := range map[string][]float64{"T": g.T, "R": g.R} {
		for i, v := range axis {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("multipers: grid value %s[%d] = %v is not finite", name, i, v)
			}
			if i > 0 && !(axis[i-1] < v) {
				return fmt.Errorf("multipers: grid values %s[%d] = %v, %s[%d] = %v are not strictly increasing", name, i-1, axis[i-1], name, i, v)
			}
		}
	}
	if g.R[0] < 0 {
		return fmt.Errorf("multipers: negative radius R[0] = %v", g.R[0])
	}
	if !(g.R[len(g.R)-1] > 0) {
		return fmt.Errorf("multipers: largest radius R[%d] = %v must be > 0", len(g.R)-1, g.R[len(g.R)-1])
	}
	return nil
}

// DefaultGridSize is the number of values per axis of DefaultGrid.
const DefaultGridSize = 20

// DefaultRadiusQuantile is the quantile of the pairwise distances at which
// DefaultGrid's radii stop. It bounds the Rips complex of every column at
// about 30% of all edges; topological features of a sampled shape are born
// far below it.
const DefaultRadiusQuantile = 0.3

// DefaultGrid is QuantileGrid with DefaultGridSize values per axis and
// radii up to the DefaultRadiusQuantile quantile of the pairwise distances.
func DefaultGrid(points []float64, n, dim int, f []float64) (Grid, error) {
	return QuantileGrid(points, n, dim, f, DefaultGridSize, DefaultGridSize, DefaultRadiusQuantile)
}

// QuantileGrid returns the grid
//
//	Tᵢ = Q_f((i+1)/nt),                 i = 0 … nt−1,
//	R_j = Q_d(radiusQuantile·(j+1)/nr),  j = 0 … nr−1,
//
// where Q_f is the quantile function of the n codensity values and Q_d that
// of the n(n−1)/2 distances between distinct indices i < j, both with
// linear interpolation between order statistics (Quantile; NumPy's default
// method "linear"). T ends at max f, so the last column is the
// one-parameter Rips filtration of the whole cloud. Values equal to their
// predecessor (ties in the data) are dropped, so an axis can be shorter than
// asked. Memory is O(n²) for the sorted distances.
//
// It returns an error for an invalid cloud or codensity, n < 2, nt or nr < 1,
// radiusQuantile outside (0, 1], or when every pairwise distance is 0.
func QuantileGrid(points []float64, n, dim int, f []float64, nt, nr int, radiusQuantile float64) (Grid, error) {
	if err := checkCloud(points, n, dim); err != nil {
		return Grid{}, err
	}
	if err := checkCodensity(f, n); err != nil {
		return Grid{}, err
	}
	if n < 2 {
		return Grid{}, fmt.Errorf("multipers: a grid of radii needs at least 2 points, got %d", n)
	}
	if nt < 1 || nr < 1 {
		return Grid{}, fmt.Errorf("multipers: grid of %d × %d values, want at least one of each", nt, nr)
	}
	if !(radiusQuantile > 0 && radiusQuantile <= 1) {
		return Grid{}, fmt.Errorf("multipers: radius quantile %v must be in (0, 1]", radiusQuantile)
	}
	fs := slices.Clone(f)
	slices.Sort(fs)
	d := make([]float64, 0, n*(n-1)/2)
	for i := 1; i < n; i++ {
		for j := 0; j < i; j++ {
			d = append(d, distance(points[i*dim:(i+1)*dim], points[j*dim:(j+1)*dim]))
		}
	}
	slices.Sort(d)
	var g Grid
	for i := 0; i < nt; i++ {
		g.T = appendIncreasing(g.T, Quantile(fs, float64(i+1)/float64(nt)))
	}
	for j := 0; j < nr; j++ {
		g.R = appendIncreasing(g.R, Quantile(d, radiusQuantile*float64(j+1)/float64(nr)))
	}
	if err := g.validate(); err != nil {
		return Grid{}, err
	}
	return g, nil
}

func appendIncreasing(axis []float64, v float64) []float64 {
	if len(axis) > 0 && !(axis[len(axis)-1] < v) {
		return axis
	}
	return append(axis, v)
}

// Quantile returns the p-quantile of the increasingly sorted values x with
// linear interpolation between order statistics: with h = (len(x)−1)·p,
// k = ⌊h⌋ and g = h − k, it is x[k] + g·(x[k+1] − x[k]) (Hyndman & Fan 1996,
// definition 7; NumPy's default "linear" method, including NumPy's
// x[k+1] − (1−g)·(x[k+1] − x[k]) form when g ≥ 1/2, so that both agree to
// the last bit). It panics if x is empty or p is outside [0, 1].
func Quantile(x []float64, p float64) float64 {
	if len(x) == 0 || !(p >= 0 && p <= 1) {
		panic(fmt.Sprintf("multipers: quantile %v of %d values", p, len(x)))
	}
	h := float64(len(x)-1) * p
	k := math.Floor(h)
	i := int(k)
	if i >= len(x)-1 {
		return x[len(x)-1]
	}
	g := h - k
	a, b := x[i], x[i+1]
	if g >= 0.5 {
		return b - (b-a)*(1-g)
	}
	return a + (b-a)*g
}
