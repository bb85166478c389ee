// Package sample draws seeded samples of the rows of a point cloud:
// uniform subsets (Floyd's algorithm), bootstrap draws with replacement,
// and max-min landmarks (de Silva & Carlsson 2004). Points are row-major:
// point i of a cloud of dimension dim is points[i*dim : (i+1)*dim].
package sample

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Scheme says how a sample of a cloud is drawn.
type Scheme struct {
	// Size is the number of points of a sample; 0 takes the whole cloud.
	Size int
	// Replace draws random samples with replacement (bootstrap).
	Replace bool
	// Landmarks is "random" (or "") or "maxmin".
	Landmarks string
}

// Indices returns the rows of a cloud of n points (row-major coordinates
// points, dimension dim) that form the sample drawn with seed, in increasing
// order (with repeats when Replace is set):
//
//   - Size 0 or Size = n without replacement: every row, seed unused.
//   - random without replacement: a uniform Size-subset (Floyd's algorithm).
//   - random with replacement: Size independent uniform draws.
//   - maxmin: MaxMinLandmarks from a uniformly drawn first point.
//
// The draws use a PCG generator seeded with (seed, ^seed). It returns an
// error when Size exceeds n without replacement.
func (s Scheme) Indices(points []float64, n, dim int, seed uint64) ([]int, error) {
	m := s.Size
	if m == 0 || (m == n && !s.Replace && s.Landmarks != "maxmin") {
		idx := make([]int, n)
		for i := range idx {
			idx[i] = i
		}
		return idx, nil
	}
	if m > n && !s.Replace {
		return nil, fmt.Errorf("a sample of %d points from a cloud of %d needs replace: true", m, n)
	}
	rng := rand.New(rand.NewPCG(seed, ^seed))
	var idx []int
	switch {
	case s.Landmarks == "maxmin":
		idx = MaxMinLandmarks(points, n, dim, m, rng.IntN(n))
	case s.Replace:
		idx = make([]int, m)
		for i := range idx {
			idx[i] = rng.IntN(n)
		}
	default:
		// Floyd (Bentley & Floyd 1987, "A sample of brilliance"): every
		// m-subset is equally likely.
		chosen := make([]uint64, (n+63)/64)
		idx = make([]int, 0, m)
		for j := n - m; j < n; j++ {
			t := rng.IntN(j + 1)
			if chosen[t/64]&(1<<(t%64)) != 0 {
				t = j
			}
			chosen[t/64] |= 1 << (t % 64)
			idx = append(idx, t)
		}
	}
	slices.Sort(idx)
	return idx, nil
}

// IsIdentity reports whether idx is 0, 1, …, n−1: the sample is the
// whole cloud, in order.
func IsIdentity(idx []int, n int) bool {
	if len(idx) != n {
		return false
	}
	for i, j := range idx {
		if i != j {
			return false
		}
	}
	return true
}

// Gather returns the rows idx of the row-major points of dimension dim.
func Gather(points []float64, dim int, idx []int) []float64 {
	out := make([]float64, 0, len(idx)*dim)
	for _, i := range idx {
		out = append(out, points[i*dim:(i+1)*dim]...)
	}
	return out
}

// MaxMinLandmarks returns m max-min landmarks of the n points (de Silva &
// Carlsson 2004, "Topological estimation using witness complexes", §5.2):
// first, then repeatedly the point whose Euclidean distance to the landmarks
// chosen so far is largest (the smallest index among ties, never a point
// already chosen), in the order chosen. Cost O(m·n·dim) time, O(n) memory.
// It panics unless 0 ≤ first < n and 1 ≤ m ≤ n.
func MaxMinLandmarks(points []float64, n, dim, m, first int) []int {
	if first < 0 || first >= n || m < 1 || m > n {
		panic(fmt.Sprintf("sample: %d max-min landmarks of %d points from point %d", m, n, first))
	}
	dist := make([]float64, n) // squared distance to the nearest landmark; -1 once chosen
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	out := make([]int, 0, m)
	next := first
	for len(out) < m {
		out = append(out, next)
		dist[next] = -1
		p := points[next*dim : (next+1)*dim]
		far, best := -1, -1.0
		for i := 0; i < n; i++ {
			if dist[i] < 0 {
				continue
			}
			q := points[i*dim : (i+1)*dim]
			var d float64
			for k, x := range p {
				t := x - q[k]
				d += t * t
			}
			dist[i] = min(dist[i], d)
			if dist[i] > best {
				far, best = i, dist[i]
			}
		}
		next = far
	}
	return out
}
