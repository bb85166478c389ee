package multipers

import (
	"math"
	"slices"
	"testing"

	"golang.org/x/exp/rand"

	"github.com/lowdim/lowdim/linalg/ph"
)

// noisyCircle returns n points of the circle of radius radius at uniform
// angles plus N(0, noise²) per coordinate, and a uniform background of m
// points in [−box, box]², from a seeded generator.
func noisyCircle(seed uint64, n int, radius, noise float64, m int, box float64) []float64 {
	rng := rand.New(rand.NewSource(seed))
	out := make([]float64, 0, 2*(n+m))
	for i := 0; i < n; i++ {
		a := 2 * math.Pi * rng.Float64()
		out = append(out, radius*math.Cos(a)+noise*rng.NormFloat64(), radius*math.Sin(a)+noise*rng.NormFloat64())
	}
	for i := 0; i < m; i++ {
		out = append(out, box*(2*rng.Float64()-1), box*(2*rng.Float64()-1))
	}
	return out
}

// torusCloud returns n points of the torus R = 2, r = 1 (uniform angles)
// plus N(0, noise²) per coordinate.
func torusCloud(seed uint64, n int, noise float64) []float64 {
	rng := rand.New(rand.NewSource(seed))
	out := make([]float64, 0, 3*n)
	for i := 0; i < n; i++ {
		u, v := 2*math.Pi*rng.Float64(), 2*math.Pi*rng.Float64()
		out = append(out,
			(2+math.Cos(v))*math.Cos(u)+noise*rng.NormFloat64(),
			(2+math.Cos(v))*math.Sin(u)+noise*rng.NormFloat64(),
			math.Sin(v)+noise*rng.NormFloat64())
	}
	return out
}

