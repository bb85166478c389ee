package linalg

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"

	"github.com/lowdim/lowdim/internal/parallel"

	"gonum.org/v1/gonum/mat"
)

// Defaults of RandomizedSVD, following Halko, Martinsson & Tropp (2011) §4.2
// and scikit-learn's randomized_svd.
const (
	// DefaultOversample is the oversampling p used when RSVDOptions.Oversample is 0.
	DefaultOversample = 10
	// ErrorProbes is the number r of extra Gaussian probes of the a-posteriori
	// error estimate (HMT 2011 eq. (4.3)); the estimate holds with probability
	// at least 1 − 10^−r.
	ErrorProbes = 10
	// exactMaxEntries is the size (m·n) up to which RandomizedSVD computes the
	// exact thin SVD instead: below it the dense LAPACK SVD is as fast and exact.
	exactMaxEntries = 1 << 14
	// pcgStream is the second PCG seed word ("lowdim" in ASCII); the first is
	// RSVDOptions.Seed.
	pcgStream = 0x6c6f7764696d
)

// RSVDOptions configures RandomizedSVD.
type RSVDOptions struct {
	// K is the number of components wanted, 0 < K ≤ min(m, n).
	K int
	// Oversample is the oversampling p ≥ 0; 0 means DefaultOversample (10).
	// Negative values are an error. The sketch has l = min(K+p, m, n) columns.
	Oversample int
	// PowerIters is the number q of power (subspace) iterations. A negative
	// value selects scikit-learn's rule: 7 when K < 0.1·min(m, n), else 4.
	// Note that the zero value means no power iteration.
	PowerIters int
	// Seed seeds the Gaussian test matrix (PCG, math/rand/v2): equal seeds
	// give bit-identical results.
	Seed uint64
	// WantU requests the left singular vectors.
	WantU bool
}

// SVD is a (randomized) truncated singular value decomposition A ≈ U·diag(Sigma)·Vᵀ
// = Q·Qᵀ·A, where Q (m×l, orthonormal) spans the sampled range of A.
type SVD struct {
	// Sigma holds the l = min(K+p, m, n) singular values of QᵀA, descending.
	Sigma []float64
	// V holds the n×l right singular vectors, orthonormal columns; the
	// component of largest magnitude of each column is positive.
	V *mat.Dense
	// U holds the m×l left singular vectors when RSVDOptions.WantU is set,
	// else it is nil.
	U *mat.Dense

	// ResidualFrobenius is ‖A − QQᵀA‖_F. Because Q is orthonormal,
	// ‖A‖_F² = ‖QQᵀA‖_F² + ‖A − QQᵀA‖_F² (Pythagoras), so it is computed
	// as sqrt(max(0, ‖A‖_F² − Σσᵢ²)) (or as sqrt(Σ_{i>l} σᵢ²) on the exact path).
	// The subtraction limits its absolute accuracy to about sqrt(ε)·‖A‖_F.
	ResidualFrobenius float64
	// FrobeniusSq is ‖A‖_F².
	FrobeniusSq float64
	// ErrorEstimate estimates the spectral error ‖A − QQᵀA‖₂ a posteriori
	// (Halko, Martinsson & Tropp 2011, Lemma 4.1 and eq. (4.3)):
	//  10·sqrt(2/π)·max_{i≤r} ‖(I − QQᵀ)Aωᵢ‖,
	// ωᵢ independent standard Gaussian n-vectors, r = ErrorProbes; it bounds
	// the error from above with probability at least 1 − 10^−r. On the exact
	// path it is the exact error σ_{l+1} (0 when l = min(m, n)).
	ErrorEstimate float64
}

