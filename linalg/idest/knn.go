package idest

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/lowdim/lowdim/internal/parallel"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

// KNN is the exact k-nearest-neighbour graph of the distinct rows of a point
// cloud, shared by the neighbourhood-based estimators of this package (an
// index of K neighbours serves every k ≤ K, since neighbours are sorted).
//
// Rows are deduplicated first (exact equality, −0 = 0, first-seen order, as
// MLE and TwoNN do), so every neighbour distance is positive. A point's
// neighbours exclude the point itself and are sorted by increasing Euclidean
// distance, ties by increasing index. Distances are computed directly,
// sqrt(Σₖ (xᵢₖ − xⱼₖ)²) summed in k order, on the rows as given; the Gram
// identity ‖a − b‖² = ‖a‖² + ‖b‖² − 2aᵀb on mean-centred rows only selects
// the candidates (see NewKNN), so its cancellation never reaches the output.
//
// Memory: the distinct rows (n·D floats) plus n·K distances (float64) and
// indices (int32): 12·n·K bytes, 120 MB for n = 100,000 and K = 100.
type KNN struct {
	k      int
	points *mat.Dense
	dist   []float64
	index  []int32
	rowOf  []int
}

// NewKNN returns the exact k-nearest-neighbour graph of the distinct rows of
// x, computed by workers goroutines (0 means parallel.Workers() (--cores)) over
// blocks of rows. The result does not depend on workers.
//
// Candidates are selected block by block from Gram tiles G = X_c·X_bᵀ of the
// centred rows (linalg.MulTallSkinny, O(n²·D) flops), keeping for point i
// every j whose Gram distance gᵢⱼ = ‖cᵢ‖² + ‖cⱼ‖² − 2cᵢᵀcⱼ is within a
// rounding slack of the current k-th smallest, the slack being a bound on
// the rounding error of gᵢⱼ and of the direct distance (Higham 2002, §3.1:
// |fl(aᵀb) − aᵀb| ≤ γ_D·|a|ᵀ|b|), 8(D+4)·ε·(‖cᵢ‖² + maxⱼ‖cⱼ‖²). The
// candidates' direct distances are then computed and sorted, so the k
// neighbours returned are exactly the k smallest direct distances.
//
// It returns an error if k < 1, workers < 0, x has a NaN or infinite entry,
// or x has at most k distinct rows. It needs n > k distinct rows and
// n < 2³¹.
func NewKNN(x mat.Matrix, k, workers int) (*KNN, error) {
	if k < 1 {
		return nil, fmt.Errorf("idest: kNN with k = %d: want k ≥ 1", k)
	}
	w, err := workerCount(workers)
	if err != nil {
		return nil, err
	}
	r, c := x.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if v := x.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("idest: kNN: entry (%d, %d) is %v", i, j, v)
			}
		}
	}
	points, rowOf := distinctRows(x)
	if points == nil || points.RawMatrix().Rows <= k {
		return nil, fmt.Errorf("idest: kNN with k = %d needs more than k distinct rows", k)
	}
	if points.RawMatrix().Rows >= math.MaxInt32 {
		return nil, errors.New("idest: kNN of 2³¹ or more rows")
	}
	g := &KNN{k: k, points: points, rowOf: rowOf}
	g.build(w)
	return g, nil
}

// K returns the number of neighbours of each point.
func (g *KNN) K() int { return g.k }

// Len returns the number of distinct rows, the points of the graph.
func (g *KNN) Len() int { return g.points.RawMatrix().Rows }

// Rows returns the number of rows of the matrix the graph was built from.
func (g *KNN) Rows() int { return len(g.rowOf) }

// Points returns the distinct rows (Len × D). It must not be modified.
func (g *KNN) Points() *mat.Dense { return g.points }

// DistinctRow returns the point (distinct row) that row r of the input equals.
func (g *KNN) DistinctRow(r int) int { return g.rowOf[r] }

