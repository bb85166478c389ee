package linalg

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"

	"github.com/lowdim/lowdim/internal/parallel"

	"gonum.org/v1/gonum/blas/blas32"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"
)

// The multi-pass randomized method (design §4): randomized subspace
// iteration on the right (Halko, Martinsson & Tropp 2011, "Finding structure
// with randomness", SIAM Rev. 53(2), Algorithm 4.4 applied to Aᵀ, with the
// Rayleigh–Ritz extraction of §5.1) over row shards A = [A₁; …; A_s]:
//
//	X₀ = orth(Ω),  Ω ~ N(0,1)^{n×l} drawn from DeriveSeed(Seed, Key)
//	power pass j = 0 … q:  P = Σᵢ CᵢᵀCᵢXⱼ (n×l),  Xⱼ₊₁ = orth(P)
//	final pass:            R = TSQR of the rows of C·X_{q+1} (l×l),  σ = svd(R)
//
// with C = A − 1μᵀ when centring (else C = A). Each pass reads every shard
// once and returns an n×l (or l×l) partial that merges exactly, so the
// arithmetic is the single-machine one whatever the sharding, up to the
// order of floating-point sums.
//
// Reads. The method reads the data q + 2 times: q + 1 power passes and the
// final pass. The column means ride along in every pass and the exact ‖C‖_F²
// in the final pass, so no extra read computes them, and centring needs no
// mean known in advance (see PassBasis.Process). scikit-learn's
// randomized_svd with n_iter = q multiplies by A or Aᵀ 2q + 2 times (2q in
// the power iterations, one for Q = orth(A·Y), one for B = QᵀA): 2q + 2
// reads of a sharded matrix (16 against 9 for q = 7).
//
// Accuracy, compared with scikit-learn. With the same Ω, scikit-learn's
// Q = orth(A·(AᵀA)^q·Ω) and B = QᵀA, whose row space is
// S = range(Aᵀ·Q) = range((AᵀA)^{q+1}·Ω); the q + 1 power passes make
// range(X) = S. The rows of B lie in S, so B = B·X·Xᵀ and
//
//	σᵢ(B) = σᵢ(Qᵀ·(A·X)) ≤ σᵢ(A·X) ≤ σᵢ(A)   for every i,
//
// since σᵢ(M·N) ≤ ‖M‖₂·σᵢ(N) and σᵢ(N·M) ≤ σᵢ(N)·‖M‖₂ with ‖Qᵀ‖₂ = ‖X‖₂ = 1
// (Horn & Johnson, Topics in Matrix Analysis, ch. 3); and
// ‖A − AXXᵀ‖_F² = ‖A‖_F² − ‖AX‖_F² ≤ ‖A‖_F² − ‖QᵀAX‖_F² = ‖A − QQᵀA‖_F².
// Every σᵢ of this method is therefore at least as close to σᵢ(A) as
// scikit-learn's, and its residual at most scikit-learn's, for the same Ω
// (TestMultiPassDominatesScikitLearn checks both, and range(X) = S, against
// scikit-learn's recipe started from the same X₀).
//
// Fusing the final pass into the last power pass (returning both
// Aᵢᵀ(AᵢX_q) and the TSQR of AᵢX_q) would give scikit-learn's B = R⁻ᵀPᵀ in
// q + 1 reads; but that applies R⁻¹, whose condition number is about σ₁/σ_l,
// to rounded products, losing accuracy on decaying spectra and failing on
// exactly low-rank A. One more read buys a backward-stable finish and the
// dominance above.
//
// Rounding. A power pass applies CᵀC with no normalisation in between (C·X
// is spread over the shards), so P resolves a direction with σᵢ ≪ σ₁ to
// about ε·(σ₁/σᵢ)² relative, where scikit-learn's normalised half-steps keep
// ε·σ₁/σᵢ. The converged top K are insensitive to it (equal to ~1e-14
// across shardings in TestMultiPassShardInvariance); the oversampled tail
// Sigma[K:] can differ between shardings by ~10·ε·(σ₁/σᵢ)² (2.4e-10 on an
// uncentred matrix dominated by its mean, σ₁/σ_l ≈ 5000).
//
// The Gram schedule. When n is moderate the q + 1 power passes are cheaper
// on the merged Gram matrix G = CᵀC = Σᵢ CᵢᵀCᵢ (n×n): one read sums it over
// the shards (MulGram, m·n² flops), the power iterations
// Xⱼ₊₁ = orth(G·Xⱼ) run in memory (2·n²·l flops each), and a second read is
// the final pass. It is the same iteration, and P = (CᵀC)·X differs from
// Σᵢ Cᵢᵀ(CᵢX) only in the order of the sums (the same ε·(σ₁/σᵢ)² rounding
// as above), so the results agree with the pass schedule to rounding
// (TestMultiPassShardInvariance runs both schedules against one reference). Per row of A the power passes cost
// (q + 1)·4·n·l flops and the Gram n², so NewMultiPass picks the Gram
// schedule when n < 4·(q + 1)·l and n ≤ GramMaxCols: 2 reads instead of
// q + 2, and for k = 20, q = 7 at n = 512 about half the flops.
//
// Float32. A power pass over float32 data may multiply in float32
// (Process32; the float32 kernels run about three times the float64 rate
// and read half the bytes, no decoding): the power passes only steer the
// subspace, and their float32 rounding perturbs the basis by ~1e-7, which
// later float64 passes contract. Measured on the golden matrices rounded to
// float32 (TestMultiPassFloat32Passes), the top-K spread across shardings
// stays ≤ 1e-10 only when the last two power passes are float64 (with the
// last one alone: 2e-10 on the exactly low-rank matrix) and only without
// centring (a float32 product of uncentred rows carries rounding relative
// to the mean, ε₃₂·(‖μ‖/s)² of the centred matrix). So PassBasis.Float32
// is set for passes 1 … q − 2 of an uncentred run (5 of the 9 reads at
// q = 7): pass 0 also checks every value, and the Gram and final passes are
// float64, so σ, the residual and ‖A‖_F² come from the data exactly.