// RandomizedSVD computes a rank-l approximate SVD of the m×n matrix a by
// randomized subspace iteration: Halko, Martinsson & Tropp 2011, Algorithm 4.4
// followed by Algorithm 5.1.
//
//	Ω ~ N(0,1)^{n×l} (seeded by opts.Seed), l = min(K+p, m, n)
//	Q = qr(A·Ω)
//	repeat q times: Q̃ = qr(Aᵀ·Q), Q = qr(A·Q̃)
//	Bᵀ = Aᵀ·Q (n×l);  Bᵀ = W·Σ·Zᵀ (thin SVD)
//	V = W,  U = Q·Z
//
// Every product with a goes through MulTallSkinny and MulTransTallSkinny, and
// every QR is a thin factorisation (CholeskyQR2 on the same kernels, shifted
// CholeskyQR3 or Householder when the sketch is ill conditioned; see qr.go),
// so no m×m matrix is formed.
// When l = min(m, n) or a is tiny (m·n ≤ 2¹⁴ entries) the exact thin SVD
// (mat.SVD) is computed and truncated to l instead.
//
// RandomizedSVD returns an error if K ≤ 0, K > min(m, n), Oversample < 0, or
// a dense SVD fails to converge.
func RandomizedSVD(a mat.Matrix, opts RSVDOptions) (*SVD, error) {
	m, n := a.Dims()
	mn := min(m, n)
	if opts.K <= 0 {
		return nil, fmt.Errorf("linalg: RandomizedSVD: K = %d, want K > 0", opts.K)
	}
	if opts.K > mn {
		return nil, fmt.Errorf("linalg: RandomizedSVD: K = %d exceeds min(m, n) = %d for a %d×%d matrix", opts.K, mn, m, n)
	}
	if opts.Oversample < 0 {
		return nil, fmt.Errorf("linalg: RandomizedSVD: Oversample = %d, want ≥ 0", opts.Oversample)
	}
	p := opts.Oversample
	if p == 0 {
		p = DefaultOversample
	}
	l := min(opts.K+p, mn)
	frobSq := frobeniusSq(a)
	if l == mn || float64(m)*float64(n) <= exactMaxEntries {
		return exactTruncatedSVD(a, l, frobSq, opts.WantU)
	}
	q := opts.PowerIters
	if q < 0 {
		q = autoPowerIters(opts.K, mn)
	}

	rnd := rand.New(rand.NewPCG(opts.Seed, pcgStream))
	omega := gaussian(rnd, n, l)
	var qr qrWork
	y := mat.NewDense(m, l, nil)
	z := mat.NewDense(n, l, nil)
	MulTallSkinny(y, a, omega)
	qr.orthonormalize(y)
	for range q {
		MulTransTallSkinny(z, a, y)
		qr.orthonormalize(z)
		MulTallSkinny(y, a, z)
		qr.orthonormalize(y)
	}
	// y is now Q. z = Aᵀ·Q = Bᵀ.
	MulTransTallSkinny(z, a, y)

	var svd mat.SVD
	if !svd.Factorize(z, mat.SVDThin) {
		return nil, errors.New("linalg: RandomizedSVD: SVD of QᵀA did not converge")
	}
	res := &SVD{
		Sigma:       svd.Values(nil),
		V:           new(mat.Dense),
		FrobeniusSq: frobSq,
	}
	svd.UTo(res.V)
	if opts.WantU {
		var zb mat.Dense
		svd.VTo(&zb)
		res.U = mat.NewDense(m, l, nil)
		res.U.Mul(y, &zb)
	}
	canonicalSigns(res.V, res.U)
	var captured float64
	for _, s := range res.Sigma {
		captured += s * s
	}
	res.ResidualFrobenius = math.Sqrt(max(0, frobSq-captured))
	res.ErrorEstimate = spectralErrorEstimate(a, y, gaussian(rnd, n, ErrorProbes))
	return res, nil
}

// autoPowerIters is scikit-learn's default number of power iterations.
func autoPowerIters(k, minDim int) int {
	if float64(k) < 0.1*float64(minDim) {
		return 7
	}
	return 4
}

// spectralErrorEstimate returns 10·sqrt(2/π)·max_i ‖(I − QQᵀ)·A·ωᵢ‖ over the
// columns ωᵢ of probes (HMT 2011 eq. (4.3)).
func spectralErrorEstimate(a mat.Matrix, q, probes *mat.Dense) float64 {
	m, _ := a.Dims()
	_, l := q.Dims()
	_, r := probes.Dims()
	y := mat.NewDense(m, r, nil)
	MulTallSkinny(y, a, probes)
	proj := mat.NewDense(l, r, nil)
	proj.Mul(q.T(), y)
	var qp mat.Dense
	qp.Mul(q, proj)
	y.Sub(y, &qp)
	var worst float64
	for j := range r {
		worst = max(worst, mat.Norm(y.ColView(j), 2))
	}
	return 10 * math.Sqrt(2/math.Pi) * worst
}

