package multipers

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/lowdim/lowdim/linalg/ph"
)

// h1Persistences returns the H1 persistences of d, largest first, padded
// with zeros to at least two.
func h1Persistences(d ph.Diagram) []float64 {
	var p []float64
	for _, x := range d.Dim(1) {
		p = append(p, x.Death-x.Birth)
	}
	slices.Sort(p)
	slices.Reverse(p)
	return append(p, 0, 0)
}

// TestHiddenCircle is the example for an experiments/ spec: 100 points near
// the unit circle in 200 uniform points of [−2, 2]² (testdata/multipers/
// hidden_circle.csv, seed 20250112). One-parameter Rips H1 of the whole cloud
// has no outstanding bar: background points fill the disc before the
// circle's loop can persist. Keeping only the denser points (Gaussian
// codensity, h = 0.1) at a moderate level t, at most the median of f,
// leaves the circle, whose loop persists over most of the radius axis.
func TestHiddenCircle(t *testing.T) {
	g := readGolden(t, "hidden_circle")
	one, err := ph.VietorisRips(g.points, g.N, g.Dim, ph.Options{MaxDim: 1, Threshold: math.Inf(1)})
	if err != nil {
		t.Fatal(err)
	}
	full := h1Persistences(one)
	t.Logf("one-parameter H1: longest bars %.3f, %.3f", full[0], full[1])
	if !(full[0] < 0.5 && full[0] < 2*full[1]) {
		t.Errorf("one-parameter H1 already shows the circle: bars %.3f, %.3f", full[0], full[1])
	}

	f, err := GaussianCodensity(g.points, g.N, g.Dim, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	grid, err := DefaultGrid(g.points, g.N, g.Dim, f)
	if err != nil {
		t.Fatal(err)
	}
	h, err := Hilbert(g.points, g.N, g.Dim, f, grid, Options{MaxDim: 1, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	var table strings.Builder
	for i := range grid.T {
		fmt.Fprintf(&table, "\n  t=%+.5f", grid.T[i])
		for j := range grid.R {
			fmt.Fprintf(&table, "%3d", h.At(1, i, j))
		}
	}
	t.Logf("H1 on the default grid, r = %.3f … %.3f:%s", grid.R[0], grid.R[len(grid.R)-1], table.String())

	// The whole cloud (last column) has no H1 from r = 0.75 on.
	last := len(grid.T) - 1
	for j, r := range grid.R {
		if r >= 0.75 && h.At(1, last, j) != 0 {
			t.Errorf("whole cloud: H1(r=%.3f) = %d, want 0", r, h.At(1, last, j))
		}
	}
	// Some column at or below the median codensity has exactly one H1
	// class for every r in [0.5, max R]: the circle.
	median := Quantile(slices.Sorted(slices.Values(f)), 0.5)
	found := -1
	for i := 0; i < len(grid.T) && grid.T[i] <= median && found < 0; i++ {
		all := true
		for j, r := range grid.R {
			if r >= 0.5 && h.At(1, i, j) != 1 {
				all = false
			}
		}
		if all {
			found = i
		}
	}
	if found < 0 {
		t.Fatalf("no column with t ≤ median f = %.5f has H1 = 1 over r ∈ [0.5, %.3f]", median, grid.R[len(grid.R)-1])
	}
	d, err := SublevelDiagram(g.points, g.N, g.Dim, f, grid.T[found], ph.Options{MaxDim: 1, Threshold: math.Inf(1)})
	if err != nil {
		t.Fatal(err)
	}
	sub := h1Persistences(d)
	t.Logf("column %d (t = %.5f, %d points): H1 bars %.3f, %.3f", found, grid.T[found], countAtMost(f, grid.T[found]), sub[0], sub[1])
	if !(sub[0] > 2.5*full[0] && sub[0] > 10*sub[1]) {
		t.Errorf("column %d: H1 bars %.3f, %.3f; want the first > 2.5 × %.3f and > 10 × the second", found, sub[0], sub[1], full[0])
	}
}

func countAtMost(f []float64, t float64) int { return len(subset(f, t)) }