// MultiPassOptions configures NewMultiPass.
type MultiPassOptions struct {
	// K is the number of singular values wanted, 0 < K ≤ min(rows, cols).
	K int
	// Oversample is the oversampling p ≥ 0; 0 means DefaultOversample (10).
	// The basis has l = min(K+p, rows, cols) columns.
	Oversample int
	// PowerIters is scikit-learn's n_iter = q ≥ 0 (the method makes q + 1
	// power passes, matching scikit-learn's subspace). A negative value
	// selects scikit-learn's rule: 7 when K < 0.1·min(rows, cols), else 4.
	PowerIters int
	// Seed is the spec seed and Key the element key (e.g. the data set's);
	// the test matrix Ω is drawn from PCG(DeriveSeed(Seed, Key), ·).
	Seed, Key uint64
	// Centered selects the spectrum of the column-centred A − 1μᵀ.
	Centered bool
}

// MultiPass is the resolved plan of the multi-pass randomized method for a
// matrix of Rows×Cols. It has only exported fields so that it can travel as
// a Beam side input or DoFn field.
type MultiPass struct {
	Rows       int64
	Cols       int
	K          int
	L          int // basis width l = min(K+p, Rows, Cols)
	PowerIters int // q: the method makes q + 1 power passes, then the final pass
	Centered   bool
	OmegaSeed  uint64 // DeriveSeed(Seed, Key): the first PCG word of Ω
	// Gram runs the power passes in memory on the merged Gram matrix CᵀC
	// (the Gram schedule above): the data are read twice.
	Gram bool
}

// GramMaxCols is the widest matrix whose power passes may run on its Gram
// matrix: an n×n partial per shard in flight (32 MiB at n = 2048).
const GramMaxCols = 2048

// gramIsCheaper reports whether the Gram schedule costs fewer flops per row
// than q + 1 power passes of width l over n columns: n² < (q + 1)·4·n·l.
func gramIsCheaper(n, l, q int) bool {
	return n <= GramMaxCols && n < 4*(q+1)*l
}

// NewMultiPass resolves opts for a matrix of rows×cols. The row count must
// be the total over all shards: it fixes l and q and is checked against the
// merged partial of every pass (a missing or repeated shard is an error).
// NewMultiPass returns an error if rows or cols is not positive, K ≤ 0,
// K > min(rows, cols) or Oversample < 0.
func NewMultiPass(rows int64, cols int, opts MultiPassOptions) (*MultiPass, error) {
	if rows <= 0 || cols <= 0 {
		return nil, fmt.Errorf("linalg: NewMultiPass: %d×%d matrix, want a positive size", rows, cols)
	}
	mn := int(min(rows, int64(cols)))
	if opts.K <= 0 || opts.K > mn {
		return nil, fmt.Errorf("linalg: NewMultiPass: K = %d, want 0 < K ≤ min(m, n) = %d", opts.K, mn)
	}
	if opts.Oversample < 0 {
		return nil, fmt.Errorf("linalg: NewMultiPass: Oversample = %d, want ≥ 0", opts.Oversample)
	}
	p := opts.Oversample
	if p == 0 {
		p = DefaultOversample
	}
	q := opts.PowerIters
	if q < 0 {
		q = autoPowerIters(opts.K, mn)
	}
	l := min(opts.K+p, mn)
	return &MultiPass{
		Rows: rows, Cols: cols, K: opts.K, L: l, PowerIters: q,
		Centered: opts.Centered, OmegaSeed: DeriveSeed(opts.Seed, opts.Key),
		Gram: gramIsCheaper(cols, l, q),
	}, nil
}

// PowerPasses returns the number of power passes, q + 1.
func (mp *MultiPass) PowerPasses() int { return mp.PowerIters + 1 }

// Reads returns the number of reads of the data the method makes: q + 2,
// the power passes and the final pass, or 2 with the Gram schedule.
func (mp *MultiPass) Reads() int {
	if mp.Gram {
		return 2
	}
	return mp.PowerIters + 2
}

// FirstBasis returns the basis of pass 0: X₀ = orth(Ω), or with the Gram
// schedule the pass that sums CᵀC (no X). Ω is Cols×L standard Gaussian,
// filled in row-major order from PCG(OmegaSeed, 0x6c6f7764696d), the stream
// RandomizedSVD uses, and orthonormalised by Orthonormalize.
func (mp *MultiPass) FirstBasis() *PassBasis {
	if mp.Gram {
		return &PassBasis{Gram: true, Cols: mp.Cols, L: mp.L, Centered: mp.Centered}
	}
	return &PassBasis{Cols: mp.Cols, L: mp.L, Centered: mp.Centered, X: mp.omegaBasis().RawMatrix().Data}
}

