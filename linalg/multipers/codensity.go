package multipers

import (
	"fmt"
	"math"
)

// checkCloud validates n points of dimension dim stored row-major in points.
func checkCloud(points []float64, n, dim int) error {
	if n < 1 || dim < 1 || len(points) != n*dim {
		return fmt.Errorf("multipers: %d coordinates for %d points of dimension %d", len(points), n, dim)
	}
	for i := 0; i < n; i++ {
		for c, x := range points[i*dim : (i+1)*dim] {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("multipers: point %d has non-finite coordinate %v in column %d", i, x, c)
			}
		}
	}
	return nil
}

// checkCodensity validates one finite value per point.
func checkCodensity(f []float64, n int) error {
	if len(f) != n {
		return fmt.Errorf("multipers: %d codensity values for %d points", len(f), n)
	}
	for i, v := range f {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("multipers: codensity of point %d is %v, want a finite value", i, v)
		}
	}
	return nil
}

func squaredDistance(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for k, x := range a {
		t := x - b[k]
		s += t * t
	}
	return s
}

// distance is the Euclidean distance √(Σ (aₖ − bₖ)²), summed in coordinate
// order, the same arithmetic as ph.VietorisRips.
func distance(a, b []float64) float64 { return math.Sqrt(squaredDistance(a, b)) }

// KNNCodensity returns f(xᵢ) = the distance from xᵢ to its k-th nearest
// other point (xᵢ itself is excluded; a duplicate of xᵢ is another point at
// distance 0). Dense regions have small values. It is O(n²·dim) time and
// O(n + k) memory, and returns an error unless 1 ≤ k ≤ n−1 and the cloud is
// valid (n ≥ 2 points, finite coordinates).
func KNNCodensity(points []float64, n, dim, k int) ([]float64, error) {
	if err := checkCloud(points, n, dim); err != nil {
		return nil, err
	}
	if k < 1 || k > n-1 {
		return nil, fmt.Errorf("multipers: k = %d nearest neighbours among %d other points, want 1 ≤ k ≤ %d", k, n-1, n-1)
	}
	f := make([]float64, n)
	nearest := make([]float64, 0, k) // the k smallest squared distances so far, increasing
	for i := 0; i < n; i++ {
		nearest = nearest[:0]
		xi := points[i*dim : (i+1)*dim]
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			d := squaredDistance(xi, points[j*dim:(j+1)*dim])
			if len(nearest) == k && d >= nearest[k-1] {
				continue
			}
			if len(nearest) < k {
				nearest = append(nearest, d)
			}
			p := len(nearest) - 1
			for p > 0 && nearest[p-1] > d {
				nearest[p] = nearest[p-1]
				p--
			}
			nearest[p] = d
		}
		f[i] = math.Sqrt(nearest[k-1])
	}
	return f, nil
}

// GaussianCodensity returns the negative Gaussian kernel density estimate
//
//	f(xᵢ) = −(1/n) Σ_{j=1}^{n} exp(−‖xᵢ − xⱼ‖² / (2h²)),
//
// the sum over all n points including xᵢ itself (which contributes 1), with
// no (2πh²)^(−dim/2) normalisation: f ∈ [−1, −1/n], lowest where the cloud is
// densest. Dropping the constant factor leaves every sublevel set {f ≤ t}
// unchanged up to the matching rescaling of t. It is O(n²·dim) time and
// O(n) memory, and returns an error for an invalid cloud or unless the
// bandwidth h is finite and > 0.
func GaussianCodensity(points []float64, n, dim int, h float64) ([]float64, error) {
	if err := checkCloud(points, n, dim); err != nil {
		return nil, err
	}
	if !(h > 0) || math.IsInf(h, 1) {
		return nil, fmt.Errorf("multipers: Gaussian bandwidth %v must be finite and > 0", h)
	}
	sum := make([]float64, n)
	scale := -1 / (2 * h * h)
	for i := 0; i < n; i++ {
		sum[i]++ // exp(0) for j = i
		xi := points[i*dim : (i+1)*dim]
		for j := 0; j < i; j++ {
			e := math.Exp(scale * squaredDistance(xi, points[j*dim:(j+1)*dim]))
			sum[i] += e
			sum[j] += e
		}
	}
	for i := range sum {
		sum[i] = -sum[i] / float64(n)
	}
	return sum, nil
}
