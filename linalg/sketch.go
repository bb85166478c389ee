package linalg

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// RowSketch summarises a block of rows of a matrix A (N×Cols) by a small stack
// S (StackRows×Cols) with SᵀS = AᵀA, or, when Centered, SᵀS = (A − 1μᵀ)ᵀ(A − 1μᵀ)
// with μ the column means. The singular values and right singular vectors of S
// are then those of A (of the centred A).
//
// Merging row shards is exact (design §4): if A = [A₁; A₂] then
// AᵀA = A₁ᵀA₁ + A₂ᵀA₂ = S₁ᵀS₁ + S₂ᵀS₂, so the stack [S₁; S₂] summarises A.
// A shard Aᵢ = UᵢΣᵢVᵢᵀ contributes the rows ΣᵢVᵢᵀ. Centred shards merge by
// Chan, Golub & LeVeque's parallel update in matrix form: with counts nₐ, n_b
// and means μₐ, μ_b the stack gains the extra row sqrt(nₐn_b/(nₐ+n_b))·(μ_b − μₐ).
//
// When a shard is summarised by a randomized SVD with l < rank, or the stack
// is truncated to Keep rows, SᵀS ≼ AᵀA and the dropped energy is added to
// TailSq, so that ‖S‖_F² + TailSq = FrobSq and, by Weyl's inequality,
// |σᵢ(A)² − σᵢ(S)²| ≤ ‖AᵀA − SᵀS‖₂ ≤ TailSq. (The sharper bound of design §4,
// Σ ‖Aᵢ − QᵢQᵢᵀAᵢ‖₂² ≈ Σ σ_{l+1}(Aᵢ)², also holds; TailSq uses the Frobenius
// residuals, which are computed exactly.)
//
// RowSketch has only exported fields so that it can serve as a Beam combiner
// accumulator and be serialised. The zero value and NewRowSketch's result are
// empty sketches and identities for Merge.
type RowSketch struct {
	Cols     int
	Rows     int64     // number of data rows summarised
	Centered bool      // whether the sketch describes the column-centred matrix
	Mean     []float64 // column means μ (when Centered)
	// FrobSq is Σ‖aᵢ‖² (Σ‖aᵢ − μ‖² when Centered), exact whatever the truncation.
	FrobSq    float64
	StackRows int
	Stack     []float64 // StackRows×Cols, row-major
	// Keep, if positive, lets compaction truncate the stack to Keep rows.
	Keep int
	// TailSq is the energy dropped so far: shard residuals ‖Aᵢ − QᵢQᵢᵀAᵢ‖_F²
	// plus the σ² removed by truncating compactions. It bounds ‖AᵀA − SᵀS‖₂.
	TailSq float64
	// Truncated reports whether any shard was summarised by fewer than
	// min(rows, Cols) components or a compaction dropped a non-zero σ.
	Truncated bool
}

// NewRowSketch returns an empty sketch of a matrix with cols columns. When
// centered is set the sketch describes the column-centred matrix. keep > 0
// allows compactions to truncate the stack to keep rows (see Merge).
func NewRowSketch(cols int, centered bool, keep int) *RowSketch {
	s := &RowSketch{Cols: cols, Centered: centered, Keep: keep}
	if centered {
		s.Mean = make([]float64, cols)
	}
	return s
}