func (mp *MultiPass) omegaBasis() *mat.Dense {
	omega := gaussian(rand.New(rand.NewPCG(mp.OmegaSeed, pcgStream)), mp.Cols, mp.L)
	Orthonormalize(omega)
	return omega
}

// Next returns the basis of the pass after b, given the merged partial of
// every shard for b: X' = orth(P), P = CᵀC·X (Orthonormalize: CholeskyQR2,
// or Householder when P is ill conditioned or rank deficient). The returned
// basis is Final after the last power pass. Next reads only b's header:
// b.X may be nil (a distributed run need not ship X back with every
// shard's partial).
//
// Next returns an error if b is the final pass, if merged is not b's pass
// or its shape differs, if merged.Rows is not mp.Rows, or if P is not
// finite.
func (mp *MultiPass) Next(b *PassBasis, merged *PassPartial) (*PassBasis, error) {
	if b.Final {
		return nil, errors.New("linalg: MultiPass.Next: the final pass has no next basis; call Finish")
	}
	if err := mp.checkPass(b, merged); err != nil {
		return nil, err
	}
	if !allFinite(merged.P) {
		return nil, fmt.Errorf("linalg: MultiPass.Next: pass %d: the product is not finite (NaN or ±Inf in the data?)", b.Pass)
	}
	if b.Gram {
		return mp.gramPowerPasses(merged), nil
	}
	p := mat.DenseCopyOf(mat.NewDense(mp.Cols, mp.L, merged.P))
	Orthonormalize(p)
	pass := b.Pass + 1
	return &PassBasis{
		Pass: pass, Final: pass == mp.PowerPasses(), Float32: !mp.Centered && pass < mp.PowerPasses()-2,
		Cols: mp.Cols, L: mp.L, Centered: mp.Centered, X: p.RawMatrix().Data,
	}, nil
}

// gramPowerPasses runs the q + 1 power passes on the merged Gram matrix,
// Xⱼ₊₁ = orth(G·Xⱼ) from X₀ = orth(Ω), and returns the final basis (pass 1).
func (mp *MultiPass) gramPowerPasses(merged *PassPartial) *PassBasis {
	g := mat.NewDense(mp.Cols, mp.Cols, merged.P)
	x := mp.omegaBasis()
	for range mp.PowerPasses() {
		p := mat.NewDense(mp.Cols, mp.L, nil)
		MulTallSkinny(p, g, x)
		Orthonormalize(p)
		x = p
	}
	return &PassBasis{Pass: 1, Final: true, Cols: mp.Cols, L: mp.L, Centered: mp.Centered, X: x.RawMatrix().Data}
}

// Finish returns the spectrum estimate from the merged partial of the final
// pass b: with C·X = Q·R (the TSQR of the final pass) and R = Z·Σ·Wᵀ,
// Sigma = Σ (l values, the first K asked for), V = X·W, and
// ResidualSq = ‖C‖_F² − ‖R‖_F² = ‖C − C·X·Xᵀ‖_F² (Pythagoras, X
// orthonormal). It bounds the error of every σ: with C = CXXᵀ + C(I − XXᵀ),
// CCᵀ = CXXᵀCᵀ + C(I − XXᵀ)Cᵀ, so by Weyl's inequality
// 0 ≤ σᵢ(C)² − σᵢ(CX)² ≤ ‖C(I − XXᵀ)‖₂² ≤ ResidualSq.
//
// Finish returns an error if b is not the final pass, if merged does not
// belong to it, if it is not finite, or if the SVD of R fails to converge.
func (mp *MultiPass) Finish(b *PassBasis, merged *PassPartial) (*SpectrumResult, error) {
	if !b.Final {
		return nil, fmt.Errorf("linalg: MultiPass.Finish: pass %d is a power pass; call Next", b.Pass)
	}
	if err := mp.checkPass(b, merged); err != nil {
		return nil, err
	}
	if math.IsNaN(merged.FrobSq) || math.IsInf(merged.FrobSq, 0) {
		return nil, errors.New("linalg: MultiPass.Finish: ‖A‖_F² is not finite (NaN or ±Inf in the data?)")
	}
	sigma, w, err := merged.Projected.Spectrum()
	if err != nil {
		return nil, err
	}
	v := mat.NewDense(mp.Cols, len(sigma), nil)
	v.Mul(mat.NewDense(mp.Cols, mp.L, b.X), w)
	canonicalSigns(v, nil)
	var captured float64
	for _, s := range sigma {
		captured += s * s
	}
	return &SpectrumResult{
		Method: MethodMultiPass, Rows: merged.Rows, Cols: mp.Cols, Centered: mp.Centered,
		Sigma: sigma, V: v, FrobSq: merged.FrobSq, ResidualSq: max(0, merged.FrobSq-captured),
		Reads: mp.Reads(),
	}, nil
}

