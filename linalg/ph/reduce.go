package ph

import (
	"math"
	"slices"
)

// heap is a d-ary min-heap of entries in the order before (Ripser's
// working columns are binary heaps too; 4-ary measured no faster here).
type heap []entry

// heapArity is the number of children of a heap node.
const heapArity = 2

func (h *heap) push(e entry) {
	s := append(*h, e)
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / heapArity
		if !before(e, s[p]) {
			break
		}
		s[i] = s[p]
		i = p
	}
	s[i] = e
	*h = s
}

func (h *heap) pop() entry {
	s := *h
	top := s[0]
	n := len(s) - 1
	e := s[n]
	s = s[:n]
	if n > 0 {
		// Floyd's pop: move the hole to a leaf along the smallest children
		// without comparing with e, which usually belongs near the bottom,
		// then sift e up from there.
		i := 0
		for {
			c := heapArity*i + 1
			if c >= n {
				break
			}
			m := c
			for k := c + 1; k < min(c+heapArity, n); k++ {
				if before(s[k], s[m]) {
					m = k
				}
			}
			s[i] = s[m]
			i = m
		}
		for i > 0 {
			p := (i - 1) / heapArity
			if !before(e, s[p]) {
				break
			}
			s[i] = s[p]
			i = p
		}
		s[i] = e
	}
	*h = s
	return top
}

// siftDown places e at position i or below.
func siftDown(s []entry, i int, e entry) {
	n := len(s)
	for {
		c := heapArity*i + 1
		if c >= n {
			break
		}
		m := c
		last := min(c+heapArity, n)
		for k := c + 1; k < last; k++ {
			if before(s[k], s[m]) {
				m = k
			}
		}
		if !before(s[m], e) {
			break
		}
		s[i] = s[m]
		i = m
	}
	s[i] = e
}

// heapify restores the heap order of the whole slice.
func (h heap) heapify() {
	if len(h) < 2 {
		return
	}
	for i := (len(h) - 2) / heapArity; i >= 0; i-- {
		siftDown(h, i, h[i])
	}
}

// popPivot removes and returns the first entry with a nonzero Z/2
// coefficient: equal indices cancel in pairs.
func (h *heap) popPivot() (entry, bool) {
	for len(*h) > 0 {
		p := h.pop()
		if len(*h) == 0 || (*h)[0].idx != p.idx {
			return p, true
		}
		h.pop()
	}
	return entry{}, false
}

// pivot returns the first entry with a nonzero coefficient and leaves it in
// the heap. Equal entries are adjacent in the heap order, so the top cancels
// exactly when the smallest of its children has its index: no pop and push
// when it does not.
func (h *heap) pivot() (entry, bool) {
	for len(*h) > 0 {
		s := *h
		top := s[0]
		m := -1
		for k := 1; k < min(heapArity+1, len(s)); k++ {
			if m < 0 || before(s[k], s[m]) {
				m = k
			}
		}
		if m < 0 || s[m].idx != top.idx {
			return top, true
		}
		h.pop()
		h.pop()
	}
	return entry{}, false
}

// compareBefore is the three-way comparison of the order before.
func compareBefore(a, b entry) int {
	switch {
	case before(a, b):
		return -1
	case before(b, a):
		return 1
	}
	return 0
}

// computeBarcodes runs dimension 0 and then the cohomology reduction of
// each dimension 1…maxDim, assembling the columns of dimension d+1 with
// clearing from the pivots of dimension d.
func (r *rips) computeBarcodes() {
	simplices, columns := r.dim0()
	if r.maxDim < 2 {
		simplices = nil
	}
	for dim := 1; dim <= r.maxDim; dim++ {
		pivots := make(map[int64]int32, len(columns))
		r.computePairs(columns, pivots, dim)
		if dim < r.maxDim {
			columns = r.assemble(&simplices, columns, pivots, dim+1)
		}
	}
}

type unionFind struct {
	parent []int32
	rank   []uint8
	birth  []float64
}

func (u *unionFind) find(x int32) int32 {
	for u.parent[x] != x {
		u.parent[x] = u.parent[u.parent[x]]
		x = u.parent[x]
	}
	return x
}

