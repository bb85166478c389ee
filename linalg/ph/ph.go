// Package ph computes Vietoris–Rips persistent homology with Z/2 coefficients.
//
// The algorithm is Ripser's (Bauer 2021, "Ripser: efficient computation of
// Vietoris–Rips persistence barcodes", J. Appl. Comput. Topol. 5), and every
// trick keeps the name it has there:
//
//   - H0 by union–find over the edges sorted by (diameter, index), elder rule.
//   - H1, H2, … by the persistent cohomology algorithm, dimensions in
//     increasing order, with clearing (a d-simplex that was a pivot,
//     i.e. a death, in dimension d−1 is never reduced as a column).
//   - An implicit coboundary matrix: simplices are never stored as
//     vertex lists; a k-simplex {v₀ < … < v_k} is the integer
//     Σᵢ C(vᵢ, i+1) of the combinatorial number system, and its cofacets are
//     enumerated from that integer in decreasing order of index.
//   - Apparent pairs: a zero-persistence pair (σ, τ) where τ is the
//     cofacet of σ with the same diameter and largest index and σ is the facet
//     of τ with the same diameter and smallest index is skipped without a
//     reduction; emergent pairs end a reduction at its first cofacet.
//   - A compressed lower-triangular distance matrix when the complex is dense,
//     sorted neighbour lists when the threshold leaves it sparse.
//   - The enclosing radius min_i max_j d(i, j) as the effective threshold when
//     it is smaller than the requested one: above it the complex is a cone, so
//     nothing of dimension ≥ 1 survives and H0 is a single class.
//
// Filtration values with vertex births f (a lower-star style function on the
// points) are f(v) for a vertex, max(d(u, v), f(u), f(v)) for an edge and the
// maximum over its edges for a higher simplex. Simplices with a filtration value above
// the threshold are not in the complex; classes still alive at the threshold
// are essential and have Death = +Inf.
//
// Duplicate points are allowed: they give edges of length zero, whose pairs
// have zero persistence and are not reported (no pair of zero persistence
// is ever reported).
//
// Cost: a first O(n²·dim) pass over the distances finds the enclosing
// radius, the edge count and the memory estimate before anything large is
// allocated. A dense complex then stores n(n−1)/2 float64s (computed again);
// a sparse one keeps the edges of the first pass (up to 4M of them, else
// they are computed again) as neighbour lists (24 bytes per edge).
package ph

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Pair is one interval [Birth, Death) of a persistence diagram in homological
// dimension Dim. Death is +Inf for an essential class (a class alive at the
// threshold); callers that write tables store it as NULL.
type Pair struct {
	Dim          int
	Birth, Death float64
}

// Diagram is a persistence diagram: the pairs of positive persistence of all
// dimensions 0…MaxDim, sorted by (Dim, Birth, Death).
type Diagram struct {
	Pairs []Pair

	// Threshold is the threshold the complex was built with:
	// min(Options.Threshold, EnclosingRadius).
	Threshold float64
	// EnclosingRadius is min_i max_{j≠i} d'(i, j) for the filtration values
	// d' of the edges (with vertex births folded in).
	EnclosingRadius float64
	// Edges is the number of edges with filtration value ≤ Threshold.
	Edges int
	// Sparse reports whether neighbour lists (true) or the compressed
	// distance matrix (false) were used.
	Sparse bool
}

// Dim returns the pairs of dimension k, in the diagram's order.
func (d Diagram) Dim(k int) []Pair {
	var out []Pair
	for _, p := range d.Pairs {
		if p.Dim == k {
			out = append(out, p)
		}
	}
	return out
}

// DefaultMaxBytes is the memory estimate above which VietorisRips refuses a
// problem when Options.MaxBytes is zero.
const DefaultMaxBytes = 8 << 30

// Options configures VietorisRips and VietorisRipsDistances.
type Options struct {
	// MaxDim is the largest homological dimension computed (0, 1, 2, …).
	MaxDim int
	// Threshold is the largest filtration value of a simplex in the complex.
	// It must be > 0; +Inf means the full complex (the enclosing radius is
	// used in its place).
	Threshold float64
	// VertexBirth, if not nil, holds one finite birth value per point.
	// A vertex born after Threshold is not in the complex.
	VertexBirth []float64
	// MaxBytes bounds the worst-case memory estimate of the computation,
	// made from the exact edge count at the threshold before anything large
	// is allocated (see ErrTooLarge); 0 means DefaultMaxBytes and a negative
	// value disables the check.
	MaxBytes int64
}

// ErrTooLarge is wrapped by the error returned when the memory estimate of
// a problem exceeds Options.MaxBytes.
var ErrTooLarge = errors.New("ph: problem too large")