func (mp *MultiPass) checkPass(b *PassBasis, merged *PassPartial) error {
	switch {
	case b.Cols != mp.Cols || b.L != mp.L || b.Centered != mp.Centered ||
		len(b.X) != b.xLen() && (b.Final || len(b.X) != 0): // a power pass's header may come without X
		return fmt.Errorf("linalg: MultiPass: basis of pass %d (%d×%d, centred %t) does not fit the plan (%d×%d, centred %t)",
			b.Pass, b.Cols, b.L, b.Centered, mp.Cols, mp.L, mp.Centered)
	case b.Gram && !mp.Gram:
		return errors.New("linalg: MultiPass: a Gram pass given to a plan without the Gram schedule")
	case merged.Pass != b.Pass || merged.Final != b.Final || merged.Gram != b.Gram:
		return fmt.Errorf("linalg: MultiPass: partial of pass %d given for pass %d", merged.Pass, b.Pass)
	case merged.Rows != mp.Rows:
		return fmt.Errorf("linalg: MultiPass: pass %d summed %d rows, the matrix has %d: a shard is missing or was counted twice",
			b.Pass, merged.Rows, mp.Rows)
	case merged.Cols != mp.Cols || merged.L != mp.L || merged.Centered != mp.Centered:
		return fmt.Errorf("linalg: MultiPass: partial of pass %d (%d×%d, centred %t) does not fit the plan", b.Pass, merged.Cols, merged.L, merged.Centered)
	}
	return merged.check()
}

// PassBasis is the orthonormal basis X (Cols×L) one pass multiplies every
// shard by (none for the Gram pass); it travels with every shard's task. It
// has only exported fields.
type PassBasis struct {
	Pass  int  // 0-based pass index
	Final bool // whether this is the final (TSQR) pass
	Gram  bool // whether this pass sums CᵀC (the Gram schedule's first pass; no X)
	// Float32 allows multiplying float32 data in float32 (Process32); see
	// "Float32" above for the passes that set it.
	Float32  bool
	Cols, L  int
	Centered bool
	X        []float64 // Cols×L, row-major, orthonormal columns
}

// xLen is the length of X: Cols×L, or 0 for the Gram pass.
func (b *PassBasis) xLen() int {
	if b.Gram {
		return 0
	}
	return b.Cols * b.L
}

// Process reads one shard (r×Cols) for the pass and returns its partial.
//
// Power pass: with μᵢ the shard's column means (when Centered),
// Y = AᵢX − 1(μᵢᵀX) = CᵢX and P = AᵢᵀY − μᵢ(1ᵀY) = CᵢᵀCᵢX, two tall-skinny
// products (MulTallSkinny, MulTransTallSkinny; 4·r·Cols·L flops, r×L extra
// memory); μᵢᵀX is taken as 1ᵀ(AᵢX)/r and μᵢ from a column of ones appended
// to Y, so no other sweep reads the shard. The shard is centred through Y,
// never copied: the subtracted μᵢ(1ᵀY), zero in exact arithmetic, removes
// the rounding of 1ᵀY, so the relative error of P grows like ε·‖μ‖/s (s the
// spread of the rows) instead of the ε·(‖μ‖/s)² of forming AᵀAX − mμμᵀX,
// and partials merge by Chan et al.'s update without cancellation (see
// PassPartial.Merge).
//
// Final pass: the TSQR R factor (RowQR.AddBlock, L columns) of the rows of
// AᵢX, centred by their own means μᵢᵀX when Centered (2·r·Cols·L flops for
// the product, O(r·L²) for the QR).
//
// Gram pass: CᵢᵀCᵢ (MulGram, r·Cols² flops), with Cᵢ = Aᵢ − 1μᵢᵀ formed
// explicitly in a copy when Centered (the shard's own means: merged by
// Chan et al.'s update, so again no ε·(‖μ‖/s)² cancellation).
//
// Every pass also counts the rows and, when Centered, sums the column means;
// the final pass sums them and ‖Cᵢ‖_F² in two sweeps (O(r·Cols) each, on
// the goroutines parallel.Reserve grants).
// Process returns an error if the block does not have Cols columns or the
// basis is inconsistent.
func (b *PassBasis) Process(block *mat.Dense) (*PassPartial, error) {
	r, c := block.Dims()
	if c != b.Cols {
		return nil, fmt.Errorf("linalg: PassBasis.Process: block has %d columns, basis has %d", c, b.Cols)
	}
	if b.L <= 0 || b.L > b.Cols || len(b.X) != b.xLen() {
		return nil, fmt.Errorf("linalg: PassBasis.Process: basis holds %d values, want %d×%d", len(b.X), b.Cols, b.L)
	}
	p := &PassPartial{Pass: b.Pass, Final: b.Final, Gram: b.Gram, Cols: c, L: b.L, Centered: b.Centered, Rows: int64(r)}
	if b.Final {
		p.Projected = RowQR{Cols: b.L, Centered: b.Centered}
	}
	if r == 0 {
		return p, nil
	}
	if b.Gram {
		src := block
		if b.Centered {
			p.Mean, _ = columnMoments(general64(block.RawMatrix()), false)
			src = mat.NewDense(r, c, nil)
			src.Apply(func(_, j int, v float64) float64 { return v - p.Mean[j] }, block)
		}
		g := mat.NewDense(c, c, nil)
		MulGram(g, src)
		p.P = g.RawMatrix().Data
		return p, nil
	}
	return projectPass(b, p, general64(block.RawMatrix()))
}