// With a constant codensity every nonempty column is the one-parameter
// Rips filtration. The reference Betti numbers come from a separate ph run
// at each radius (threshold r, Betti = essential classes), so the
// Birth ≤ r < Death count and the threshold of each column are checked
// against the complex itself. Half of the radii are exact edge lengths.
func TestConstantCodensityIsRips(t *testing.T) {
	cases := []struct {
		name   string
		points []float64
		dim    int
		maxDim int
	}{
		{"circle", noisyCircle(1, 60, 1, 0.05, 0, 0), 2, 1},
		{"torus", torusCloud(2, 70, 0.05), 3, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := len(c.points) / c.dim
			f := make([]float64, n)
			for i := range f {
				f[i] = 0.5
			}
			// Radii: every 40th sorted edge length, and midpoints.
			var lengths []float64
			for i := 1; i < n; i++ {
				for j := 0; j < i; j++ {
					lengths = append(lengths, distance(c.points[i*c.dim:(i+1)*c.dim], c.points[j*c.dim:(j+1)*c.dim]))
				}
			}
			slices.Sort(lengths)
			var R []float64
			for k := 40; k < len(lengths)*2/3; k += 40 {
				R = append(R, (lengths[k-20]+lengths[k-19])/2, lengths[k])
			}
			g := Grid{T: []float64{0.25, 0.5, 0.75}, R: R}
			h, err := Hilbert(c.points, n, c.dim, f, g, Options{MaxDim: c.maxDim, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			nonzero := 0
			for j, r := range R {
				d, err := ph.VietorisRips(c.points, n, c.dim, ph.Options{MaxDim: c.maxDim, Threshold: r})
				if err != nil {
					t.Fatal(err)
				}
				for q := 0; q <= c.maxDim; q++ {
					want := 0
					for _, p := range d.Dim(q) {
						if math.IsInf(p.Death, 1) {
							want++
						}
					}
					if q > 0 && want > 0 {
						nonzero++
					}
					if got := h.At(q, 0, j); got != 0 {
						t.Errorf("empty column: H%d(r=%v) = %d", q, r, got)
					}
					for i := 1; i < 3; i++ {
						if got := h.At(q, i, j); got != want {
							t.Errorf("column %d: H%d(r=%v) = %d, Rips complex at r has β%d = %d", i, q, r, got, q, want)
						}
					}
				}
			}
			if nonzero < 3 {
				t.Errorf("only %d radii with higher homology: the test checks too little", nonzero)
			}
		})
	}
}

func TestHilbertGoldens(t *testing.T) {
	for _, name := range goldenNames {
		t.Run(name, func(t *testing.T) {
			g := readGolden(t, name)
			h, err := Hilbert(g.points, g.N, g.Dim, g.f, g.Grid, Options{MaxDim: g.MaxDim, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			wrong, total, positive := 0, 0, 0
			for q := 0; q <= g.MaxDim; q++ {
				for i := range g.Grid.T {
					for j := range g.Grid.R {
						total++
						want := g.Hilbert[q][i][j]
						if want > 0 && q > 0 {
							positive++
						}
						if got := h.At(q, i, j); got != want {
							wrong++
							if wrong <= 10 {
								t.Errorf("H%d(t=%.4g, r=%.4g) = %d, GUDHI %d", q, g.Grid.T[i], g.Grid.R[j], got, want)
							}
						}
					}
				}
			}
			t.Logf("%d grid values (%d of H≥1 positive), %d differ from GUDHI", total, positive, wrong)
			if wrong > 0 {
				t.Errorf("%d of %d Hilbert values differ from GUDHI", wrong, total)
			}
		})
	}
}

func TestHilbertDeterministic(t *testing.T) {
	points := noisyCircle(3, 80, 1, 0.05, 40, 1.5)
	n := len(points) / 2
	f, err := GaussianCodensity(points, n, 2, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	g, err := QuantileGrid(points, n, 2, f, 9, 9, 0.4)
	if err != nil {
		t.Fatal(err)
	}
	one, err := Hilbert(points, n, 2, f, g, Options{MaxDim: 1, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []int{2, 5, 0} {
		other, err := Hilbert(points, n, 2, f, g, Options{MaxDim: 1, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(one.Values, other.Values) {
			t.Errorf("%d workers give another Hilbert function than 1", w)
		}
	}
	// H0 is nonincreasing in r.
	for i := range g.T {
		for j := 1; j < len(g.R); j++ {
			if one.At(0, i, j) > one.At(0, i, j-1) {
				t.Errorf("H0 increases with r at column %d", i)
			}
		}
	}
}

func TestHilbertSmallSubsets(t *testing.T) {
	points := []float64{0, 0, 1, 0, 0, 1, 1, 1}
	f := []float64{0, 1, 2, 3}
	// t = −1: nothing; 0: one point; 1.5: two points at distance 1;
	// 3: the unit square, a loop for 1 ≤ r < √2.
	g := Grid{T: []float64{-1, 0, 1.5, 3}, R: []float64{0.5, 1, 1.2, 1.5}}
	h, err := Hilbert(points, 4, 2, f, g, Options{MaxDim: 1, Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := [2][4][4]int{
		{{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 1, 1, 1}, {4, 1, 1, 1}},
		{{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 1, 1, 0}},
	}
	for q := range want {
		for i := range want[q] {
			for j := range want[q][i] {
				if got := h.At(q, i, j); got != want[q][i][j] {
					t.Errorf("H%d(t=%v, r=%v) = %d, want %d", q, g.T[i], g.R[j], got, want[q][i][j])
				}
			}
		}
	}
	if _, err := Hilbert(points, 4, 2, f, g, Options{MaxDim: -1}); err == nil {
		t.Error("negative MaxDim accepted")
	}
	if _, err := Hilbert(points, 4, 2, f, Grid{T: []float64{0}, R: []float64{2, 1}}, Options{}); err == nil {
		t.Error("decreasing radii accepted")
	}
	if _, err := Hilbert(points, 4, 2, []float64{0, 1, math.Inf(1), 0}, g, Options{}); err == nil {
		t.Error("infinite codensity accepted")
	}
	if _, err := Hilbert(points, 4, 2, f, g, Options{MaxDim: 1, MaxBytes: 1}); err == nil {
		t.Error("MaxBytes = 1 not passed to ph")
	}
}