// VietorisRips computes the persistence diagram of the Vietoris–Rips
// filtration of n points in R^dim with Euclidean distances. points is
// row-major: point i is points[i*dim : (i+1)*dim].
//
// It returns an error, and no diagram, when len(points) != n*dim, when n < 2,
// when a coordinate is NaN or ±Inf (the error names the point), when the
// options are invalid (see Options), or when the estimated memory exceeds
// Options.MaxBytes (wrapping ErrTooLarge).
func VietorisRips(points []float64, n, dim int, opts Options) (Diagram, error) {
	if n < 0 || dim < 1 || len(points) != n*dim {
		return Diagram{}, fmt.Errorf("ph: %d coordinates for %d points of dimension %d", len(points), n, dim)
	}
	if err := checkCount(n); err != nil {
		return Diagram{}, err
	}
	if err := checkFinite(points, n, dim); err != nil {
		return Diagram{}, err
	}
	return compute(n, euclidean(points, dim), opts)
}

// checkFinite returns an error naming the first point with a NaN or ±Inf
// coordinate.
func checkFinite(points []float64, n, dim int) error {
	for i := 0; i < n; i++ {
		for c, x := range points[i*dim : (i+1)*dim] {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return fmt.Errorf("ph: point %d has non-finite coordinate %v in column %d", i, x, c)
			}
		}
	}
	return nil
}

// euclidean is the distance function of the row-major points of dimension
// dim: ‖xᵢ − xⱼ‖₂, summed over coordinates in order.
func euclidean(points []float64, dim int) func(i, j int) float64 {
	return func(i, j int) float64 {
		a := points[i*dim : (i+1)*dim]
		b := points[j*dim : (j+1)*dim]
		b = b[:len(a)]
		var s float64
		for k, x := range a {
			t := x - b[k]
			s += t * t
		}
		return math.Sqrt(s)
	}
}

// VietorisRipsDistances is VietorisRips for an n×n row-major distance
// matrix d. d must be symmetric with a zero diagonal and non-negative
// off-diagonal entries; +Inf off the diagonal means "no edge". The errors
// name the offending entry.
func VietorisRipsDistances(d []float64, n int, opts Options) (Diagram, error) {
	if n < 0 || len(d) != n*n {
		return Diagram{}, fmt.Errorf("ph: %d entries for a %d×%d distance matrix", len(d), n, n)
	}
	if err := checkCount(n); err != nil {
		return Diagram{}, err
	}
	for i := 0; i < n; i++ {
		if d[i*n+i] != 0 {
			return Diagram{}, fmt.Errorf("ph: distance matrix entry (%d,%d) = %v on the diagonal, want 0 (use Options.VertexBirth for vertex values)", i, i, d[i*n+i])
		}
		for j := 0; j < i; j++ {
			x := d[i*n+j]
			if math.IsNaN(x) || x < 0 {
				return Diagram{}, fmt.Errorf("ph: distance matrix entry (%d,%d) = %v is not a distance", i, j, x)
			}
			if x != d[j*n+i] {
				return Diagram{}, fmt.Errorf("ph: distance matrix is not symmetric: (%d,%d) = %v but (%d,%d) = %v", i, j, x, j, i, d[j*n+i])
			}
		}
	}
	return compute(n, func(i, j int) float64 { return d[i*n+j] }, opts)
}

func checkCount(n int) error {
	switch {
	case n == 0:
		return errors.New("ph: an empty cloud has no persistent homology")
	case n == 1:
		return errors.New("ph: a cloud of one point has no Vietoris–Rips edges; need at least 2 points")
	case n > math.MaxInt32:
		return fmt.Errorf("ph: %d points exceed the %d supported", n, math.MaxInt32)
	}
	return nil
}

func (o Options) validate(n int) error {
	if o.MaxDim < 0 {
		return fmt.Errorf("ph: negative MaxDim %d", o.MaxDim)
	}
	if math.IsNaN(o.Threshold) || o.Threshold <= 0 {
		return fmt.Errorf("ph: threshold %v must be > 0 (use +Inf for the full complex)", o.Threshold)
	}
	if o.VertexBirth != nil {
		if len(o.VertexBirth) != n {
			return fmt.Errorf("ph: %d vertex births for %d points", len(o.VertexBirth), n)
		}
		for i, b := range o.VertexBirth {
			if math.IsNaN(b) || math.IsInf(b, 0) {
				return fmt.Errorf("ph: vertex birth of point %d is %v, want a finite value", i, b)
			}
		}
	}
	// Every simplex index of dimension ≤ MaxDim+1 must fit in an int64:
	// the largest is below C(n, MaxDim+2).
	if c := binomialFloat(n, o.MaxDim+2); c > 1<<62 {
		return fmt.Errorf("ph: %d points are too many for MaxDim %d: simplex indices C(%d,%d) ≈ %.3g overflow int64", n, o.MaxDim, n, o.MaxDim+2, c)
	}
	return nil
}

func binomialFloat(n, k int) float64 {
	c := 1.0
	for i := 0; i < k; i++ {
		c *= float64(n-i) / float64(i+1)
	}
	return c
}

// keptEdge is an edge {i, j}, i > j, of filtration value d.
type keptEdge struct {
	i, j int32
	d    float64
}

// maxKeptEdges bounds the edges kept from the first pass (64 MiB).
const maxKeptEdges = 1 << 22

// forceLayout overrides the choice of distance structure in tests:
// 1 dense, 2 sparse.
var forceLayout int

