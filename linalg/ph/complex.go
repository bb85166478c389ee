package ph

import (
	"math"
)

// entry is a simplex of the filtration: its filtration value (diameter) and
// its index in the combinatorial number system, Σᵢ C(vᵢ, i+1) for vertices
// v₀ < v₁ < … . With Z/2 coefficients no coefficient is stored.
type entry struct {
	diam float64
	idx  int64
}

// before reports whether a comes before b in the coboundary order of Bauer
// (2021): smaller diameter first and, among equal diameters, larger
// index first. The pivot of a coboundary column is its first entry.
func before(a, b entry) bool {
	return a.diam < b.diam || (a.diam == b.diam && a.idx > b.idx)
}

// rips holds the filtration of a Vietoris–Rips complex and the state of the
// reduction. The distances it stores are filtration values of edges.
type rips struct {
	n         int
	maxDim    int
	threshold float64
	births    []float64

	binom   []int64 // binom[k*(n+1)+i] = C(i, k), 0 ≤ k ≤ maxDim+2, 0 ≤ i ≤ n
	bstride int

	sparse bool
	// dense: compressed lower-triangular matrix, d(i, j) for i > j at
	// i(i−1)/2 + j.
	dense []float64
	// sparse: neighbour lists, sorted by increasing vertex, of the edges
	// with filtration value ≤ threshold: nbrIdx[nbrStart[v]:nbrStart[v+1]].
	nbrStart []int
	nbrIdx   []int32
	nbrDiam  []float64

	// Enumerators: cob is used by the reduction, zcob and bnd only inside the
	// apparent-pair tests, which run while cob is in use.
	cob, zcob cobEnum
	bnd       bndEnum

	cofacets []entry
	wcb, wrc heap

	// Vertex scratch for the apparent-pair tests and the reduction.
	facetVerts, cofacetVerts, xVerts, pivotVerts []int32
	facetPd, cofacetPd, xPd, pivotPd             []float64 // working coboundary and working reduction column

	pairs []Pair
}

func newRips(n, maxDim int, threshold float64, births []float64) *rips {
	r := &rips{n: n, maxDim: maxDim, threshold: threshold, births: births, bstride: n + 1}
	kmax := maxDim + 2
	r.binom = make([]int64, (kmax+1)*(n+1))
	for i := 0; i <= n; i++ {
		r.binom[i] = 1 // C(i, 0)
		for k := 1; k <= kmax && k <= i; k++ {
			// C(i, k) = C(i−1, k−1) + C(i−1, k)
			r.binom[k*r.bstride+i] = r.binom[(k-1)*r.bstride+i-1] + r.binom[k*r.bstride+i-1]
		}
	}
	r.cob.init(r, maxDim+1)
	r.zcob.init(r, maxDim+1)
	r.bnd.init(r)
	return r
}

func (r *rips) C(i, k int) int64 { return r.binom[k*r.bstride+i] }

func (r *rips) buildDense(value func(i, j int) float64) {
	r.dense = make([]float64, r.n*(r.n-1)/2)
	p := 0
	for i := 1; i < r.n; i++ {
		for j := 0; j < i; j++ {
			r.dense[p] = value(i, j)
			p++
		}
	}
}

func (r *rips) buildSparse(value func(i, j int) float64, deg []int32, edges int) {
	r.sparse = true
	r.nbrStart = make([]int, r.n+1)
	for v, d := range deg {
		r.nbrStart[v+1] = r.nbrStart[v] + int(d)
	}
	r.nbrIdx = make([]int32, 2*edges)
	r.nbrDiam = make([]float64, 2*edges)
	fill := make([]int, r.n)
	copy(fill, r.nbrStart[:r.n])
	// Appending j < i to i's list while i increases, and i to j's list,
	// leaves every list sorted by vertex.
	for i := 1; i < r.n; i++ {
		for j := 0; j < i; j++ {
			if d := value(i, j); d <= r.threshold {
				r.nbrIdx[fill[i]], r.nbrDiam[fill[i]] = int32(j), d
				fill[i]++
				r.nbrIdx[fill[j]], r.nbrDiam[fill[j]] = int32(i), d
				fill[j]++
			}
		}
	}
}

// buildSparseFromEdges is buildSparse from the list of the edges under the
// threshold, in the order of the loops of buildSparse.
func (r *rips) buildSparseFromEdges(kept []keptEdge, deg []int32, edges int) {
	r.sparse = true
	r.nbrStart = make([]int, r.n+1)
	for v, d := range deg {
		r.nbrStart[v+1] = r.nbrStart[v] + int(d)
	}
	r.nbrIdx = make([]int32, 2*edges)
	r.nbrDiam = make([]float64, 2*edges)
	fill := make([]int, r.n)
	copy(fill, r.nbrStart[:r.n])
	for _, e := range kept {
		r.nbrIdx[fill[e.i]], r.nbrDiam[fill[e.i]] = e.j, e.d
		fill[e.i]++
		r.nbrIdx[fill[e.j]], r.nbrDiam[fill[e.j]] = e.i, e.d
		fill[e.j]++
	}
}