// Neighbours returns the distances and the indices (into Points) of the K
// nearest neighbours of point i, nearest first. The slices are views into
// the graph and must not be modified.
func (g *KNN) Neighbours(i int) (dist []float64, index []int32) {
	return g.dist[i*g.k : (i+1)*g.k], g.index[i*g.k : (i+1)*g.k]
}

// ToRows expands per-point values (one per distinct row) to one value per row
// of the input: row r gets the value of the point it equals. It panics if
// len(perPoint) ≠ Len().
func (g *KNN) ToRows(perPoint []float64) []float64 {
	if len(perPoint) != g.Len() {
		panic(fmt.Sprintf("idest: %d values for %d points", len(perPoint), g.Len()))
	}
	out := make([]float64, len(g.rowOf))
	for r, p := range g.rowOf {
		out[r] = perPoint[p]
	}
	return out
}

// ToPoints is the inverse of ToRows: it returns one value per point, that
// of the point's first row, so that per-row values can be pooled over
// distinct points (as MLEPool and TwoNNFit pool MLEPoints and TwoNNRatios).
// It panics if len(perRow) ≠ Rows().
func (g *KNN) ToPoints(perRow []float64) []float64 {
	if len(perRow) != len(g.rowOf) {
		panic(fmt.Sprintf("idest: %d values for %d rows", len(perRow), len(g.rowOf)))
	}
	out := make([]float64, g.Len())
	next := 0 // points appear in first-seen order
	for r, p := range g.rowOf {
		if p == next {
			out[p] = perRow[r]
			next++
		}
	}
	return out
}

// distinctRows returns the distinct rows of x (exact equality, −0 = 0) in
// first-seen order, as dedupRows does, and for each row of x the index of
// its distinct row. It returns nil, nil for an empty x.
func distinctRows(x mat.Matrix) (*mat.Dense, []int) {
	n, d := x.Dims()
	if n == 0 || d == 0 {
		return nil, nil
	}
	first := make(map[string]int, n)
	rowOf := make([]int, n)
	var keep []float64
	row := make([]float64, d)
	key := make([]byte, 0, 8*d)
	for i := 0; i < n; i++ {
		mat.Row(row, i, x)
		key = key[:0]
		for _, v := range row {
			if v == 0 {
				v = 0 // −0 equals 0
			}
			b := math.Float64bits(v)
			key = append(key, byte(b), byte(b>>8), byte(b>>16), byte(b>>24), byte(b>>32), byte(b>>40), byte(b>>48), byte(b>>56))
		}
		p, ok := first[string(key)]
		if !ok {
			p = len(first)
			first[string(key)] = p
			keep = append(keep, row...)
		}
		rowOf[i] = p
	}
	return mat.NewDense(len(first), d, keep), rowOf
}

// workerCount resolves the workers argument: 0 means parallel.Workers()
// (--cores); parallelBlocks then takes what parallel.Reserve grants.
func workerCount(workers int) (int, error) {
	switch {
	case workers < 0:
		return 0, fmt.Errorf("idest: %d workers: want ≥ 0", workers)
	case workers == 0:
		return parallel.Workers(), nil
	}
	return workers, nil
}

// parallelBlocks calls work(lo, hi, w) for consecutive blocks [lo, hi) of
// [0, n) of size block, on workers goroutines (w is the goroutine number,
// for per-goroutine scratch). Blocks are handed out dynamically; callers
// write only to their block's part of the output, so the result does not
// depend on the schedule.
func parallelBlocks(n, block, workers int, work func(lo, hi, w int)) {
	blocks := (n + block - 1) / block
	workers, release := parallel.Reserve(max(1, min(workers, blocks)))
	defer release()
	var next atomic.Int64
	run := func(w int) {
		for {
			b := int(next.Add(1)) - 1
			if b >= blocks {
				return
			}
			work(b*block, min(n, (b+1)*block), w)
		}
	}
	if workers == 1 {
		run(0)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { run(w) })
	}
	wg.Wait()
}

