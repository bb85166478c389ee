// Package classgeom computes the geometry of labelled representations: the
// coding rate reduction of Yu et al. (2020), the centroid nuclear norm of
// Yerxa et al. (2023), per-class spectra, principal angles between class
// subspaces and Bures–Wasserstein distances between class Gaussians.
//
// Everything is computed from a Summary: per label, the row count, the
// column mean and the centred scatter matrix, which merge exactly across row
// shards (Chan, Golub & LeVeque 1979). A Summary is the accumulator of a
// combine; Geometry is computed once from the merged Summary:
//
//	CreateAccumulator  &Summary{NormalizeRows: normalize}
//	AddInput           acc.AddRows(labels, block.Data, block.Cols)  (a block at a time)
//	MergeAccumulators  acc.Merge(other)  (associative and commutative up to rounding)
//	ExtractOutput      acc.Geometry(Options{Eps: eps, SubspaceRank: r})
//
// An accumulator holds k·(d + d(d+1)/2) float64 for k labels and d columns
// (170 KB for 10 classes at d = 64, 25 MB at d = 784), independent of the
// row count. The values Geometry returns do not depend on the sharding or
// the merge order beyond rounding (1e-11 relative on the digits data).
//
// The package is a pure kernel: it never imports Beam.
package classgeom

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

// MaxColumns is the largest column count d a Summary accepts. Each class
// keeps d(d+1)/2 float64 (the packed scatter): 64 MiB per class at 4,096
// columns. Geometry costs O(k·d³) for k classes (one symmetric
// eigendecomposition per class). Beyond this limit, the exact scatter should
// give way to a mergeable sketch of each class's centred rows (Frequent
// Directions, Liberty 2013, or one global seeded Gaussian projection to
// l ≪ d columns, as lowdim's randomized SVD does), with the sketch's error
// bound reported beside every value; this package does not do that.
const MaxColumns = 4096

// ClassSummary is the exact summary of the rows of one class:
//
//	Count m = number of rows,  Mean μ = (1/m) Σ x,  M = Σ (x − μ)(x − μ)ᵀ,
//
// the sums running over the class's rows x ∈ Rᵈ. Scatter holds the upper
// triangle of the symmetric d×d matrix M packed by rows:
// M[i][j] (i ≤ j) is Scatter[i·d − i(i−1)/2 + (j−i)], d(d+1)/2 entries.
type ClassSummary struct {
	Label   string
	Count   int
	Mean    []float64
	Scatter []float64
}

// Summary holds one ClassSummary per label, in label order (see SortLabels).
// The zero value is an empty summary whose column count is set by the first
// rows added or merged. Its fields are exported so that it can serve as a
// Beam accumulator; change them only through AddRows and Merge.
//
// With NormalizeRows, every row is scaled to unit Euclidean norm before it is
// summarised (as MCR² and MMCR project features onto the sphere); an all-zero
// row stays zero.
type Summary struct {
	Dim           int
	NormalizeRows bool
	Classes       []ClassSummary
}

// packedLen returns d(d+1)/2, the length of a packed d×d upper triangle.
func packedLen(d int) int { return d * (d + 1) / 2 }

// Samples returns the total row count m = Σⱼ mⱼ.
func (s *Summary) Samples() int {
	var m int
	for _, c := range s.Classes {
		m += c.Count
	}
	return m
}

// Labels returns the labels in order.
func (s *Summary) Labels() []string {
	out := make([]string, len(s.Classes))
	for i, c := range s.Classes {
		out[i] = c.Label
	}
	return out
}

// checkDim reports whether rows of d columns may be added to s: s is empty
// with no column count yet, or has d columns.
func (s *Summary) checkDim(d int) error {
	if d < 1 || d > MaxColumns {
		return fmt.Errorf("classgeom: %d columns, want 1 to %d", d, MaxColumns)
	}
	if s.Dim != d && (s.Dim != 0 || len(s.Classes) != 0) {
		return fmt.Errorf("classgeom: %d columns, the summary has %d", d, s.Dim)
	}
	return nil
}