// dist returns the filtration value of the edge {i, j}, i != j, or +Inf when
// a sparse complex does not hold it.
func (r *rips) dist(i, j int) float64 {
	if r.sparse {
		lo, hi := r.nbrStart[i], r.nbrStart[i+1]
		t := int32(j)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if r.nbrIdx[m] < t {
				lo = m + 1
			} else {
				hi = m
			}
		}
		if lo < r.nbrStart[i+1] && r.nbrIdx[lo] == t {
			return r.nbrDiam[lo]
		}
		return math.Inf(1)
	}
	if i < j {
		i, j = j, i
	}
	return r.dense[i*(i-1)/2+j]
}

// maxVertex returns the largest v ≤ top with C(v, k) ≤ idx (Bauer 2021),
// by binary search.
func (r *rips) maxVertex(idx int64, k, top int) int {
	row := r.binom[k*r.bstride:]
	if row[top] > idx {
		count := top - (k - 1)
		for count > 0 {
			step := count >> 1
			mid := top - step
			if row[mid] > idx {
				top = mid - 1
				count -= step + 1
			} else {
				count = step
			}
		}
	}
	return top
}

// vertices writes the dim+1 vertices of simplex idx to out in increasing
// order.
func (r *rips) vertices(idx int64, dim int, out []int32) {
	v := r.n - 1
	for k := dim + 1; k > 1; k-- {
		v = r.maxVertex(idx, k, v)
		out[k-1] = int32(v)
		idx -= r.C(v, k)
	}
	out[0] = int32(idx)
}

// cobEnum enumerates the cofacets of a simplex in decreasing order of index
// (Bauer 2021, "implicit matrix reduction"): inserting vertex j into {v₀ < … < v_d}
// shifts the vertices above j up one position in the number system.
type cobEnum struct {
	r                  *rips
	idxBelow, idxAbove int64
	j, k               int
	diam               float64
	verts              []int32
	// pd holds the pairwise edge values of verts when pdOK.
	pd   []float64
	pdOK bool
	wd   []float64
	// sparse: one cursor per vertex into its neighbour list, walking down.
	it, end []int
	nbr     int
	nbrDiam float64
}

func (e *cobEnum) init(r *rips, maxVerts int) {
	e.r = r
	e.verts = make([]int32, 0, maxVerts)
	e.pd = make([]float64, 0, maxVerts*maxVerts)
	e.wd = make([]float64, maxVerts)
	e.it = make([]int, 0, maxVerts)
	e.end = make([]int, 0, maxVerts)
}

// set starts the enumeration of the cofacets of s, a simplex of dimension dim.
func (e *cobEnum) set(s entry, dim int) {
	e.verts = e.verts[:dim+1]
	e.r.vertices(s.idx, dim, e.verts)
	e.pdOK = false
	e.start(s, dim)
}

// setGeom is set for a simplex whose vertices and pairwise edge values
// (row-major, (dim+1)×(dim+1)) are known.
func (e *cobEnum) setGeom(s entry, dim int, verts []int32, pd []float64) {
	e.verts = append(e.verts[:0], verts...)
	e.pd = append(e.pd[:0], pd...)
	e.pdOK = true
	e.start(s, dim)
}

// cofacetGeometry writes the vertices and pairwise edge values of the
// cofacet last returned by next to dv and dpd. It must be called before the
// next call of hasNext.
func (e *cobEnum) cofacetGeometry(dv []int32, dpd []float64) ([]int32, []float64) {
	r := e.r
	m := len(e.verts)
	if !e.pdOK {
		e.pd = r.pairwise(e.pd, e.verts)
		e.pdOK = true
	}
	w := e.lastVertex()
	wd := e.wd[:m]
	if r.sparse {
		// The cursors still point at the new vertex in every list, except
		// the first, which next has moved past it.
		wd[0] = r.nbrDiam[e.it[0]+1]
		for a := 1; a < m; a++ {
			wd[a] = r.nbrDiam[e.it[a]]
		}
	} else {
		for a, v := range e.verts {
			wd[a] = r.dist(int(v), w)
		}
	}
	pos := 0
	for pos < m && int(e.verts[pos]) < w {
		pos++
	}
	dv = insertVertex(dv, e.verts, w)
	M := m + 1
	dpd = append(dpd[:0], make([]float64, M*M)...)
	for a := 0; a < m; a++ {
		na := a
		if a >= pos {
			na++
		}
		for b := 0; b < m; b++ {
			nb := b
			if b >= pos {
				nb++
			}
			dpd[na*M+nb] = e.pd[a*m+b]
		}
		dpd[na*M+pos], dpd[pos*M+na] = wd[a], wd[a]
	}
	return dv, dpd
}