// AddBlock summarises the rows of block (r×Cols) and merges them into s. When
// s is Centered the block is centred by its own column means first. The
// (centred) block is factorised by RandomizedSVD(block, opts) with K clamped
// to min(r, Cols) (which is the exact SVD when K+p ≥ min(r, Cols) or the
// block is tiny) and contributes the rows diag(σ)·Vᵀ and its residual
// ‖Aᵢ − QQᵀAᵢ‖_F² to TailSq.
//
// AddBlock returns an error if the block does not have Cols columns, if opts
// is invalid (K ≤ 0, Oversample < 0) or if an SVD fails to converge.
func (s *RowSketch) AddBlock(block *mat.Dense, opts RSVDOptions) error {
	r, c := block.Dims()
	if c != s.Cols {
		return fmt.Errorf("linalg: RowSketch.AddBlock: block has %d columns, sketch has %d", c, s.Cols)
	}
	if opts.K <= 0 {
		return fmt.Errorf("linalg: RowSketch.AddBlock: K = %d, want K > 0", opts.K)
	}
	if r == 0 {
		return nil
	}
	b := &RowSketch{Cols: c, Rows: int64(r), Centered: s.Centered, Keep: s.Keep}
	a := block
	if s.Centered {
		b.Mean = columnMeans(block)
		a = mat.DenseCopyOf(block)
		raw := a.RawMatrix()
		for i := range r {
			row := raw.Data[i*raw.Stride : i*raw.Stride+c]
			for j, mu := range b.Mean {
				row[j] -= mu
			}
		}
	}
	o := opts
	o.K = min(o.K, r, c)
	o.WantU = false
	f, err := RandomizedSVD(a, o)
	if err != nil {
		return err
	}
	b.FrobSq = f.FrobeniusSq
	if len(f.Sigma) < min(r, c) {
		b.Truncated = true
		b.TailSq = f.ResidualFrobenius * f.ResidualFrobenius
	}
	b.StackRows = len(f.Sigma)
	b.Stack = scaledTranspose(f.Sigma, f.V)
	return s.Merge(b)
}

// Merge sets s to the sketch of the rows of s and o together; o is not
// modified. It is associative and commutative up to rounding, and an empty
// sketch is its identity. For centred sketches the means, counts and stacks
// follow Chan et al.'s update: μ = (nₐμₐ + n_bμ_b)/n, FrobSq gains
// (nₐn_b/n)·‖μ_b − μₐ‖², and the stack gains the row sqrt(nₐn_b/n)·(μ_b − μₐ).
// The merged Keep is the smaller positive Keep of the two.
//
// When StackRows exceeds 2·bound, with bound = Keep if 0 < Keep < Cols else
// Cols, the stack is compacted to diag(σ)·Vᵀ by its SVD: keeping
// min(StackRows, Cols) rows is exact; truncating further to Keep rows adds the
// dropped σ² to TailSq.
//
// Merge returns an error if both sketches are non-empty and their Cols or
// Centered differ, or if the compaction SVD fails.
func (s *RowSketch) Merge(o *RowSketch) error {
	keep := mergeKeep(s.Keep, o.Keep)
	if s.Cols > 0 && o.Cols > 0 && (s.Cols != o.Cols || s.Centered != o.Centered) {
		return fmt.Errorf("linalg: RowSketch.Merge: incompatible sketches (%d columns, centred %t) and (%d columns, centred %t)",
			s.Cols, s.Centered, o.Cols, o.Centered)
	}
	if err := o.check(); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	s.Keep = keep
	if o.Rows == 0 {
		return nil
	}
	if s.Rows == 0 {
		s.Cols, s.Centered = o.Cols, o.Centered
		s.Rows, s.FrobSq, s.TailSq, s.Truncated = o.Rows, o.FrobSq, o.TailSq, o.Truncated
		s.Mean = append([]float64(nil), o.Mean...)
		s.StackRows = o.StackRows
		s.Stack = append([]float64(nil), o.Stack...)
		return s.compactIfLarge()
	}

	na, nb := float64(s.Rows), float64(o.Rows)
	n := na + nb
	stack := make([]float64, 0, (s.StackRows+o.StackRows+1)*s.Cols)
	stack = append(stack, s.Stack[:s.StackRows*s.Cols]...)
	stack = append(stack, o.Stack[:o.StackRows*o.Cols]...)
	rows := s.StackRows + o.StackRows
	if s.Centered {
		w := math.Sqrt(na * nb / n)
		mean := make([]float64, s.Cols)
		var deltaSq float64
		for j := range mean {
			d := o.Mean[j] - s.Mean[j]
			deltaSq += d * d
			stack = append(stack, w*d)
			mean[j] = (na*s.Mean[j] + nb*o.Mean[j]) / n
		}
		rows++
		s.Mean = mean
		s.FrobSq += na * nb / n * deltaSq
	}
	s.Rows += o.Rows
	s.FrobSq += o.FrobSq
	s.TailSq += o.TailSq
	s.Truncated = s.Truncated || o.Truncated
	s.StackRows, s.Stack = rows, stack
	return s.compactIfLarge()
}