// squaredDistance is Σₖ (aₖ − bₖ)², summed in k order: the one definition of
// distance in this package's neighbourhood estimators.
func squaredDistance(a, b []float64) float64 {
	b = b[:len(a)]
	var s float64
	for k, v := range a {
		d := v - b[k]
		s += d * d
	}
	return s
}

// gramTiler computes tiles of the Gram matrix of a set of rows: for a
// block of query rows [i0, i1) and a range of candidate rows [j0, j1), the
// (j1−j0)×(i1−i0) tile R_j·R_iᵀ, row j−j0 holding rⱼᵀrᵢ for i in the block.
// Each entry is one sequential (fused) sum over the columns, whatever the
// tiling (linalg.MulTallSkinny).
type gramTiler struct {
	rows  *mat.Dense // n×D
	sq    []float64  // ‖rᵢ‖²
	maxSq float64
	slack float64 // 8(D+4)ε: the slack of point i is slack·(sq[i] + maxSq)
}

func newGramTiler(rows *mat.Dense) *gramTiler {
	n, d := rows.Dims()
	t := &gramTiler{rows: rows, sq: make([]float64, n), slack: 8 * float64(d+4) * 0x1p-53}
	for i := 0; i < n; i++ {
		var s float64
		for _, v := range rows.RawRowView(i) {
			s += v * v
		}
		t.sq[i] = s
		t.maxSq = max(t.maxSq, s)
	}
	return t
}

