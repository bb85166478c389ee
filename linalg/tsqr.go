package linalg

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/floats"
	lapackgonum "gonum.org/v1/gonum/lapack/gonum"
	"gonum.org/v1/gonum/lapack/lapack64"
	"gonum.org/v1/gonum/mat"
)

// Names of the spectrum methods (design §4), the values of SpectrumResult.Method.
const (
	// MethodExact is the exact method: the R factor of a tall-skinny QR
	// (TSQR) of the rows, merged exactly (RowQR).
	MethodExact = "exact"
	// MethodMultiPass is the randomized subspace iteration with one global
	// test matrix, one read of the data per pass (MultiPass).
	MethodMultiPass = "multi_pass"
	// MethodOnePass is the one-pass truncate-and-merge sketch (RowSketch):
	// approximate and shard dependent.
	MethodOnePass = "one_pass"
)

// SpectrumResult is the finished output of a spectrum method.
//
// For every method and every i, 0 ≤ σᵢ(A)² − Sigma[i]² ≤ ResidualSq
// (σᵢ(A) of the centred A when Centered), up to rounding: Sigma never
// overestimates, and ResidualSq is the a-posteriori error bound design §4
// asks every method to report.
type SpectrumResult struct {
	Method   string // MethodExact, MethodMultiPass or MethodOnePass
	Rows     int64  // rows of A
	Cols     int    // columns of A
	Centered bool   // whether the spectrum is that of A − 1μᵀ, μ the column means
	// Sigma holds the singular values, descending: all min(Rows, Cols) for
	// MethodExact; l = min(K+p, Rows, Cols) for MethodMultiPass, of which
	// the first K are the ones asked for; the stack's for MethodOnePass.
	Sigma []float64
	// V holds the right singular vectors (Cols×len(Sigma), orthonormal
	// columns); the entry of largest magnitude of each column is positive.
	V *mat.Dense
	// FrobSq is the exact ‖A‖_F² (of the centred A when Centered), summed
	// over every row whatever the truncation.
	FrobSq float64
	// ResidualSq bounds σᵢ(A)² − Sigma[i]² for every i. MethodExact: 0.
	// MethodMultiPass: ‖A − A·X·Xᵀ‖_F² = ‖A‖_F² − ‖A·X‖_F², X the final
	// orthonormal basis (computed by that subtraction, so accurate to about
	// ε·FrobSq in absolute terms). MethodOnePass: RowSketch.TailSq.
	ResidualSq float64
	// Reads is the number of times every row of A was read.
	Reads int
}

// RowQR is the exact summary of a block of rows of a matrix A (Rows×Cols):
// the upper trapezoidal factor R (RRows×Cols, RRows ≤ Cols) of a QR
// factorisation A = Q·R, so that RᵀR = AᵀA and R has the singular values and
// right singular vectors of A. When Centered, R is that of the column-centred
// A − 1μᵀ, μ = Mean.
//
// Two row blocks merge exactly (the tall-skinny QR of Demmel, Grigori,
// Hoemmen & Langou 2012, "Communication-optimal parallel and sequential QR
// and LU factorizations", SIAM J. Sci. Comput. 34(1)): the R factor of
// the stack [Rₐ; R_b] is an R factor of [Aₐ; A_b], since
// [Aₐ; A_b] = diag(Qₐ, Q_b)·[Rₐ; R_b]. Centred blocks merge by Chan, Golub
// & LeVeque's pairwise update (1979, "Updating formulae and a pairwise
// algorithm for computing sample variances") in matrix form: with
// counts nₐ, n_b, n = nₐ + n_b and means μₐ, μ_b,
//
//	CᵀC = CₐᵀCₐ + C_bᵀC_b + (nₐn_b/n)·(μ_b − μₐ)(μ_b − μₐ)ᵀ,
//
// so the stack gains the row sqrt(nₐn_b/n)·(μ_b − μₐ)ᵀ and no
// uncentred Gram matrix (and no cancellation) is ever formed.
//
// Householder QR, and CholeskyQR2 on the well-conditioned panels AddBlock
// gives it, are backward stable, so Spectrum's σᵢ equal those of a matrix
// within O(ε)·‖A‖₂ of A, as LAPACK's SVD of A itself does.
//
// RowQR has only exported fields so that it can serve as a Beam combiner
// accumulator; the zero value and NewRowQR's result are empty summaries and
// identities for Merge. Its size is O(Cols²) whatever the number of rows.
type RowQR struct {
	Cols     int
	Rows     int64     // number of data rows summarised
	Centered bool      // whether R describes the column-centred rows
	Mean     []float64 // column means μ (when Centered)
	// FrobSq is Σ‖aᵢ‖² (Σ‖aᵢ − μ‖² when Centered), summed directly from the
	// rows and merged by Chan et al.'s update.
	FrobSq float64
	RRows  int
	R      []float64 // RRows×Cols, row-major, zero below the diagonal
}