// projectPass computes the power or final pass of Process on the rows of a
// (float64, or float32 widened by the products as they read them) into p.
func projectPass[D element](b *PassBasis, p *PassPartial, a general[D]) (*PassPartial, error) {
	r, c, l := a.Rows, a.Cols, b.L
	x := general[float64]{Rows: c, Cols: l, Stride: l, Data: b.X}
	if b.Final {
		y := mat.NewDense(r, l, nil)
		if b.Centered {
			p.Mean, p.FrobSq = columnMoments(a, true)
			mulNN(general64(y.RawMatrix()), a, x, tiling64())
		} else {
			p.FrobSq = mulNNFrob(general64(y.RawMatrix()), a, x, tiling64(), true)
		}
		if err := p.Projected.AddBlock(y); err != nil {
			return nil, err
		}
		return p, nil
	}
	if !b.Centered {
		y := general[float64]{Rows: r, Cols: l, Stride: l, Data: make([]float64, r*l)}
		pm := general[float64]{Rows: c, Cols: l, Stride: l, Data: make([]float64, c*l)}
		mulPass(pm, y, a, x, tiling64())
		p.P = pm.Data
		return p, nil
	}
	// Centred: w = [Y | 1] with Y = AᵢX centred by its column means
	// μᵢᵀX = 1ᵀAᵢX/r, so that the one product Aᵢᵀw = [AᵢᵀY | r·μᵢ] also
	// sums the columns of Aᵢ (no separate sweep over the shard).
	w := general[float64]{Rows: r, Cols: l + 1, Stride: l + 1, Data: make([]float64, r*(l+1))}
	y := general[float64]{Rows: r, Cols: l, Stride: w.Stride, Data: w.Data}
	mulNN(y, a, x, tiling64())
	p.MeanX = make([]float64, l)
	for i := range r {
		floats.Add(p.MeanX, w.Data[i*w.Stride:i*w.Stride+l])
	}
	floats.Scale(1/float64(r), p.MeanX)
	colSums := make([]float64, l) // 1ᵀY after centring: zero but for rounding
	for i := range r {
		row := w.Data[i*w.Stride : i*w.Stride+l+1]
		for j, mx := range p.MeanX {
			row[j] -= mx
			colSums[j] += row[j]
		}
		row[l] = 1
	}
	pw := general[float64]{Rows: c, Cols: l + 1, Stride: l + 1, Data: make([]float64, c*(l+1))}
	mulTN(pw, a, w, false, tiling64())
	p.Mean = make([]float64, c)
	p.P = make([]float64, c*l)
	for k := range c {
		src := pw.Data[k*pw.Stride : k*pw.Stride+l+1]
		mu := src[l] / float64(r)
		p.Mean[k] = mu
		// P = AᵢᵀY − μᵢ·(1ᵀY)ᵀ = CᵢᵀY = CᵢᵀCᵢX.
		dst := p.P[k*l : (k+1)*l]
		for j, s := range colSums {
			dst[j] = src[j] - mu*s
		}
	}
	return p, nil
}

// Process32 is Process for a shard of float32 values (rows × Cols,
// row-major, as the file holds them). When b.Float32 is set (see "Float32"
// above) the two products of the power pass are taken in float32
// (MulTallSkinny32, MulTransTallSkinny32; about twice the float64 rate,
// half the bytes), X rounded to float32, and P returned in float64.
// Otherwise the pass is Process's on the values widened to float64, bit for
// bit: the products widen the values as they read them (see products.go),
// so no float64 copy of the shard is made; the Gram pass alone widens the
// shard into a float64 copy for MulGram.
// Process32 returns an error for a shard whose size is not rows × Cols.
func (b *PassBasis) Process32(rows, cols int, data []float32) (*PassPartial, error) {
	switch {
	case cols != b.Cols || len(data) != rows*cols:
		return nil, fmt.Errorf("linalg: PassBasis.Process32: %d values for %d × %d, basis has %d columns", len(data), rows, cols, b.Cols)
	case b.L <= 0 || b.L > b.Cols || len(b.X) != b.xLen():
		return nil, fmt.Errorf("linalg: PassBasis.Process32: basis holds %d values, want %d×%d", len(b.X), b.Cols, b.L)
	case !b.Float32 && !b.Gram:
		p := &PassPartial{Pass: b.Pass, Final: b.Final, Cols: cols, L: b.L, Centered: b.Centered, Rows: int64(rows)}
		if b.Final {
			p.Projected = RowQR{Cols: b.L, Centered: b.Centered}
		}
		if rows == 0 {
			return p, nil
		}
		return projectPass(b, p, general[float32]{Rows: rows, Cols: cols, Stride: cols, Data: data})
	case !b.Float32:
		buf := widenBuffers.get(rows * cols)
		defer widenBuffers.put(buf)
		widen(buf, data)
		return b.Process(mat.NewDense(rows, cols, buf))
	}
	p := &PassPartial{Pass: b.Pass, Cols: cols, L: b.L, Centered: b.Centered, Rows: int64(rows)}
	if rows == 0 {
		return p, nil
	}
	l := b.L
	a := blas32.General{Rows: rows, Cols: cols, Stride: cols, Data: data}
	x := blas32.General{Rows: cols, Cols: l, Stride: l, Data: make([]float32, cols*l)}
	for i, v := range b.X {
		x.Data[i] = float32(v)
	}
	// Y = AᵢX in float32; when Centered, Y is centred by its column means
	// μᵢᵀX and P = AᵢᵀY − μᵢ(1ᵀY) as in Process, with μᵢ summed in float64
	// from the float32 values (a float32 sum would put its rounding into
	// every entry of P).
	y := blas32.General{Rows: rows, Cols: l, Stride: l, Data: make([]float32, rows*l)}
	pt := blas32.General{Rows: cols, Cols: l, Stride: l, Data: make([]float32, cols*l)}
	if !b.Centered {
		mulPass(general32(pt), general32(y), general32(a), general32(x), tiling32())
	} else {
		MulTallSkinny32(y, a, x)
	}
	var colSums []float64
	if b.Centered {
		p.Mean = make([]float64, cols)
		for i := range rows {
			for k, v := range data[i*cols : (i+1)*cols] {
				p.Mean[k] += float64(v)
			}
		}
		floats.Scale(1/float64(rows), p.Mean)
		p.MeanX = make([]float64, l)
		for i := range rows {
			for j, v := range y.Data[i*l : (i+1)*l] {
				p.MeanX[j] += float64(v)
			}
		}
		floats.Scale(1/float64(rows), p.MeanX)
		colSums = make([]float64, l)
		for i := range rows {
			row := y.Data[i*l : (i+1)*l]
			for j, mx := range p.MeanX {
				row[j] = float32(float64(row[j]) - mx)
				colSums[j] += float64(row[j])
			}
		}
		MulTransTallSkinny32(pt, a, y)
	}
	p.P = make([]float64, cols*l)
	for k := range cols {
		dst, src := p.P[k*l:(k+1)*l], pt.Data[k*l:(k+1)*l]
		for j, v := range src {
			dst[j] = float64(v)
			if b.Centered {
				dst[j] -= p.Mean[k] * colSums[j]
			}
		}
	}
	return p, nil
}