// dim0 computes the pairs of dimension 0 with the elder rule and returns
// the edges and, in reduction order, the edges that are not deaths of H0 nor
// in an apparent pair: the columns of dimension 1.
func (r *rips) dim0() (edges, columns []entry) {
	n := r.n
	edges = r.edges()
	slices.SortFunc(edges, compareBefore)
	u := unionFind{parent: make([]int32, n), rank: make([]uint8, n), birth: make([]float64, n)}
	for i := range u.parent {
		u.parent[i] = int32(i)
		if r.births != nil {
			u.birth[i] = r.births[i]
		}
	}
	for _, e := range edges {
		hi := r.maxVertex(e.idx, 2, n-1)
		lo := int32(e.idx - r.C(hi, 2))
		a, b := u.find(int32(hi)), u.find(lo)
		if a != b {
			// Elder rule: the younger component dies.
			if young := max(u.birth[a], u.birth[b]); e.diam > young {
				r.pairs = append(r.pairs, Pair{0, young, e.diam})
			}
			old := min(u.birth[a], u.birth[b])
			if u.rank[a] < u.rank[b] {
				a, b = b, a
			}
			u.parent[b] = a
			if u.rank[a] == u.rank[b] {
				u.rank[a]++
			}
			u.birth[a] = old
		} else if r.maxDim > 0 {
			if _, ok := r.zeroApparentCofacet(e, 1, []int32{lo, int32(hi)}, []float64{0, e.diam, e.diam, 0}); !ok {
				columns = append(columns, e)
			}
		}
	}
	slices.Reverse(columns)
	for i := int32(0); i < int32(n); i++ {
		if u.find(i) == i && u.birth[i] <= r.threshold {
			r.pairs = append(r.pairs, Pair{0, u.birth[i], math.Inf(1)})
		}
	}
	return edges, columns
}

// edges lists the edges with filtration value ≤ threshold.
func (r *rips) edges() []entry {
	var out []entry
	if r.sparse {
		out = make([]entry, 0, len(r.nbrIdx)/2)
		for i := 1; i < r.n; i++ {
			base := r.C(i, 2)
			for p := r.nbrStart[i]; p < r.nbrStart[i+1]; p++ {
				j := int(r.nbrIdx[p])
				if j >= i {
					break
				}
				out = append(out, entry{r.nbrDiam[p], base + int64(j)})
			}
		}
		return out
	}
	p := 0
	for i := 1; i < r.n; i++ {
		base := r.C(i, 2)
		for j := 0; j < i; j++ {
			if d := r.dense[p]; d <= r.threshold {
				out = append(out, entry{d, base + int64(j)})
			}
			p++
		}
	}
	return out
}

// reductionMatrix holds, for each reduced column, the simplices other than
// its own that were added to it (the off-diagonal part of V in R = δV).
type reductionMatrix struct {
	end     []int
	entries []entry
}

func (m *reductionMatrix) column(i int) []entry {
	start := 0
	if i > 0 {
		start = m.end[i-1]
	}
	return m.entries[start:m.end[i]]
}

// computePairs reduces the coboundary columns of the simplices in columns
// (dimension dim, in reduction order) and records the pairs of dimension
// dim (Bauer 2021: cohomology with clearing, emergent and apparent pairs). pivots maps
// the pivot (a (dim+1)-simplex) of each reduced column to the column.
func (r *rips) computePairs(columns []entry, pivots map[int64]int32, dim int) {
	var red reductionMatrix
	red.end = make([]int, 0, len(columns))
	for ci, col := range columns {
		red.end = append(red.end, len(red.entries))
		r.wrc = r.wrc[:0]
		r.wcb = r.wcb[:0]
		pivot, ok := r.initCoboundary(col, dim, pivots)
		for {
			if !ok {
				r.pairs = append(r.pairs, Pair{dim, col.diam, math.Inf(1)})
				break
			}
			if other, found := pivots[pivot.idx]; found {
				r.addSimplexCoboundary(columns[other], dim)
				for _, e := range red.column(int(other)) {
					r.addSimplexCoboundary(e, dim)
				}
				pivot, ok = r.wcb.pivot()
			} else if f, found := r.pivotApparentFacet(pivot, dim+1); found {
				// The pivot's column was skipped as an apparent pair: its
				// reduced column is its own coboundary.
				r.addSimplexCoboundary(f, dim)
				pivot, ok = r.wcb.pivot()
			} else {
				if pivot.diam > col.diam {
					r.pairs = append(r.pairs, Pair{dim, col.diam, pivot.diam})
				}
				pivots[pivot.idx] = int32(ci)
				for {
					e, ok := r.wrc.popPivot()
					if !ok {
						break
					}
					red.entries = append(red.entries, e)
				}
				break
			}
		}
		red.end[ci] = len(red.entries)
	}
}