// NewRowQR returns an empty summary of the rows of a matrix with cols
// columns; centered selects the column-centred matrix.
func NewRowQR(cols int, centered bool) *RowQR {
	q := &RowQR{Cols: cols, Centered: centered}
	if centered {
		q.Mean = make([]float64, cols)
	}
	return q
}

// cholQR2RMaxCond is the largest estimate of κ₁(aᵀa) ≈ κ₂(a)² for which
// RowQR factorises a panel by CholeskyQR2 (κ₂(a) ≲ 1e4), a hundred times
// stricter than qr.go's cholQR2MaxCond: beyond it Householder QR keeps the
// exact method's singular values as accurate as LAPACK's
// (TestCholQR2RMatchesHouseholder).
const cholQR2RMaxCond = 1e8

// tsqrPanelEntries bounds the size (rows × Cols) of the panels AddBlock
// factorises: 2²² entries, 32 MiB.
const tsqrPanelEntries = 1 << 22

// tsqrPanelRows is the number of block rows AddBlock factorises at a time:
// max(8·Cols, 4096), so that re-factoring R with a panel costs at most about
// 1/8 more than factoring the panel alone and narrow panels are not too short
// for the parallel products, within tsqrPanelEntries, and at least Cols.
func tsqrPanelRows(cols int) int {
	return max(1, cols, min(max(8*cols, 4096), tsqrPanelEntries/max(cols, 1)-cols))
}

// AddBlock merges the rows of block (r×Cols) into q. When q is Centered the
// block is centred by its own column means and merged by Chan et al.'s
// update. The block is copied (centred) in panels of tsqrPanelRows rows; a
// panel of at least 4·Cols rows whose condition number is below about 1e4
// is factorised by CholeskyQR2 in the fast tall-skinny products (6·rows·Cols²
// flops) and its R merged into the running R by the structured update of
// Merge; any other panel is stacked under the running R and factorised by
// Householder QR (LAPACK's dgeqrf, 2·(rows + Cols)·Cols² flops). The extra
// memory is O(Cols²) plus two panels.
//
// AddBlock returns an error if the block does not have Cols columns.
func (q *RowQR) AddBlock(block *mat.Dense) error {
	r, c := block.Dims()
	if c != q.Cols {
		return fmt.Errorf("linalg: RowQR.AddBlock: block has %d columns, summary has %d", c, q.Cols)
	}
	if r == 0 {
		return nil
	}
	b := &RowQR{Cols: c, Rows: int64(r), Centered: q.Centered}
	raw := block.RawMatrix()
	if q.Centered {
		b.Mean, _ = columnMoments(general64(block.RawMatrix()), false)
	}
	pr := min(r, tsqrPanelRows(c))
	panel := make([]float64, pr*c)
	var w qrWork
	var frob float64
	for i0 := 0; i0 < r; i0 += pr {
		rows := min(pr, r-i0)
		for i := range rows {
			src := raw.Data[(i0+i)*raw.Stride : (i0+i)*raw.Stride+c]
			dst := panel[i*c : (i+1)*c]
			if b.Centered {
				for j, x := range src {
					d := x - b.Mean[j]
					dst[j] = d
					frob += d * d
				}
			} else {
				copy(dst, src)
				for _, x := range src {
					frob += x * x
				}
			}
		}
		if rows >= cholQRMinAspect*c {
			if r, ok := w.cholQR2R(mat.NewDense(rows, c, panel[:rows*c])); ok {
				b.appendTriangular(r)
				continue
			}
		}
		b.stackRows(panel[:rows*c], rows)
	}
	b.FrobSq = frob
	return q.Merge(b)
}