// Spectrum returns the singular values σ (descending) and right singular
// vectors V (Cols×r, r = min(StackRows, Cols)) of the stack, which are those of
// the summarised (centred) matrix when the sketch is not Truncated. The
// entry of largest magnitude of each column of V is positive. s is not
// modified. Spectrum returns an error for an empty sketch or when the SVD
// fails to converge.
func (s *RowSketch) Spectrum() (sigma []float64, v *mat.Dense, err error) {
	if err := s.check(); err != nil {
		return nil, nil, err
	}
	if s.StackRows == 0 {
		return nil, nil, errors.New("linalg: RowSketch.Spectrum: empty sketch")
	}
	return s.stackSVD()
}

func (s *RowSketch) stackSVD() ([]float64, *mat.Dense, error) {
	var svd mat.SVD
	stack := mat.NewDense(s.StackRows, s.Cols, s.Stack[:s.StackRows*s.Cols])
	if !svd.Factorize(stack, mat.SVDThinV) {
		return nil, nil, errors.New("linalg: RowSketch: SVD of the stack did not converge")
	}
	v := new(mat.Dense)
	svd.VTo(v)
	canonicalSigns(v, nil)
	return svd.Values(nil), v, nil
}

// compactIfLarge replaces the stack by diag(σ)·Vᵀ when it has more than
// 2·bound rows, truncating to Keep rows when 0 < Keep.
func (s *RowSketch) compactIfLarge() error {
	bound := s.Cols
	if s.Keep > 0 && s.Keep < s.Cols {
		bound = s.Keep
	}
	if s.StackRows <= 2*bound {
		return nil
	}
	sigma, v, err := s.stackSVD()
	if err != nil {
		return err
	}
	r := len(sigma)
	if s.Keep > 0 && s.Keep < r {
		for _, x := range sigma[s.Keep:] {
			if x != 0 {
				s.Truncated = true
			}
			s.TailSq += x * x
		}
		r = s.Keep
	}
	s.StackRows = r
	s.Stack = scaledTranspose(sigma[:r], v)
	return nil
}

// check reports an inconsistent sketch (e.g. a corrupt decoded accumulator).
func (s *RowSketch) check() error {
	switch {
	case s.StackRows < 0 || len(s.Stack) < s.StackRows*s.Cols:
		return fmt.Errorf("linalg: RowSketch: stack holds %d values, want %d×%d", len(s.Stack), s.StackRows, s.Cols)
	case s.Centered && s.Rows > 0 && len(s.Mean) != s.Cols:
		return fmt.Errorf("linalg: RowSketch: %d column means, want %d", len(s.Mean), s.Cols)
	}
	return nil
}

// mergeKeep is the smaller positive of a and b (0 meaning unlimited).
func mergeKeep(a, b int) int {
	switch {
	case a <= 0:
		return max(b, 0)
	case b <= 0:
		return a
	}
	return min(a, b)
}

// scaledTranspose returns the row-major r×n matrix diag(σ)·V[:, :r]ᵀ, r = len(sigma).
func scaledTranspose(sigma []float64, v *mat.Dense) []float64 {
	n, _ := v.Dims()
	out := make([]float64, len(sigma)*n)
	for i, s := range sigma {
		row := out[i*n : (i+1)*n]
		for j := range row {
			row[j] = s * v.At(j, i)
		}
	}
	return out
}

// columnMeans returns the means of the columns of a.
func columnMeans(a *mat.Dense) []float64 {
	r, c := a.Dims()
	mean := make([]float64, c)
	raw := a.RawMatrix()
	for i := range r {
		for j, x := range raw.Data[i*raw.Stride : i*raw.Stride+c] {
			mean[j] += x
		}
	}
	for j := range mean {
		mean[j] /= float64(r)
	}
	return mean
}