// widen sets dst[i] = float64(src[i]), eight at a time.
func widen(dst []float64, src []float32) {
	dst = dst[:len(src)]
	i := 0
	for ; i+8 <= len(src); i += 8 {
		d, s := (*[8]float64)(dst[i:i+8]), (*[8]float32)(src[i:i+8])
		d[0], d[1], d[2], d[3] = float64(s[0]), float64(s[1]), float64(s[2]), float64(s[3])
		d[4], d[5], d[6], d[7] = float64(s[4]), float64(s[5]), float64(s[6]), float64(s[7])
	}
	for ; i < len(src); i++ {
		dst[i] = float64(src[i])
	}
}

// widenBuffers keeps the float64 copies of Process32's Gram pass for the
// next piece, one per core (a piece is up to 64 MB): a sync.Pool drops them
// at every collection, and a fresh one is zeroed before it is overwritten.
var widenBuffers = bufferList{free: make(chan []float64, 2)}

type bufferList struct{ free chan []float64 }

func (l bufferList) get(n int) []float64 {
	select {
	case b := <-l.free:
		if cap(b) >= n {
			return b[:n]
		}
	default:
	}
	return make([]float64, n)
}

func (l bufferList) put(b []float64) {
	select {
	case l.free <- b:
	default:
	}
}

// PassPartial is the contribution of one shard, or of a merged group of
// shards, to one pass. It has only exported fields so that it can serve as a
// Beam combiner accumulator; a partial with Rows = 0 (e.g. the zero value) is
// the identity of Merge. Its size is O(Cols·L) for a power pass and
// O(Cols + L²) for the final pass, whatever the number of rows.
type PassPartial struct {
	Pass     int
	Final    bool
	Gram     bool // P is CᵀC (Cols×Cols), the Gram schedule's first pass
	Cols, L  int
	Centered bool
	Rows     int64
	Mean     []float64 // column means μ of the rows (when Centered)
	// FrobSq is ‖C‖_F² of the rows (C = A − 1μᵀ when Centered, else A),
	// summed directly and merged by Chan et al.'s update; final pass only
	// (0 in power passes).
	FrobSq float64
	// MeanX is μᵀX (L values; power passes, when Centered).
	MeanX []float64
	// P is CᵀC·X (Cols×L, row-major; power passes), or CᵀC (Cols×Cols) in
	// the Gram pass.
	P []float64
	// Projected is the TSQR summary of the rows of A·X (L columns, centred
	// when Centered: its Mean is μᵀX) in the final pass.
	Projected RowQR
}

// Finite reports whether every value of p is finite (no NaN or ±Inf).
func (p *PassPartial) Finite() bool {
	return allFinite(p.P) && allFinite(p.Mean) && allFinite(p.MeanX) && allFinite([]float64{p.FrobSq}) &&
		allFinite(p.Projected.R) && allFinite(p.Projected.Mean)
}