// compute builds the filtration from the pairwise distance function and runs
// the reduction. dist is symmetric and only called with i != j.
func compute(n int, dist func(i, j int) float64, opts Options) (Diagram, error) {
	if err := opts.validate(n); err != nil {
		return Diagram{}, err
	}
	births := opts.VertexBirth
	value := dist
	if births != nil {
		value = func(i, j int) float64 {
			return max(dist(i, j), births[i], births[j])
		}
	}

	// Pass 1: enclosing radius, and degrees at the requested threshold.
	// While they are few (a sparse complex), the edges under the threshold
	// are kept so that the neighbour lists need no second pass.
	pairsTotal := n * (n - 1) / 2
	keepMax := min(pairsTotal/3, maxKeptEdges)
	var kept []keptEdge
	keeping := true
	rowMax := make([]float64, n)
	for i := range rowMax {
		rowMax[i] = math.Inf(-1)
	}
	// An edge of value +Inf is never in the complex, even at threshold +Inf.
	limit := min(opts.Threshold, math.MaxFloat64)
	deg := make([]int32, n)
	edges := 0
	for i := 1; i < n; i++ {
		ri := rowMax[i]
		for j := 0; j < i; j++ {
			d := value(i, j)
			ri = max(ri, d)
			rowMax[j] = max(rowMax[j], d)
			if d <= limit {
				deg[i]++
				deg[j]++
				edges++
				if keeping {
					if len(kept) == keepMax {
						keeping, kept = false, nil
					} else {
						kept = append(kept, keptEdge{int32(i), int32(j), d})
					}
				}
			}
		}
		rowMax[i] = ri
	}
	enclosing := slices.Min(rowMax)
	threshold := min(opts.Threshold, enclosing)

	// Pass 2, when the enclosing radius is smaller: degrees at it.
	if threshold < limit {
		limit = threshold
		clear(deg)
		edges = 0
		if keeping {
			w := 0
			for _, e := range kept {
				if e.d <= limit {
					deg[e.i]++
					deg[e.j]++
					kept[w] = e
					w++
				}
			}
			kept = kept[:w]
			edges = w
		} else {
			for i := 1; i < n; i++ {
				for j := 0; j < i; j++ {
					if value(i, j) <= limit {
						deg[i]++
						deg[j]++
						edges++
					}
				}
			}
		}
	}
	sparse := 3*edges < pairsTotal
	switch forceLayout {
	case 1:
		sparse = false
	case 2:
		sparse = true
	}

	maxBytes := opts.MaxBytes
	if maxBytes == 0 {
		maxBytes = DefaultMaxBytes
	}
	if est := estimateBytes(n, edges, deg, sparse, opts.MaxDim); maxBytes > 0 && est > float64(maxBytes) {
		return Diagram{}, fmt.Errorf("%w: %d points at threshold %g give %d edges and an estimated %s of memory (limit %s); subsample or lower the threshold",
			ErrTooLarge, n, threshold, edges, FormatBytes(est), FormatBytes(float64(maxBytes)))
	}

	r := newRips(n, opts.MaxDim, limit, births)
	switch {
	case sparse && keeping:
		r.buildSparseFromEdges(kept, deg, edges)
		kept = nil
	case sparse:
		r.buildSparse(value, deg, edges)
	default:
		r.buildDense(value)
	}
	deg = nil
	r.computeBarcodes()

	out := r.pairs
	slices.SortFunc(out, comparePairs)
	return Diagram{Pairs: out, Threshold: threshold, EnclosingRadius: enclosing, Edges: edges, Sparse: sparse}, nil
}

func comparePairs(a, b Pair) int {
	switch {
	case a.Dim != b.Dim:
		return a.Dim - b.Dim
	case a.Birth < b.Birth:
		return -1
	case a.Birth > b.Birth:
		return 1
	case a.Death < b.Death:
		return -1
	case a.Death > b.Death:
		return 1
	}
	return 0
}

// estimateBytes is a worst-case estimate of the memory of the reduction: the
// distance structure, the edge list, and for each dimension d in 2…MaxDim the
// d-simplices (bounded by Σ_v C(deg v, d)/(d+1)) held as columns and pivots.
// It ignores the fill-in of the reduction matrix.
func estimateBytes(n, edges int, deg []int32, sparse bool, maxDim int) float64 {
	var b float64
	if sparse {
		b = float64(n)*8 + float64(edges)*2*12
	} else {
		b = float64(n) * float64(n-1) / 2 * 8
	}
	b += float64(edges) * 16 * 2 // edge list and dimension-1 columns
	if maxDim >= 1 {
		b += float64(edges) * 24 // pivots of dimension 1
	}
	for d := 2; d <= maxDim; d++ {
		var s float64
		for _, k := range deg {
			s += binomialFloat(int(k), d)
		}
		s /= float64(d + 1)
		b += s * (16 + 24)
		if d < maxDim {
			b += s * 16 // kept to enumerate the next dimension
		}
	}
	return b
}

// FormatBytes formats a byte count as VietorisRips's errors do: "1.5 GiB",
// "12.0 MiB", "98 KiB".
func FormatBytes(b float64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", b/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", b/(1<<20))
	}
	return fmt.Sprintf("%.0f KiB", b/(1<<10))
}