// initCoboundary fills the working coboundary with the cofacets of s and
// returns its pivot. If the first cofacet has the diameter of s and is
// neither a pivot nor in an apparent pair, (s, cofacet) is an emergent pair
// (Bauer 2021) and it is returned at once with the coboundary left empty.
func (r *rips) initCoboundary(s entry, dim int, pivots map[int64]int32) (entry, bool) {
	check := true
	r.cofacets = r.cofacets[:0]
	c := &r.cob
	c.set(s, dim)
	for c.hasNext(true) {
		x := c.next()
		if x.diam > r.threshold {
			continue
		}
		r.cofacets = append(r.cofacets, x)
		if check && x.diam == s.diam {
			if _, found := pivots[x.idx]; !found {
				r.xVerts, r.xPd = c.cofacetGeometry(r.xVerts, r.xPd)
				if _, apparent := r.zeroApparentFacet(x, dim+1, r.xVerts, r.xPd); !apparent {
					return x, true
				}
			}
			check = false
		}
	}
	r.wcb = append(r.wcb, r.cofacets...)
	r.wcb.heapify()
	return r.wcb.pivot()
}

// pivotApparentFacet is zeroApparentFacet for a simplex known by its index.
func (r *rips) pivotApparentFacet(s entry, dim int) (entry, bool) {
	verts := r.decode(s, dim)
	return r.zeroApparentFacet(s, dim, verts, r.pivotPd)
}

// decode returns the vertices of s, of dimension dim, in a scratch slice,
// and leaves their pairwise edge values in r.pivotPd.
func (r *rips) decode(s entry, dim int) []int32 {
	r.pivotVerts = append(r.pivotVerts[:0], make([]int32, dim+1)...)
	r.vertices(s.idx, dim, r.pivotVerts)
	r.pivotPd = r.pairwise(r.pivotPd, r.pivotVerts)
	return r.pivotVerts
}

// addSimplexCoboundary adds s to the working reduction column and its
// coboundary to the working coboundary.
func (r *rips) addSimplexCoboundary(s entry, dim int) {
	r.wrc.push(s)
	c := &r.cob
	c.set(s, dim)
	for c.hasNext(true) {
		if x := c.next(); x.diam <= r.threshold {
			r.wcb.push(x)
		}
	}
}

// assemble returns the columns of dimension dim: the dim-simplices with
// filtration value ≤ threshold that are neither pivots of dimension dim−1
// (clearing) nor in an apparent pair, sorted by decreasing diameter and then
// increasing index. simplices holds the (dim−1)-simplices and is replaced by
// the dim-simplices when a higher dimension follows.
func (r *rips) assemble(simplices *[]entry, columns []entry, pivots map[int64]int32, dim int) []entry {
	columns = columns[:0]
	var next []entry
	c := &r.cob
	for _, s := range *simplices {
		c.set(s, dim-1)
		for c.hasNext(false) {
			x := c.next()
			if x.diam > r.threshold {
				continue
			}
			if dim != r.maxDim {
				next = append(next, x)
			}
			if _, cleared := pivots[x.idx]; cleared {
				continue
			}
			r.xVerts, r.xPd = c.cofacetGeometry(r.xVerts, r.xPd)
			if !r.inZeroApparentPair(x, dim, r.xVerts, r.xPd) {
				columns = append(columns, x)
			}
		}
	}
	if dim != r.maxDim {
		*simplices = next
	} else {
		*simplices = nil
	}
	slices.SortFunc(columns, func(a, b entry) int { return compareBefore(b, a) })
	return columns
}