// cholQR2R returns the R factor (c×c upper triangular, row-major) of the
// tall m×c matrix a by CholeskyQR2 (see qr.go): R₁ = chol(aᵀa),
// Q₁ = a·R₁⁻¹, R₂ = chol(Q₁ᵀQ₁), R = R₂·R₁, so a = Q₁R₁ = (Q₁R₂⁻¹)·R with
// Q₁R₂⁻¹ orthonormal to O(ε): R is backward stable like Householder's, for
// O(m·c²) flops in the fast tall-skinny products. Q is never formed and a is
// not modified. It reports false, for the caller to fall back to Householder
// QR, when a is ill conditioned (the LAPACK estimate κ̂ of κ₁(aᵀa) above
// cholQR2RMaxCond, or the second Gram matrix far from the identity) or rank
// deficient.
func (w *qrWork) cholQR2R(a *mat.Dense) ([]float64, bool) {
	m, c := a.Dims()
	w.reserve(m, c)
	MulTransTallSkinny(w.gram, a, a)
	if rcond, ok := w.cholInverse(0); !ok || rcond*cholQR2RMaxCond < 1 {
		return nil, false
	}
	r1 := upperTriangle(w.gram)
	MulTallSkinny(w.scratch, a, w.rinv)
	MulTransTallSkinny(w.gram, w.scratch, w.scratch)
	if rcond, ok := w.cholInverse(0); !ok || rcond < cholQRFinalMinRcond {
		return nil, false
	}
	r2 := upperTriangle(w.gram)
	r := make([]float64, c*c)
	for i := range c { // r[i][j] = Σ_{i ≤ k ≤ j} r2[i][k]·r1[k][j]
		row := r[i*c : (i+1)*c]
		for k := i; k < c; k++ {
			if x := r2[i*c+k]; x != 0 {
				floats.AddScaled(row[k:], x, r1[k*c+k:(k+1)*c])
			}
		}
	}
	return r, true
}

// upperTriangle returns the upper triangle of the square g, row-major, zeros below.
func upperTriangle(g *mat.Dense) []float64 {
	raw := g.RawMatrix()
	c := raw.Cols
	out := make([]float64, c*c)
	for i := range c {
		copy(out[i*c+i:(i+1)*c], raw.Data[i*raw.Stride+i:i*raw.Stride+c])
	}
	return out
}

// appendTriangular sets R to the R factor of [R; r], r Cols×Cols upper
// triangular (row-major), which it may take over or overwrite; a full R is
// updated in place (AddBlock calls it on its own fresh summary only).
func (q *RowQR) appendTriangular(r []float64) {
	c := q.Cols
	switch q.RRows {
	case 0:
		q.R, q.RRows = r, c
	case c:
		triangularAppend(q.R, c, r, c, 0)
	default:
		q.stackRows(r, c)
	}
}

// Merge sets q to the summary of the rows of q and o together; o is not
// modified. It is associative and commutative up to rounding, and an empty
// summary is its identity. Centred summaries follow Chan et al.'s update:
// μ = (nₐμₐ + n_bμ_b)/n, FrobSq gains (nₐn_b/n)·‖μ_b − μₐ‖², and the
// stacked rows gain sqrt(nₐn_b/n)·(μ_b − μₐ)ᵀ.
//
// When either R is full (Cols×Cols, upper triangular) the other rows are
// annihilated into it by Householder reflectors that skip the known zeros
// (the triangular-pentagonal QR of LAPACK's dtpqrt2), about (2/3)·Cols³
// flops for two full factors and 2·t·Cols² for t rows into a full factor;
// otherwise the stack (fewer than 2·Cols+1 rows) is re-factored by dgeqrf.
//
// Merge never writes to the slices of q or o (it replaces q's), so a copy
// of a RowQR value taken before a Merge stays valid, as Beam's accumulators
// passed by value require.
//
// Merge returns an error if both summaries are non-empty and their Cols or
// Centered differ, or if either is inconsistent.
func (q *RowQR) Merge(o *RowQR) error {
	if q.Rows > 0 && o.Rows > 0 && (q.Cols != o.Cols || q.Centered != o.Centered) {
		return fmt.Errorf("linalg: RowQR.Merge: incompatible summaries (%d columns, centred %t) and (%d columns, centred %t)",
			q.Cols, q.Centered, o.Cols, o.Centered)
	}
	if err := o.check(); err != nil {
		return err
	}
	if err := q.check(); err != nil {
		return err
	}
	if o.Rows == 0 {
		return nil
	}
	if q.Rows == 0 {
		*q = RowQR{
			Cols: o.Cols, Rows: o.Rows, Centered: o.Centered, FrobSq: o.FrobSq,
			Mean:  append([]float64(nil), o.Mean...),
			RRows: o.RRows, R: append([]float64(nil), o.R[:o.RRows*o.Cols]...),
		}
		return nil
	}
	c := q.Cols
	// extra holds the rows stacked besides the two factors: Chan's row.
	var extra []float64
	na, nb := float64(q.Rows), float64(o.Rows)
	n := na + nb
	if q.Centered {
		w := math.Sqrt(na * nb / n)
		extra = make([]float64, c)
		mean := make([]float64, c)
		var deltaSq float64
		for j := range extra {
			d := o.Mean[j] - q.Mean[j]
			deltaSq += d * d
			extra[j] = w * d
			mean[j] = (na*q.Mean[j] + nb*o.Mean[j]) / n
		}
		q.Mean = mean
		q.FrobSq += na * nb / n * deltaSq
	}
	q.FrobSq += o.FrobSq
	q.Rows += o.Rows

	nExtra := len(extra) / max(c, 1)
	switch {
	case q.RRows == c || o.RRows == c:
		// Keep the full factor as the pivot rows; the others are
		// [extra; R of the other] with the other's zeros below its diagonal.
		var pivot, other []float64
		var otherRows int
		if q.RRows == c {
			pivot, other, otherRows = append([]float64(nil), q.R[:c*c]...), o.R[:o.RRows*c], o.RRows
		} else {
			pivot, other, otherRows = append([]float64(nil), o.R[:c*c]...), q.R[:q.RRows*c], q.RRows
		}
		rows := make([]float64, 0, (nExtra+otherRows)*c)
		rows = append(rows, extra...)
		rows = append(rows, other...)
		triangularAppend(pivot, c, rows, nExtra+otherRows, nExtra)
		q.R, q.RRows = pivot, c
	default:
		rows := make([]float64, 0, (o.RRows+nExtra)*c)
		rows = append(rows, o.R[:o.RRows*c]...)
		rows = append(rows, extra...)
		q.stackRows(rows, o.RRows+nExtra)
	}
	return nil
}