// Merge sets p to the partial of the rows of p and o together; o is not
// modified. It is associative and commutative up to rounding, and a partial
// with Rows = 0 is its identity. With n = nₐ + n_b and δ = μ_b − μₐ, Chan,
// Golub & LeVeque's pairwise update (see RowQR) gives
//
//	CᵀC·X = CₐᵀCₐX + C_bᵀC_bX + (nₐn_b/n)·δ·(δᵀX),  δᵀX = μ_bᵀX − μₐᵀX,
//
// a sum of positive semidefinite terms applied to X: no cancellation, and no
// need for X (μᵀX travels in MeanX). The final pass merges its TSQR factors
// by RowQR.Merge. Means and FrobSq merge as in RowQR.
//
// Like RowQR.Merge it never writes to the slices of p or o, so copies of
// partials passed by value stay valid.
//
// Merge returns an error if both partials are non-empty and belong to
// different passes or shapes, or if either is inconsistent.
func (p *PassPartial) Merge(o *PassPartial) error { return p.merge(o, false) }

// Absorb is Merge for partials that nothing else holds (a shard's running
// sum and the fresh partial of its next piece): it adds o's P into p's in
// place and may take o's slices, so a shard's pieces allocate no sums. o
// must not be used afterwards.
func (p *PassPartial) Absorb(o *PassPartial) error { return p.merge(o, true) }

func (p *PassPartial) merge(o *PassPartial, owned bool) error {
	if p.Rows > 0 && o.Rows > 0 && (p.Pass != o.Pass || p.Final != o.Final || p.Gram != o.Gram || p.Cols != o.Cols || p.L != o.L || p.Centered != o.Centered) {
		return fmt.Errorf("linalg: PassPartial.Merge: partials of pass %d (%d×%d, centred %t) and pass %d (%d×%d, centred %t)",
			p.Pass, p.Cols, p.L, p.Centered, o.Pass, o.Cols, o.L, o.Centered)
	}
	if err := o.check(); err != nil {
		return err
	}
	if err := p.check(); err != nil {
		return err
	}
	if o.Rows == 0 {
		return nil
	}
	if p.Rows == 0 && owned {
		*p = *o
		return nil
	}
	if p.Rows == 0 {
		*p = PassPartial{
			Pass: o.Pass, Final: o.Final, Gram: o.Gram, Cols: o.Cols, L: o.L, Centered: o.Centered, Rows: o.Rows,
			Mean: append([]float64(nil), o.Mean...), FrobSq: o.FrobSq,
			MeanX: append([]float64(nil), o.MeanX...), P: append([]float64(nil), o.P...),
		}
		return p.Projected.Merge(&o.Projected)
	}
	na, nb := float64(p.Rows), float64(o.Rows)
	n := na + nb
	projected := p.Projected
	var sum []float64
	if p.Final {
		if err := projected.Merge(&o.Projected); err != nil {
			return err
		}
	} else {
		sum = p.P
		if !owned {
			sum = make([]float64, len(p.P))
		}
		for i, x := range o.P {
			sum[i] = p.P[i] + x
		}
	}
	mean, meanX, frob := p.Mean, p.MeanX, p.FrobSq+o.FrobSq
	if p.Centered {
		w2 := na * nb / n
		if p.Gram {
			// CᵀC += w²·δδᵀ.
			for k := range p.Cols {
				d := w2 * (o.Mean[k] - p.Mean[k])
				row := sum[k*p.Cols : (k+1)*p.Cols]
				for j := range row {
					row[j] += d * (o.Mean[j] - p.Mean[j])
				}
			}
		} else if !p.Final {
			// P += w²·δ·(δᵀX), δᵀX = MeanX_b − MeanX_a.
			dx := make([]float64, p.L)
			meanX = make([]float64, p.L)
			for j := range dx {
				dx[j] = w2 * (o.MeanX[j] - p.MeanX[j])
				meanX[j] = (na*p.MeanX[j] + nb*o.MeanX[j]) / n
			}
			for k := range p.Cols {
				d := o.Mean[k] - p.Mean[k]
				row := sum[k*p.L : (k+1)*p.L]
				for j, s := range dx {
					row[j] += d * s
				}
			}
		}
		mean = make([]float64, p.Cols)
		var deltaSq float64
		for k := range mean {
			d := o.Mean[k] - p.Mean[k]
			deltaSq += d * d
			mean[k] = (na*p.Mean[k] + nb*o.Mean[k]) / n
		}
		frob += w2 * deltaSq
	}
	p.Rows += o.Rows
	p.Mean, p.MeanX, p.FrobSq, p.P, p.Projected = mean, meanX, frob, sum, projected
	return nil
}

// check reports an inconsistent partial (e.g. a corrupt decoded accumulator).
func (p *PassPartial) check() error {
	switch {
	case p.Rows < 0:
		return fmt.Errorf("linalg: PassPartial: %d rows", p.Rows)
	case p.Rows == 0:
		return nil
	case p.Centered && len(p.Mean) != p.Cols:
		return fmt.Errorf("linalg: PassPartial: %d column means, want %d", len(p.Mean), p.Cols)
	case p.Gram && (p.Final || len(p.P) != p.Cols*p.Cols):
		return fmt.Errorf("linalg: PassPartial: Gram partial holds %d values (final %t), want %d×%d", len(p.P), p.Final, p.Cols, p.Cols)
	case !p.Final && !p.Gram && len(p.P) != p.Cols*p.L:
		return fmt.Errorf("linalg: PassPartial: P holds %d values, want %d×%d", len(p.P), p.Cols, p.L)
	case !p.Final && !p.Gram && p.Centered && len(p.MeanX) != p.L:
		return fmt.Errorf("linalg: PassPartial: MeanX holds %d values, want %d", len(p.MeanX), p.L)
	case p.Final && (p.Projected.Cols != p.L || p.Projected.Rows != p.Rows || p.Projected.Centered != p.Centered):
		return fmt.Errorf("linalg: PassPartial: projected summary of %d rows × %d columns (centred %t), want %d × %d (centred %t)",
			p.Projected.Rows, p.Projected.Cols, p.Projected.Centered, p.Rows, p.L, p.Centered)
	}
	return p.Projected.check()
}