// pairwise writes the pairwise edge values of verts to dst.
func (r *rips) pairwise(dst []float64, verts []int32) []float64 {
	m := len(verts)
	dst = append(dst[:0], make([]float64, m*m)...)
	for a := 0; a < m; a++ {
		for c := 0; c < a; c++ {
			d := r.dist(int(verts[a]), int(verts[c]))
			dst[a*m+c], dst[c*m+a] = d, d
		}
	}
	return dst
}

// lastVertex returns the vertex added by the last cofacet returned by next.
func (e *cobEnum) lastVertex() int {
	if e.r.sparse {
		return e.nbr
	}
	return e.j + 1
}

func (e *cobEnum) start(s entry, dim int) {
	r := e.r
	e.idxBelow, e.idxAbove = s.idx, 0
	e.j, e.k = r.n-1, dim+1
	e.diam = s.diam
	if r.sparse {
		e.it, e.end = e.it[:dim+1], e.end[:dim+1]
		for m, v := range e.verts {
			e.it[m] = r.nbrStart[v+1] - 1
			e.end[m] = r.nbrStart[v] - 1
		}
	}
}

// hasNext reports whether a cofacet remains. With all false only the
// cofacets whose new vertex is larger than every vertex of the simplex are
// enumerated, so that each simplex is generated from one facet only.
func (e *cobEnum) hasNext(all bool) bool {
	r := e.r
	if !r.sparse {
		return e.j >= e.k && (all || r.C(e.j, e.k) > e.idxBelow)
	}
	// Intersect the neighbour lists of all vertices, walking down.
	nbrIdx, nbrDiam := r.nbrIdx, r.nbrDiam
outer:
	for ; e.it[0] > e.end[0]; e.it[0]-- {
		cand := nbrIdx[e.it[0]]
		for m := 1; m < len(e.it); m++ {
			p := e.it[m]
			for nbrIdx[p] > cand {
				p--
				if p == e.end[m] {
					e.it[m] = p
					return false
				}
			}
			e.it[m] = p
			if nbrIdx[p] != cand {
				continue outer
			}
		}
		// cand is a neighbour of every vertex: the cofacet's new edges.
		cd := nbrDiam[e.it[0]]
		for _, p := range e.it[1:] {
			cd = max(cd, nbrDiam[p])
		}
		for e.k > 0 && int(e.verts[e.k-1]) > int(cand) {
			if !all {
				return false
			}
			v := int(e.verts[e.k-1])
			e.idxBelow -= r.C(v, e.k)
			e.idxAbove += r.C(v, e.k+1)
			e.k--
		}
		e.nbr, e.nbrDiam = int(cand), cd
		return true
	}
	return false
}

// next returns the next cofacet; hasNext must have returned true.
func (e *cobEnum) next() entry {
	r := e.r
	if r.sparse {
		e.it[0]--
		return entry{max(e.diam, e.nbrDiam), e.idxAbove + r.C(e.nbr, e.k+1) + e.idxBelow}
	}
	for r.C(e.j, e.k) <= e.idxBelow {
		e.idxBelow -= r.C(e.j, e.k)
		e.idxAbove += r.C(e.j, e.k+1)
		e.j--
		e.k--
	}
	d := e.diam
	j := e.j
	rowj := j * (j - 1) / 2
	for _, v := range e.verts {
		var x float64
		if int(v) < j {
			x = r.dense[rowj+int(v)]
		} else {
			x = r.dense[int(v)*(int(v)-1)/2+j]
		}
		d = max(d, x)
	}
	idx := e.idxAbove + r.C(j, e.k+1) + e.idxBelow
	e.j--
	return entry{d, idx}
}

// bndEnum enumerates the facets of a simplex in increasing order of index:
// removing the largest vertex first.
type bndEnum struct {
	r                  *rips
	idxBelow, idxAbove int64
	k, dim             int
	verts              []int32
	pd                 []float64 // pairwise edge values, pd[a*(dim+1)+b]

}

func (b *bndEnum) init(r *rips) { b.r = r }

// setGeom starts the enumeration of the facets of s, a simplex of
// dimension dim with vertices verts in increasing order and pairwise edge
// values pd, which must not change during the enumeration.
func (b *bndEnum) setGeom(s entry, dim int, verts []int32, pd []float64) {
	b.idxBelow, b.idxAbove = s.idx, 0
	b.k, b.dim = dim, dim
	b.verts = verts
	b.pd = pd
}

func (b *bndEnum) hasNext() bool { return b.k >= 0 }