// stackRows sets R to the R factor of [R; rows] (rows: t×Cols, row-major) by
// Householder QR of the stack.
func (q *RowQR) stackRows(rows []float64, t int) {
	c := q.Cols
	if t == 0 {
		return
	}
	s := q.RRows + t
	stack := make([]float64, s*c)
	copy(stack, q.R[:q.RRows*c])
	copy(stack[q.RRows*c:], rows[:t*c])
	geqrf(blas64.General{Rows: s, Cols: c, Stride: c, Data: stack})
	k := min(s, c)
	r := make([]float64, k*c)
	for i := range k {
		copy(r[i*c+i:(i+1)*c], stack[i*c+i:(i+1)*c])
	}
	q.R, q.RRows = r, k
}

// geqrf overwrites a with its Householder QR factorisation (R in the upper
// triangle, reflectors below), LAPACK's dgeqrf.
func geqrf(a blas64.General) {
	tau := make([]float64, min(a.Rows, a.Cols))
	work := make([]float64, 1)
	lapack64.Geqrf(a, tau, work, -1)
	work = make([]float64, max(1, int(work[0])))
	lapack64.Geqrf(a, tau, work, len(work))
}

// triangularAppend overwrites the c×c upper triangular r (row-major) with
// the R factor of the stack [r; b], b t×c row-major, whose rows i ≥ nFull are
// zero in the columns before i − nFull (an upper trapezoidal factor below
// nFull general rows). b is overwritten with the Householder vectors.
//
// Column j is annihilated by one reflector (LAPACK's dlarfg) on the pivot
// entry r[j][j] and the active rows of b: the nFull general rows and the
// trapezoidal rows i with i − nFull ≤ j, which are the only rows of b that
// can be non-zero in column j (the reflectors of earlier columns mix each
// active row with r's row only, so the zeros are kept). This is the
// triangular-pentagonal QR of LAPACK's dtpqrt2, unblocked.
func triangularAppend(r []float64, c int, b []float64, t, nFull int) {
	if t == 0 {
		return
	}
	var impl lapackgonum.Implementation
	w := make([]float64, c)
	for j := range c {
		active := t
		if nFull < t {
			active = nFull + min(j+1, t-nFull)
		}
		beta, tau := impl.Dlarfg(active+1, r[j*c+j], b[j:], c)
		r[j*c+j] = beta
		if tau == 0 || j == c-1 {
			continue
		}
		// Apply H = I − τ·(1; v)(1; v)ᵀ to the trailing columns:
		// wᵀ = r[j, j+1:] + vᵀ·b[:, j+1:],  r[j, j+1:] −= τ·wᵀ,  b[i, j+1:] −= τ·vᵢ·wᵀ.
		wj := w[:c-j-1]
		copy(wj, r[j*c+j+1:(j+1)*c])
		for i := range active {
			if v := b[i*c+j]; v != 0 {
				floats.AddScaled(wj, v, b[i*c+j+1:(i+1)*c])
			}
		}
		floats.AddScaled(r[j*c+j+1:(j+1)*c], -tau, wj)
		for i := range active {
			if v := b[i*c+j]; v != 0 {
				floats.AddScaled(b[i*c+j+1:(i+1)*c], -tau*v, wj)
			}
		}
	}
}