// Run runs the whole method in memory over the row shards (in order, merged
// left to right) and returns its result: the single-machine reference for a
// distributed run, which reads each shard mp.Reads() times. Run returns the
// first error of Process, Merge, Next or Finish.
func (mp *MultiPass) Run(shards []*mat.Dense) (*SpectrumResult, error) {
	b := mp.FirstBasis()
	for {
		var merged PassPartial
		for _, sh := range shards {
			p, err := b.Process(sh)
			if err != nil {
				return nil, err
			}
			if err := merged.Merge(p); err != nil {
				return nil, err
			}
		}
		if b.Final {
			return mp.Finish(b, &merged)
		}
		next, err := mp.Next(b, &merged)
		if err != nil {
			return nil, err
		}
		b = next
	}
}

// ExactSpectrum runs the exact method (RowQR) in memory over the row shards,
// merged left to right, and returns its result.
func ExactSpectrum(shards []*mat.Dense, centered bool) (*SpectrumResult, error) {
	if len(shards) == 0 {
		return nil, errors.New("linalg: ExactSpectrum: no shards")
	}
	_, c := shards[0].Dims()
	acc := NewRowQR(c, centered)
	for _, sh := range shards {
		if err := acc.AddBlock(sh); err != nil {
			return nil, err
		}
	}
	return acc.Finish()
}

// momentChunks returns the number of row chunks of columnMoments and the
// rows per chunk: at most 32 chunks of at least 256 rows, a function of the
// row count only.
func momentChunks(rows int) (chunks, rowsPer int) {
	rowsPer = max(256, (rows+31)/32)
	return (rows + rowsPer - 1) / rowsPer, rowsPer
}

// columnMoments returns the column means μ of a and, when wantFrob is set,
// Σᵢⱼ (aᵢⱼ − μⱼ)² (two sweeps, so no cancellation; four interleaved
// accumulators per chunk, combined in a fixed order). Rows are cut into fixed
// chunks (momentChunks) shared among the goroutines parallel.Reserve grants; each chunk is
// summed sequentially and the chunk sums are added in chunk order, so the
// result is bit-for-bit independent of the worker count and scheduling.
func columnMoments[D element](raw general[D], wantFrob bool) (mean []float64, frobSq float64) {
	r, c := raw.Rows, raw.Cols
	mean = make([]float64, c)
	if r == 0 {
		return mean, 0
	}
	chunks, rowsPer := momentChunks(r)
	workers, release := 1, func() {}
	if float64(r)*float64(c) >= 4*frobeniusChunkEntries {
		workers, release = parallel.Reserve(chunks)
	}
	defer release()
	sweep := func(each func(ch int)) {
		var next atomic.Int64
		parallelFor(workers, func(int) {
			for {
				ch := int(next.Add(1) - 1)
				if ch >= chunks {
					return
				}
				each(ch)
			}
		})
	}
	sums := make([]float64, chunks*c)
	sweep(func(ch int) {
		s := sums[ch*c : (ch+1)*c]
		for i := ch * rowsPer; i < min(r, (ch+1)*rowsPer); i++ {
			addWidened(s, raw.Data[i*raw.Stride:i*raw.Stride+c])
		}
	})
	for ch := range chunks {
		for j, x := range sums[ch*c : (ch+1)*c] {
			mean[j] += x
		}
	}
	for j := range mean {
		mean[j] /= float64(r)
	}
	if !wantFrob {
		return mean, 0
	}
	sq := make([]float64, chunks)
	sweep(func(ch int) {
		var s0, s1, s2, s3 float64
		for i := ch * rowsPer; i < min(r, (ch+1)*rowsPer); i++ {
			row := raw.Data[i*raw.Stride : i*raw.Stride+c]
			mu := mean[:len(row)]
			j := 0
			for ; j+4 <= len(row); j += 4 {
				d0, d1, d2, d3 := float64(row[j])-mu[j], float64(row[j+1])-mu[j+1], float64(row[j+2])-mu[j+2], float64(row[j+3])-mu[j+3]
				s0 += d0 * d0
				s1 += d1 * d1
				s2 += d2 * d2
				s3 += d3 * d3
			}
			for ; j < len(row); j++ {
				d := float64(row[j]) - mu[j]
				s0 += d * d
			}
		}
		sq[ch] = (s0 + s1) + (s2 + s3)
	})
	for _, s := range sq {
		frobSq += s
	}
	return mean, frobSq
}

// addWidened sets s[j] += float64(row[j]).
func addWidened[D element](s []float64, row []D) {
	if r64, ok := any(row).([]float64); ok {
		floats.Add(s, r64)
		return
	}
	s = s[:len(row)]
	for j, v := range row {
		s[j] += float64(v)
	}
}

// allFinite reports whether no element of x is NaN or ±Inf.
func allFinite(x []float64) bool {
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return false
		}
	}
	return true
}
