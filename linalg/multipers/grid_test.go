package multipers

import (
	"math"
	"testing"
)

func TestQuantileGridGoldens(t *testing.T) {
	for _, name := range goldenNames {
		t.Run(name, func(t *testing.T) {
			g := readGolden(t, name)
			q := g.QuantileGrid
			grid, err := QuantileGrid(g.points, g.N, g.Dim, g.f, q.NT, q.NR, q.RadiusQuantile)
			if err != nil {
				t.Fatal(err)
			}
			if len(grid.T) != len(q.T) || len(grid.R) != len(q.R) {
				t.Fatalf("grid %d × %d, numpy %d × %d", len(grid.T), len(grid.R), len(q.T), len(q.R))
			}
			for i := range q.T {
				if grid.T[i] != q.T[i] {
					t.Errorf("T[%d] = %v, np.quantile %v", i, grid.T[i], q.T[i])
				}
			}
			// Distances may differ from scipy's in the last bit.
			for j := range q.R {
				if e := relErr(grid.R[j], q.R[j]); e > 1e-14 {
					t.Errorf("R[%d] = %v, np.quantile %v (rel. error %g)", j, grid.R[j], q.R[j], e)
				}
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	x := []float64{1, 2, 4, 8}
	for _, c := range []struct{ p, want float64 }{
		{0, 1}, {1, 8}, {1.0 / 3, 2}, {0.5, 3}, {0.25, 1.75}, {0.9, 6.8},
	} {
		if got := Quantile(x, c.p); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("Quantile(%v, %v) = %v, want %v", x, c.p, got, c.want)
		}
	}
	if got := Quantile([]float64{5}, 0.3); got != 5 {
		t.Errorf("Quantile of one value = %v", got)
	}
}

func TestQuantileGridTiesAndErrors(t *testing.T) {
	// A unit square with a constant codensity: T collapses to one value,
	// the 6 distances are 1,1,1,1,√2,√2.
	points := []float64{0, 0, 1, 0, 1, 1, 0, 1}
	f := []float64{2, 2, 2, 2}
	g, err := QuantileGrid(points, 4, 2, f, 5, 6, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.T) != 1 || g.T[0] != 2 {
		t.Errorf("T = %v, want [2]", g.T)
	}
	for j := 1; j < len(g.R); j++ {
		if !(g.R[j-1] < g.R[j]) {
			t.Errorf("R = %v not strictly increasing", g.R)
		}
	}
	if g.R[len(g.R)-1] != math.Sqrt2 || g.R[0] != 1 {
		t.Errorf("R = %v, want from 1 to √2", g.R)
	}
	if _, err := QuantileGrid(points, 4, 2, f, 0, 3, 0.5); err == nil {
		t.Error("nt = 0 accepted")
	}
	if _, err := QuantileGrid(points, 4, 2, f, 3, 3, 0); err == nil {
		t.Error("radius quantile 0 accepted")
	}
	if _, err := QuantileGrid(points, 4, 2, f[:3], 3, 3, 0.5); err == nil {
		t.Error("3 codensity values for 4 points accepted")
	}
	if _, err := QuantileGrid([]float64{1, 1, 1, 1}, 2, 2, []float64{0, 0}, 3, 3, 0.5); err == nil {
		t.Error("all distances zero accepted")
	}
	bad := []Grid{
		{T: []float64{0}, R: nil},
		{T: []float64{1, 1}, R: []float64{1}},
		{T: []float64{0}, R: []float64{-1, 1}},
		{T: []float64{0}, R: []float64{0}},
		{T: []float64{math.NaN()}, R: []float64{1}},
	}
	for _, g := range bad {
		if err := g.validate(); err == nil {
			t.Errorf("grid %+v accepted", g)
		}
	}
}