// exactTruncatedSVD returns the exact thin SVD of a truncated to l components.
func exactTruncatedSVD(a mat.Matrix, l int, frobSq float64, wantU bool) (*SVD, error) {
	m, n := a.Dims()
	kind := mat.SVDThinV
	if wantU {
		kind = mat.SVDThin
	}
	var svd mat.SVD
	if !svd.Factorize(a, kind) {
		return nil, errors.New("linalg: RandomizedSVD: exact SVD did not converge")
	}
	sigma := svd.Values(nil)
	var tail float64
	for _, s := range sigma[l:] {
		tail += s * s
	}
	res := &SVD{
		Sigma:             sigma[:l:l],
		ResidualFrobenius: math.Sqrt(tail),
		FrobeniusSq:       frobSq,
	}
	if l < len(sigma) {
		res.ErrorEstimate = sigma[l]
	}
	var v mat.Dense
	svd.VTo(&v)
	res.V = mat.DenseCopyOf(v.Slice(0, n, 0, l))
	if wantU {
		var u mat.Dense
		svd.UTo(&u)
		res.U = mat.DenseCopyOf(u.Slice(0, m, 0, l))
	}
	canonicalSigns(res.V, res.U)
	return res, nil
}

// canonicalSigns flips the sign of column j of v (and of u, when non-nil) so
// that the entry of largest magnitude of v's column j is positive (the first
// such entry on ties). This makes singular vectors deterministic.
func canonicalSigns(v, u *mat.Dense) {
	rows, cols := v.Dims()
	for j := range cols {
		best, at := -1.0, 0
		for i := range rows {
			if x := math.Abs(v.At(i, j)); x > best {
				best, at = x, i
			}
		}
		if v.At(at, j) >= 0 {
			continue
		}
		negateCol(v, j)
		if u != nil {
			negateCol(u, j)
		}
	}
}

func negateCol(a *mat.Dense, j int) {
	r, _ := a.Dims()
	for i := range r {
		a.Set(i, j, -a.At(i, j))
	}
}

// gaussian returns an r×c matrix of independent standard normal draws,
// filled in row-major order from rnd.
func gaussian(rnd *rand.Rand, r, c int) *mat.Dense {
	data := make([]float64, r*c)
	for i := range data {
		data[i] = rnd.NormFloat64()
	}
	return mat.NewDense(r, c, data)
}

// frobeniusChunkEntries sets the fixed row chunks of frobeniusSq: about
// 2¹⁶ entries each.
const frobeniusChunkEntries = 1 << 16

// frobeniusSq returns ‖a‖_F² = Σᵢⱼ aᵢⱼ².
//
// For a *mat.Dense (or its transpose) the rows are cut into fixed chunks of
// about 2¹⁶ entries, depending only on the shape; each chunk is summed
// sequentially (four interleaved accumulators per row, combined in a fixed
// order), chunks are shared among the goroutines parallel.Reserve grants, and the chunk sums
// are added in chunk order. The result is therefore bit-for-bit independent of
// the worker count and scheduling.
func frobeniusSq(a mat.Matrix) float64 {
	if t, ok := a.(mat.Transpose); ok {
		if rm, ok := t.Matrix.(mat.RawMatrixer); ok {
			return frobeniusSqOf(general64(rm.RawMatrix()))
		}
	}
	if rm, ok := a.(mat.RawMatrixer); ok {
		return frobeniusSqOf(general64(rm.RawMatrix()))
	}
	var sum float64
	m, n := a.Dims()
	for i := range m {
		for j := range n {
			x := a.At(i, j)
			sum += x * x
		}
	}
	return sum
}

// frobeniusSqOf is frobeniusSq of a row-major matrix of float64 or float32
// values (summed in float64).
func frobeniusSqOf[D element](raw general[D]) float64 {
	if raw.Rows == 0 || raw.Cols == 0 {
		return 0
	}
	rowsPer := max(1, frobeniusChunkEntries/raw.Cols)
	chunks := (raw.Rows + rowsPer - 1) / rowsPer
	partial := make([]float64, chunks)
	var next atomic.Int64
	workers, release := 1, func() {}
	if float64(raw.Rows)*float64(raw.Cols) >= 4*frobeniusChunkEntries {
		workers, release = parallel.Reserve(chunks)
	}
	defer release()
	parallelFor(workers, func(int) {
		for {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			var sum float64
			for i := c * rowsPer; i < min(raw.Rows, (c+1)*rowsPer); i++ {
				sum += rowSq(raw.Data[i*raw.Stride : i*raw.Stride+raw.Cols])
			}
			partial[c] = sum
		}
	})
	var sum float64
	for _, p := range partial {
		sum += p
	}
	return sum
}