// AddRows adds the rows of a row-major block with cols columns,
// rows[i*cols : (i+1)*cols] labelled labels[i]. The rows of each label in the
// block are summarised by two passes (block mean, then the scatter of the
// rows centred on it, by linalg.MulTransTallSkinny, which splits large blocks
// across the goroutines parallel.Reserve grants with a result independent of their number)
// and merged into the label's summary by Merge's formula. AddRows does not
// modify rows.
// AddRows returns an error, and changes nothing, when the block's shape does
// not match, cols is outside 1..MaxColumns or differs from the summary's, or
// a value is not finite.
func (s *Summary) AddRows(labels []string, rows []float64, cols int) error {
	if err := s.checkDim(cols); err != nil {
		return err
	}
	if len(rows) != len(labels)*cols {
		return fmt.Errorf("classgeom: %d values for %d rows of %d columns", len(rows), len(labels), cols)
	}
	for i, v := range rows {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("classgeom: row %d column %d is %v", i/cols, i%cols, v)
		}
	}
	s.Dim = cols
	groups := make(map[string][]int)
	var order []string
	for i, l := range labels {
		if _, ok := groups[l]; !ok {
			order = append(order, l)
		}
		groups[l] = append(groups[l], i)
	}
	var block []float64
	for _, l := range order {
		idx := groups[l]
		block = slices.Grow(block[:0], len(idx)*cols)[:len(idx)*cols]
		for k, i := range idx {
			copy(block[k*cols:(k+1)*cols], rows[i*cols:(i+1)*cols])
		}
		if s.NormalizeRows {
			normalizeRows(block, cols)
		}
		s.mergeClass(summarize(l, block, cols))
	}
	s.sortClasses()
	return nil
}

// normalizeRows scales each row of the row-major block to unit norm, leaving
// zero rows zero.
func normalizeRows(block []float64, cols int) {
	for r := 0; r < len(block); r += cols {
		row := block[r : r+cols]
		n := mat.Norm(mat.NewVecDense(cols, row), 2)
		if n == 0 {
			continue
		}
		for j := range row {
			row[j] /= n
		}
	}
}

