package multipers

import (
	"math"
	"testing"

	"golang.org/x/exp/rand"
)

// twoCircles returns n·3/4 points near the unit circle at (−1.6, 0) and n/4
// near the circle of radius 0.8 at (1.6, 0), noise N(0, 0.02²).
func twoCircles(seed uint64, n int) []float64 {
	rng := rand.New(rand.NewSource(seed))
	out := make([]float64, 0, 2*n)
	for i := 0; i < n; i++ {
		radius, cx := 1.0, -1.6
		if i >= n*3/4 {
			radius, cx = 0.8, 1.6
		}
		a := 2 * math.Pi * rng.Float64()
		out = append(out, cx+radius*math.Cos(a)+0.02*rng.NormFloat64(), radius*math.Sin(a)+0.02*rng.NormFloat64())
	}
	return out
}

type benchCloud struct {
	name   string
	points []float64
	dim    int
	f      func(points []float64, n, dim int) ([]float64, error)
}

// benchClouds are the three golden shapes at 1,000 points.
var benchClouds = []benchCloud{
	{"hidden_circle", noisyCircle(11, 333, 1, 0.03, 667, 2), 2, func(p []float64, n, d int) ([]float64, error) { return GaussianCodensity(p, n, d, 0.1) }},
	{"two_circles", twoCircles(12, 1000), 2, func(p []float64, n, d int) ([]float64, error) { return KNNCodensity(p, n, d, 10) }},
	{"torus", torusCloud(13, 1000, 0.05), 3, func(p []float64, n, d int) ([]float64, error) { return KNNCodensity(p, n, d, 10) }},
}

// BenchmarkHilbert1000 times one Hilbert function (H0 + H1, default 20 × 20
// grid) per cloud of 1,000 points, codensity and grid excluded.
func BenchmarkHilbert1000(b *testing.B) {
	for _, c := range benchClouds {
		n := len(c.points) / c.dim
		f, err := c.f(c.points, n, c.dim)
		if err != nil {
			b.Fatal(err)
		}
		g, err := DefaultGrid(c.points, n, c.dim, f)
		if err != nil {
			b.Fatal(err)
		}
		for _, workers := range []int{1, 2} {
			b.Run(c.name+"/workers="+string(rune('0'+workers)), func(b *testing.B) {
				for b.Loop() {
					if _, err := Hilbert(c.points, n, c.dim, f, g, Options{MaxDim: 1, Workers: workers}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPrepare1000 times the codensity and the default grid (its O(n²)
// sorted distances) of each cloud.
func BenchmarkPrepare1000(b *testing.B) {
	for _, c := range benchClouds {
		n := len(c.points) / c.dim
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				f, err := c.f(c.points, n, c.dim)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := DefaultGrid(c.points, n, c.dim, f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSlices1000 times the landscapes (H0 + H1, 5 levels, 100 points)
// of 10 box-diagonal lines through the default grid box.
func BenchmarkSlices1000(b *testing.B) {
	for _, c := range benchClouds {
		n := len(c.points) / c.dim
		f, err := c.f(c.points, n, c.dim)
		if err != nil {
			b.Fatal(err)
		}
		g, err := DefaultGrid(c.points, n, c.dim, f)
		if err != nil {
			b.Fatal(err)
		}
		box := g.Box()
		lines, err := ParallelLines(box, 10, box.TMax-box.TMin, box.RMax-box.RMin)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := SliceLandscapes(c.points, n, c.dim, f, lines, 5, 100, Options{MaxDim: 1, Workers: 1}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