// Spectrum returns the singular values σ (descending, min(Rows, Cols) of
// them) and right singular vectors V (Cols×len(σ)) of the summarised (centred)
// rows: the SVD of R. The entry of largest magnitude of each column of V is
// positive. q is not modified. Spectrum returns an error for an empty,
// inconsistent or non-finite summary, or when the SVD fails to converge.
func (q *RowQR) Spectrum() (sigma []float64, v *mat.Dense, err error) {
	if err := q.check(); err != nil {
		return nil, nil, err
	}
	if q.Rows == 0 || q.RRows == 0 {
		return nil, nil, errors.New("linalg: RowQR.Spectrum: empty summary")
	}
	if !allFinite(q.R[:q.RRows*q.Cols]) || math.IsNaN(q.FrobSq) || math.IsInf(q.FrobSq, 0) {
		return nil, nil, errors.New("linalg: RowQR.Spectrum: R is not finite (NaN or ±Inf in the data?)")
	}
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(q.RRows, q.Cols, q.R[:q.RRows*q.Cols]), mat.SVDThinV) {
		return nil, nil, errors.New("linalg: RowQR.Spectrum: SVD of R did not converge")
	}
	// R may have more rows than A when tiny blocks were merged (each merge
	// can add Chan's row); the extra σ are zero up to rounding, since
	// rank(RᵀR) = rank(AᵀA) ≤ Rows.
	r := int(min(int64(q.RRows), q.Rows, int64(q.Cols)))
	sigma = svd.Values(nil)[:r:r]
	var full mat.Dense
	svd.VTo(&full)
	v = mat.DenseCopyOf(full.Slice(0, q.Cols, 0, r))
	canonicalSigns(v, nil)
	return sigma, v, nil
}

// Finish returns the exact spectrum of the summarised rows (MethodExact,
// one read of the data): every singular value, the right singular vectors
// and the exact Frobenius norm.
func (q *RowQR) Finish() (*SpectrumResult, error) {
	sigma, v, err := q.Spectrum()
	if err != nil {
		return nil, err
	}
	return &SpectrumResult{
		Method: MethodExact, Rows: q.Rows, Cols: q.Cols, Centered: q.Centered,
		Sigma: sigma, V: v, FrobSq: q.FrobSq, Reads: 1,
	}, nil
}

// check reports an inconsistent summary (e.g. a corrupt decoded accumulator).
func (q *RowQR) check() error {
	switch {
	case q.Rows < 0 || q.Cols < 0:
		return fmt.Errorf("linalg: RowQR: %d rows, %d columns", q.Rows, q.Cols)
	case q.Rows == 0:
		return nil
	case q.RRows < 0 || q.RRows > q.Cols || len(q.R) < q.RRows*q.Cols:
		return fmt.Errorf("linalg: RowQR: R holds %d values, want %d×%d with %d ≤ %d", len(q.R), q.RRows, q.Cols, q.RRows, q.Cols)
	case q.Centered && len(q.Mean) != q.Cols:
		return fmt.Errorf("linalg: RowQR: %d column means, want %d", len(q.Mean), q.Cols)
	}
	return nil
}

// OnePassResult presents a merged RowSketch (the one-pass truncate-and-merge
// method, MethodOnePass) as a SpectrumResult: the stack's spectrum, the exact
// FrobSq and, as ResidualSq, the sketch's TailSq, which bounds
// σᵢ(A)² − σᵢ(S)² ≥ 0 (see RowSketch). The sketch is not modified.
func OnePassResult(s *RowSketch) (*SpectrumResult, error) {
	sigma, v, err := s.Spectrum()
	if err != nil {
		return nil, err
	}
	return &SpectrumResult{
		Method: MethodOnePass, Rows: s.Rows, Cols: s.Cols, Centered: s.Centered,
		Sigma: sigma, V: v, FrobSq: s.FrobSq, ResidualSq: s.TailSq, Reads: 1,
	}, nil
}