// summarize returns the exact summary of the rows of block (row-major, cols
// columns) by two passes: the mean, then the scatter of the centred rows.
// It centres block in place.
func summarize(label string, block []float64, cols int) ClassSummary {
	n := len(block) / cols
	mean := make([]float64, cols)
	for r := 0; r < len(block); r += cols {
		for j, v := range block[r : r+cols] {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(n)
	}
	for r := 0; r < len(block); r += cols {
		row := block[r : r+cols]
		for j := range row {
			row[j] -= mean[j]
		}
	}
	var scatter mat.Dense
	centred := mat.NewDense(n, cols, block)
	linalg.MulTransTallSkinny(&scatter, centred, centred)
	return ClassSummary{Label: label, Count: n, Mean: mean, Scatter: packUpper(&scatter)}
}

// packUpper returns the upper triangle of the square a packed by rows.
func packUpper(a mat.Matrix) []float64 {
	d, _ := a.Dims()
	out := make([]float64, 0, packedLen(d))
	for i := range d {
		for j := i; j < d; j++ {
			out = append(out, a.At(i, j))
		}
	}
	return out
}

// unpack returns the symmetric d×d matrix whose upper triangle is packed by
// rows in p.
func unpack(p []float64, d int) *mat.SymDense {
	out := mat.NewSymDense(d, nil)
	k := 0
	for i := range d {
		for j := i; j < d; j++ {
			out.SetSym(i, j, p[k])
			k++
		}
	}
	return out
}

// Merge adds the rows summarised by o to s, class by class. For a label in
// both, with counts mₐ, m_b, means μₐ, μ_b and scatters Mₐ, M_b, the merged
// summary is (Chan, Golub & LeVeque 1979, eq. 2.1, in matrix form)
//
//	m = mₐ + m_b,  δ = μ_b − μₐ,  μ = μₐ + (m_b/m) δ,
//	M = Mₐ + M_b + (mₐ m_b/m) δδᵀ,
//
// which is exact in exact arithmetic, so the result does not depend on how
// the rows were split or in which order the parts are merged (up to
// rounding). Merge copies what it takes from o and never aliases it. It
// returns an error, and changes nothing, when the column counts or
// NormalizeRows differ, or o is malformed.
func (s *Summary) Merge(o *Summary) error {
	if len(o.Classes) == 0 {
		return nil
	}
	if s.NormalizeRows != o.NormalizeRows {
		return errors.New("classgeom: merging summaries with and without NormalizeRows")
	}
	if err := s.checkDim(o.Dim); err != nil {
		return err
	}
	if err := o.check(); err != nil {
		return err
	}
	s.Dim = o.Dim
	for _, c := range o.Classes {
		s.mergeClass(ClassSummary{
			Label:   c.Label,
			Count:   c.Count,
			Mean:    slices.Clone(c.Mean),
			Scatter: slices.Clone(c.Scatter),
		})
	}
	s.sortClasses()
	return nil
}

// check reports whether every class of s has the shape of Dim columns, a
// positive count and distinct labels.
func (s *Summary) check() error {
	seen := make(map[string]bool, len(s.Classes))
	for _, c := range s.Classes {
		if c.Count < 1 || len(c.Mean) != s.Dim || len(c.Scatter) != packedLen(s.Dim) {
			return fmt.Errorf("classgeom: class %q: count %d, %d means and %d scatter entries for %d columns",
				c.Label, c.Count, len(c.Mean), len(c.Scatter), s.Dim)
		}
		if seen[c.Label] {
			return fmt.Errorf("classgeom: label %q appears twice", c.Label)
		}
		seen[c.Label] = true
	}
	return nil
}

// mergeClass merges c into the class of the same label, or appends it, taking
// ownership of c's slices.
func (s *Summary) mergeClass(c ClassSummary) {
	i := slices.IndexFunc(s.Classes, func(x ClassSummary) bool { return x.Label == c.Label })
	if i < 0 {
		s.Classes = append(s.Classes, c)
		return
	}
	a := &s.Classes[i]
	m := a.Count + c.Count
	wb := float64(c.Count) / float64(m)
	w := float64(a.Count) * wb // mₐ m_b / m
	delta := make([]float64, s.Dim)
	for j := range delta {
		delta[j] = c.Mean[j] - a.Mean[j]
	}
	k := 0
	for i := range s.Dim {
		for j := i; j < s.Dim; j++ {
			a.Scatter[k] += c.Scatter[k] + w*delta[i]*delta[j]
			k++
		}
	}
	for j := range a.Mean {
		a.Mean[j] += wb * delta[j]
	}
	a.Count = m
}

func (s *Summary) sortClasses() {
	numeric := allIntegers(s.Classes)
	slices.SortFunc(s.Classes, func(a, b ClassSummary) int { return compareLabels(a.Label, b.Label, numeric) })
}

// SortLabels sorts labels into the order Summary keeps its classes in: by
// integer value when every label parses as a base-10 int64
// (strconv.ParseInt, so "-2" < "9" < "10"; equal values such as "7" and "07"
// by their bytes), otherwise by their bytes (strings.Compare). The order
// depends only on the set of labels, never on the order rows arrive in.
func SortLabels(labels []string) {
	numeric := true
	for _, l := range labels {
		if _, err := strconv.ParseInt(l, 10, 64); err != nil {
			numeric = false
			break
		}
	}
	slices.SortFunc(labels, func(a, b string) int { return compareLabels(a, b, numeric) })
}

func allIntegers(cs []ClassSummary) bool {
	for _, c := range cs {
		if _, err := strconv.ParseInt(c.Label, 10, 64); err != nil {
			return false
		}
	}
	return true
}

func compareLabels(a, b string, numeric bool) int {
	if numeric {
		x, _ := strconv.ParseInt(a, 10, 64)
		y, _ := strconv.ParseInt(b, 10, 64)
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return strings.Compare(a, b)
}

// ScatterMatrix returns the class's centred scatter M = Σ (x − μ)(x − μ)ᵀ as
// a new d×d matrix.
func (c *ClassSummary) ScatterMatrix() *mat.SymDense {
	return unpack(c.Scatter, len(c.Mean))
}

// Gram returns the class's uncentred Gram matrix ZᵀZ = M + m μμᵀ, Z the
// m×d matrix of its rows, as a new d×d matrix.
func (c *ClassSummary) Gram() *mat.SymDense {
	g := c.ScatterMatrix()
	g.SymRankOne(g, float64(c.Count), mat.NewVecDense(len(c.Mean), c.Mean))
	return g
}
