package ph

import (
	"fmt"
	"math"
	"slices"
)

// MemoryEstimate is the worst-case memory estimate VietorisRips makes of a
// problem before it allocates anything large, and refuses above
// Options.MaxBytes (ErrTooLarge).
type MemoryEstimate struct {
	// Bytes bounds the memory of the distance structure, the edge list and
	// the columns and pivots of dimensions 1…MaxDim, ignoring the fill-in
	// of the reduction (see VietorisRips).
	Bytes float64
	// Edges is the number of edges of length ≤ Threshold.
	Edges int
	// Threshold is the effective threshold: min(Options.Threshold,
	// EnclosingRadius), above which the complex is a cone.
	Threshold       float64
	EnclosingRadius float64
	// Sparse is whether the distances are kept as neighbour lists
	// (3·Edges < n(n−1)/2) rather than a dense triangle.
	Sparse bool
}

// EstimateMemory returns the memory estimate VietorisRips makes for the n
// row-major points of dimension dim with opts, without computing the
// diagram: two passes over the n(n−1)/2 distances, O(n·dim) memory. It
// returns VietorisRips's errors for invalid input and options; it never
// returns ErrTooLarge.
func EstimateMemory(points []float64, n, dim int, opts Options) (MemoryEstimate, error) {
	if n < 0 || dim < 1 || len(points) != n*dim {
		return MemoryEstimate{}, fmt.Errorf("ph: %d coordinates for %d points of dimension %d", len(points), n, dim)
	}
	if err := checkCount(n); err != nil {
		return MemoryEstimate{}, err
	}
	if err := checkFinite(points, n, dim); err != nil {
		return MemoryEstimate{}, err
	}
	if err := opts.validate(n); err != nil {
		return MemoryEstimate{}, err
	}
	value := euclidean(points, dim)
	if births := opts.VertexBirth; births != nil {
		dist := value
		value = func(i, j int) float64 { return max(dist(i, j), births[i], births[j]) }
	}
	enclosing := enclosingRadius(n, value)
	// As in VietorisRips: an edge of value +Inf is never in the complex.
	threshold := min(opts.Threshold, enclosing, math.MaxFloat64)
	deg := make([]int32, n)
	edges := 0
	for i := 1; i < n; i++ {
		for j := 0; j < i; j++ {
			if value(i, j) <= threshold {
				deg[i]++
				deg[j]++
				edges++
			}
		}
	}
	sparse := 3*edges < n*(n-1)/2
	return MemoryEstimate{
		Bytes: estimateBytes(n, edges, deg, sparse, opts.MaxDim), Edges: edges,
		Threshold: min(opts.Threshold, enclosing), EnclosingRadius: enclosing, Sparse: sparse,
	}, nil
}

// EnclosingRadius returns minᵢ maxⱼ ‖xᵢ − xⱼ‖ over the n row-major points
// of dimension dim (0 for fewer than 2 points): above it the Vietoris–Rips
// complex is a cone, so its persistence is that of the complex at it
// (Ripser's enclosing radius). O(n²·dim) time, O(n) memory.
func EnclosingRadius(points []float64, n, dim int) float64 {
	if n < 2 {
		return 0
	}
	return enclosingRadius(n, euclidean(points, dim))
}

// enclosingRadius is minᵢ maxⱼ value(i, j) over n ≥ 2 vertices.
func enclosingRadius(n int, value func(i, j int) float64) float64 {
	rowMax := make([]float64, n)
	for i := range rowMax {
		rowMax[i] = math.Inf(-1)
	}
	for i := 1; i < n; i++ {
		for j := 0; j < i; j++ {
			d := value(i, j)
			rowMax[i] = max(rowMax[i], d)
			rowMax[j] = max(rowMax[j], d)
		}
	}
	return slices.Min(rowMax)
}

// MaxMemory bounds EstimateMemory's Bytes over every set of n points with
// the given MaxDim: the estimate with every edge in the complex (a dense
// distance triangle, every vertex of degree n − 1), which the estimate
// never exceeds since it grows with the edges and the degrees. O(1), so a
// caller can skip EstimateMemory's O(n²) passes when the bound already fits.
func MaxMemory(n, maxDim int) float64 {
	if n < 2 {
		return 0
	}
	edges := float64(n) * float64(n-1) / 2
	b := edges*8 + edges*16*2
	if maxDim >= 1 {
		b += edges * 24
	}
	for d := 2; d <= maxDim; d++ {
		s := float64(n) * binomialFloat(n-1, d) / float64(d+1)
		b += s * (16 + 24)
		if d < maxDim {
			b += s * 16
		}
	}
	return b
}