// centred returns the rows of x minus their column means. Differences of
// centred rows differ from those of the rows by at most ε(|cᵢ| + |cⱼ|)
// entrywise (one rounding per subtraction), which the slack covers.
func centred(x *mat.Dense) *mat.Dense {
	n, d := x.Dims()
	mean := make([]float64, d)
	for i := 0; i < n; i++ {
		for j, v := range x.RawRowView(i) {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	c := mat.NewDense(n, d, nil)
	for i := 0; i < n; i++ {
		ci := c.RawRowView(i)
		for j, v := range x.RawRowView(i) {
			ci[j] = v - mean[j]
		}
	}
	return c
}

// pointSlack bounds |gᵢⱼ − d²ᵢⱼ| plus the rounding of the direct distance,
// for every j.
func (t *gramTiler) pointSlack(i int) float64 { return t.slack * (t.sq[i] + t.maxSq) }

// tileScratch is one goroutine's buffers for gramTiler.tile.
type tileScratch struct {
	queryT []float64 // D×B: the query block transposed
	tile   []float64 // C×B
}

// tile computes the (j1−j0)×(i1−i0) Gram tile into s and returns it,
// row-major with stride i1−i0. The block has at most gramQueryRows rows and
// the range at most gramTileRows.
func (t *gramTiler) tile(s *tileScratch, i0, i1, j0, j1 int) []float64 {
	_, d := t.rows.Dims()
	b, rows := i1-i0, j1-j0
	if s.tile == nil {
		s.queryT = make([]float64, d*gramQueryRows)
		s.tile = make([]float64, gramTileRows*gramQueryRows)
	}
	for i := i0; i < i1; i++ {
		for k, v := range t.rows.RawRowView(i) {
			s.queryT[k*b+i-i0] = v
		}
	}
	dst := mat.NewDense(rows, b, s.tile[:rows*b])
	linalg.MulTallSkinny(dst, t.rows.Slice(j0, j1, 0, d), mat.NewDense(d, b, s.queryT[:d*b]))
	return s.tile[:rows*b]
}

const (
	// gramQueryRows is the number of query rows per block (columns of a tile).
	gramQueryRows = 64
	// gramTileRows is the number of candidate rows per tile: a 2048×64 tile
	// is 1 MiB.
	gramTileRows = 2048
)

// candidate is a neighbour candidate: its Gram distance and index.
type candidate struct {
	g float64
	j int32
}

// selection collects, for one query point, every candidate whose Gram
// distance is at most the k-th smallest seen so far plus a slack.
type selection struct {
	cands []candidate
	limit float64 // k-th smallest Gram distance + slack; +Inf before k candidates
	k     int
	slack float64
	cap   int
	gs    []float64 // scratch of prune
}

func (s *selection) reset(k int, slack float64) {
	s.cands = s.cands[:0]
	s.limit = math.Inf(1)
	s.k = k
	s.slack = slack
	s.cap = max(4*k, 64)
}

func (s *selection) add(g float64, j int) {
	s.cands = append(s.cands, candidate{g, int32(j)})
	if len(s.cands) >= s.cap {
		s.prune()
		if len(s.cands) >= s.cap/2 {
			s.cap *= 2 // many near-ties within the slack
		}
	}
}

// prune drops the candidates beyond the k-th smallest Gram distance plus the
// slack (they cannot be among the k nearest) and lowers the limit.
func (s *selection) prune() {
	if len(s.cands) < s.k {
		return
	}
	s.gs = s.gs[:0]
	for _, c := range s.cands {
		s.gs = append(s.gs, c.g)
	}
	s.limit = kthSmallest(s.gs, s.k) + s.slack
	kept := s.cands[:0]
	for _, c := range s.cands {
		if c.g <= s.limit {
			kept = append(kept, c)
		}
	}
	s.cands = kept
}

// kthSmallest returns the k-th smallest (1-based) of v, reordering v.
func kthSmallest(v []float64, k int) float64 {
	lo, hi := 0, len(v)-1
	t := k - 1
	for lo < hi {
		p := v[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for v[i] < p {
				i++
			}
			for v[j] > p {
				j--
			}
			if i <= j {
				v[i], v[j] = v[j], v[i]
				i++
				j--
			}
		}
		switch {
		case t <= j:
			hi = j
		case t >= i:
			lo = i
		default:
			return v[t]
		}
	}
	return v[t]
}

// build fills the neighbour lists.
func (g *KNN) build(workers int) {
	n, _ := g.points.Dims()
	k := g.k
	g.dist = make([]float64, n*k)
	g.index = make([]int32, n*k)
	t := newGramTiler(centred(g.points))
	type scratch struct {
		tiles tileScratch
		sel   []selection
		exact []candidate
	}
	scr := make([]scratch, workers)
	parallelBlocks(n, gramQueryRows, workers, func(i0, i1, w int) {
		s := &scr[w]
		b := i1 - i0
		if len(s.sel) < b {
			s.sel = make([]selection, gramQueryRows)
		}
		sel := s.sel[:b]
		for q := range sel {
			sel[q].reset(k, t.pointSlack(i0+q))
		}
		for j0 := 0; j0 < n; j0 += gramTileRows {
			j1 := min(n, j0+gramTileRows)
			tile := t.tile(&s.tiles, i0, i1, j0, j1)
			for j := j0; j < j1; j++ {
				row := tile[(j-j0)*b : (j-j0+1)*b]
				sqj := t.sq[j]
				for q, dot := range row {
					gq := t.sq[i0+q] + sqj - 2*dot
					if gq > sel[q].limit || j == i0+q {
						continue
					}
					sel[q].add(gq, j)
				}
			}
		}
		for q := range sel {
			i := i0 + q
			sel[q].prune()
			xi := g.points.RawRowView(i)
			s.exact = s.exact[:0]
			for _, c := range sel[q].cands {
				s.exact = append(s.exact, candidate{squaredDistance(xi, g.points.RawRowView(int(c.j))), c.j})
			}
			slices.SortFunc(s.exact, func(a, b candidate) int {
				if c := cmp.Compare(a.g, b.g); c != 0 {
					return c
				}
				return cmp.Compare(a.j, b.j)
			})
			for m, c := range s.exact[:k] {
				g.dist[i*k+m] = math.Sqrt(c.g)
				g.index[i*k+m] = c.j
			}
		}
	})
}