// next returns the facet that omits vertex verts[k].
func (b *bndEnum) next() entry {
	r := b.r
	k := b.k
	v := int(b.verts[k])
	idx := b.idxAbove - r.C(v, k+1) + b.idxBelow
	b.idxBelow -= r.C(v, k+1)
	b.idxAbove += r.C(v, k)
	b.k--
	m := b.dim + 1
	d := math.Inf(-1)
	if b.dim == 1 {
		// The facets of an edge are vertices.
		d = 0
		if r.births != nil {
			d = r.births[b.verts[1-k]]
		}
	}
	for a := 0; a < m; a++ {
		if a == k {
			continue
		}
		for c := 0; c < a; c++ {
			if c != k {
				d = max(d, b.pd[a*m+c])
			}
		}
	}
	return entry{d, idx}
}

// The apparent-pair tests take the vertices (increasing) and the pairwise
// edge values (row-major) of the simplex, which the enumerators pass on, so
// that no simplex is decoded or looked up twice.

// zeroPivotFacet returns the facet of s (of dimension dim) with the same
// diameter and the smallest index: the pivot of s's boundary if it has zero
// persistence. omit is the position in verts of the vertex the facet lacks.
func (r *rips) zeroPivotFacet(s entry, dim int, verts []int32, pd []float64) (f entry, omit int, ok bool) {
	b := &r.bnd
	b.setGeom(s, dim, verts, pd)
	for b.hasNext() {
		omit = b.k
		f = b.next()
		if f.diam == s.diam {
			return f, omit, true
		}
	}
	return entry{}, 0, false
}

// zeroPivotCofacet returns the cofacet of s with the same diameter and the
// largest index: the pivot of s's coboundary if it has zero persistence.
// Its geometry is then available from r.zcob.cofacetGeometry.
func (r *rips) zeroPivotCofacet(s entry, dim int, verts []int32, pd []float64) (entry, bool) {
	e := &r.zcob
	e.setGeom(s, dim, verts, pd)
	for e.hasNext(true) {
		if x := e.next(); x.diam == s.diam {
			return x, true
		}
	}
	return entry{}, false
}

// zeroApparentFacet returns σ when (σ, s) is an apparent pair of zero
// persistence (Bauer 2021, "apparent pairs"): σ is the zero pivot facet of s and s the
// zero pivot cofacet of σ.
func (r *rips) zeroApparentFacet(s entry, dim int, verts []int32, pd []float64) (entry, bool) {
	f, omit, ok := r.zeroPivotFacet(s, dim, verts, pd)
	if !ok {
		return entry{}, false
	}
	r.facetVerts, r.facetPd = dropVertex(r.facetVerts, r.facetPd, verts, pd, omit)
	if c, ok := r.zeroPivotCofacet(f, dim-1, r.facetVerts, r.facetPd); ok && c.idx == s.idx {
		return f, true
	}
	return entry{}, false
}

// zeroApparentCofacet returns τ when (s, τ) is an apparent pair of zero
// persistence.
func (r *rips) zeroApparentCofacet(s entry, dim int, verts []int32, pd []float64) (entry, bool) {
	c, ok := r.zeroPivotCofacet(s, dim, verts, pd)
	if !ok {
		return entry{}, false
	}
	r.cofacetVerts, r.cofacetPd = r.zcob.cofacetGeometry(r.cofacetVerts, r.cofacetPd)
	if f, _, ok := r.zeroPivotFacet(c, dim+1, r.cofacetVerts, r.cofacetPd); ok && f.idx == s.idx {
		return c, true
	}
	return entry{}, false
}

func (r *rips) inZeroApparentPair(s entry, dim int, verts []int32, pd []float64) bool {
	if _, ok := r.zeroApparentCofacet(s, dim, verts, pd); ok {
		return true
	}
	_, ok := r.zeroApparentFacet(s, dim, verts, pd)
	return ok
}

// dropVertex writes the geometry of the facet of (verts, pd) without
// position k.
func dropVertex(dv []int32, dpd []float64, verts []int32, pd []float64, k int) ([]int32, []float64) {
	m := len(verts)
	dv = append(append(dv[:0], verts[:k]...), verts[k+1:]...)
	dpd = dpd[:0]
	for a := 0; a < m; a++ {
		if a == k {
			continue
		}
		for b := 0; b < m; b++ {
			if b != k {
				dpd = append(dpd, pd[a*m+b])
			}
		}
	}
	return dv, dpd
}

// insertVertex writes verts with w inserted in increasing order to dst.
func insertVertex(dst, verts []int32, w int) []int32 {
	dst = dst[:0]
	i := 0
	for i < len(verts) && int(verts[i]) < w {
		i++
	}
	dst = append(dst, verts[:i]...)
	dst = append(dst, int32(w))
	return append(dst, verts[i:]...)
}
