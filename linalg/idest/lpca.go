package idest

import (
	"fmt"
	"math"
	"slices"
	"sync"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

// PCA dimension rules of LPCA, as scikit-dimension's lPCA names them
// (ver = "FO", "Fan", "maxgap").
const (
	// FukunagaOlsen counts the eigenvalues λᵢ > α·λ₁ (Fukunaga & Olsen
	// 1971, "An algorithm for finding intrinsic dimensionality of data",
	// IEEE Trans. Computers C-20(2)); α is LPCA.AlphaFO.
	FukunagaOlsen = "FO"
	// Fan is the rule of Fan, Qiao & Zhang 2010 ("Intrinsic dimension
	// estimation of manifolds by incising balls", Pattern Recognition
	// 42(5)), as Johnsson's intrinsicDimension package and scikit-dimension
	// state it: r is the first index at which the cumulative variance
	// exceeds P·Σλ, σ the mean of λ_r … λ_m (the noise level), λ' = λ − σ;
	// the dimension is 1 + the first index i (0-based) at which either the
	// gap λ'ᵢ/λ'ᵢ₊₁ > α or the cumulative Σ_{j≤i} λ'ⱼ > β·Σλ'. α, β, P are
	// LPCA.AlphaFan, BetaFan and PFan.
	Fan = "Fan"
	// MaxGap is the position of the largest ratio λᵢ/λᵢ₊₁ of consecutive
	// eigenvalues (the first, if several are equal).
	MaxGap = "maxgap"
)

// LPCA estimates the intrinsic dimension from the eigenvalues of a
// covariance matrix by one of the rules FukunagaOlsen, Fan or MaxGap: of
// the whole cloud (Global, Moments), or of each point's neighbourhood
// (Local, LocalMean: Fukunaga & Olsen's local PCA).
type LPCA struct {
	// Rule is FukunagaOlsen, Fan or MaxGap.
	Rule string
	// AlphaFO is the Fukunaga–Olsen threshold α (λᵢ > α·λ₁ counts).
	AlphaFO float64
	// AlphaFan, BetaFan and PFan are Fan's gap threshold α, cumulative
	// threshold β and noise-free fraction P.
	AlphaFan, BetaFan, PFan float64
}

// DefaultLPCA is scikit-dimension's lPCA default: the Fukunaga–Olsen rule
// with α = 0.05, and Fan's rule with α = 10, β = 0.8, P = 0.95.
var DefaultLPCA = LPCA{Rule: FukunagaOlsen, AlphaFO: 0.05, AlphaFan: 10, BetaFan: 0.8, PFan: 0.95}

// WithRule returns p with its rule replaced.
func (p LPCA) WithRule(rule string) LPCA {
	p.Rule = rule
	return p
}

func (p LPCA) check() error {
	switch p.Rule {
	case FukunagaOlsen, Fan, MaxGap:
		return nil
	}
	return fmt.Errorf("idest: PCA rule %q: want %s, %s or %s", p.Rule, FukunagaOlsen, Fan, MaxGap)
}

// Dimension applies the rule to eigenvalues λ₁ ≥ λ₂ ≥ … ≥ λ_m (at least 2;
// the explained variances of a PCA). Before the rule, eigenvalues at most
// m·ε·λ₁ are set to 0: they are rounding noise of a rank-deficient
// covariance, and their ratios would otherwise decide MaxGap and Fan (for
// instance 5 equal eigenvalues and 15 zeros give MaxGap 5, where ratios of
// noise could give anything). It returns NaN where the rule is undefined
// (all eigenvalues 0; no index satisfying Fan's tests; a MaxGap of only
// 0/0 ratios), except that Fan returns 1 when λ₁ alone exceeds P·Σλ (where
// scikit-dimension fails on an empty minimum). It returns an error for an
// unknown rule or fewer than 2 eigenvalues.
func (p LPCA) Dimension(eigenvalues []float64) (float64, error) {
	if err := p.check(); err != nil {
		return 0, err
	}
	m := len(eigenvalues)
	if m < 2 {
		return 0, fmt.Errorf("idest: PCA rule on %d eigenvalues: want at least 2", m)
	}
	lam := slices.Clone(eigenvalues)
	tol := float64(m) * 0x1p-52 * lam[0]
	for i, v := range lam {
		if v <= tol {
			lam[i] = 0
		}
	}
	if !(lam[0] > 0) {
		return math.NaN(), nil
	}
	switch p.Rule {
	case FukunagaOlsen:
		n := 0
		for _, v := range lam {
			if v > p.AlphaFO*lam[0] {
				n++
			}
		}
		return float64(n), nil
	case MaxGap:
		best, at := math.NaN(), -1
		for i := 0; i+1 < m; i++ {
			g := lam[i] / lam[i+1]
			if !math.IsNaN(g) && (at < 0 || g > best) {
				best, at = g, i
			}
		}
		if at < 0 {
			return math.NaN(), nil
		}
		return float64(at + 1), nil
	}
	return p.fan(lam), nil
}

// fan is the Fan rule on eigenvalues with λ₁ > 0.
func (p LPCA) fan(lam []float64) float64 {
	m := len(lam)
	var total float64
	for _, v := range lam {
		total += v
	}
	r, cum := -1, 0.0
	for i, v := range lam {
		cum += v
		if cum/total > p.PFan {
			r = i
			break
		}
	}
	switch r {
	case -1:
		return math.NaN()
	case 0:
		return 1
	}
	var sigma float64
	for _, v := range lam[r:] {
		sigma += v
	}
	sigma /= float64(m - r)
	shifted := make([]float64, m)
	var shiftedTotal float64
	for i, v := range lam {
		shifted[i] = v - sigma
		shiftedTotal += shifted[i]
	}
	cum = 0
	for i := 0; i < m; i++ {
		cum += shifted[i]
		if (i+1 < m && shifted[i]/shifted[i+1] > p.AlphaFan) || cum/shiftedTotal > p.BetaFan {
			return float64(i + 1)
		}
	}
	return math.NaN()
}

// covarianceEigenvalues returns the eigenvalues of the sample covariance
// (divisor n−1) of the n×D rows v, which must be centred, in decreasing
// order: the first min(n−1, D), those a centred n-row sample can have
// nonzero. It uses VᵀV (D×D) or, when n−1 < D, VVᵀ (n×n), which has the same
// nonzero eigenvalues.
func covarianceEigenvalues(v *mat.Dense) ([]float64, error) {
	n, d := v.Dims()
	m := min(n-1, d)
	var prod mat.Dense
	if d <= n-1 {
		linalg.MulTransTallSkinny(&prod, v, v)
	} else {
		vt := mat.DenseCopyOf(v.T())
		linalg.MulTallSkinny(&prod, v, vt)
	}
	s, _ := prod.Dims()
	raw := prod.RawMatrix()
	sym := mat.NewSymDense(s, nil)
	for i := 0; i < s; i++ {
		for j := i; j < s; j++ {
			sym.SetSym(i, j, raw.Data[i*raw.Stride+j]/float64(n-1))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return nil, fmt.Errorf("idest: PCA: eigendecomposition of a %d×%d covariance failed", s, s)
	}
	vals := eig.Values(nil)
	slices.Reverse(vals)
	return vals[:m], nil
}

// Global applies the rule to the covariance eigenvalues of all rows of x
// (scikit-dimension's lPCA.fit on the whole cloud): the first min(n−1, D)
// eigenvalues of the sample covariance. Its spread is NaN and N is the
// number of rows. It returns an error for fewer than 3 rows, fewer than 2
// columns, a failed eigendecomposition or an unknown rule.
func (p LPCA) Global(x mat.Matrix) (Estimate, error) {
	if err := p.check(); err != nil {
		return Estimate{}, err
	}
	n, d := x.Dims()
	if n < 3 || d < 2 {
		return Estimate{}, fmt.Errorf("idest: PCA rule on %d×%d rows: want at least 3×2", n, d)
	}
	lam, err := covarianceEigenvalues(centred(mat.DenseCopyOf(x)))
	if err != nil {
		return Estimate{}, err
	}
	dim, err := p.Dimension(lam)
	return Estimate{Value: dim, Spread: math.NaN(), N: n}, err
}

// Moments applies the rule to the covariance eigenvalues of the rows
// accumulated in m (merged exactly over shards; see Moments.PCA for the
// covariance): all D eigenvalues, or the first N−1 if N−1 < D. The result
// is that of Global up to rounding, whatever the sharding.
func (p LPCA) Moments(m *Moments) (Estimate, error) {
	if err := p.check(); err != nil {
		return Estimate{}, err
	}
	d := len(m.Sum)
	if m.N < 3 || d < 2 {
		return Estimate{}, fmt.Errorf("idest: PCA rule on %d×%d rows: want at least 3×2", m.N, d)
	}
	cov := mat.NewSymDense(d, nil)
	n := float64(m.N)
	for i := 0; i < d; i++ {
		for j := i; j < d; j++ {
			cov.SetSym(i, j, (m.Cross[i*d+j]-m.Sum[i]*m.Sum[j]/n)/(n-1))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, false) {
		return Estimate{}, fmt.Errorf("idest: PCA: eigendecomposition failed")
	}
	lam := eig.Values(nil)
	slices.Reverse(lam)
	dim, err := p.Dimension(lam[:min(m.N-1, d)])
	return Estimate{Value: dim, Spread: math.NaN(), N: m.N}, err
}

// localPCA returns the rule's dimension of every point's neighbourhood.
func (p LPCA) localPCA(g *KNN, k, workers int) ([]float64, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	w, err := checkLocal("local PCA", g, k, 3, workers)
	if err != nil {
		return nil, err
	}
	_, d := g.Points().Dims()
	if d < 2 {
		return nil, fmt.Errorf("idest: local PCA of %d-column rows: want at least 2", d)
	}
	scratch := make([]patchScratch, w)
	var (
		mu     sync.Mutex
		failed error
	)
	out := perPoint(g, w, func(i, wk int) float64 {
		e := &scratch[wk]
		_, nb := g.Neighbours(i)
		v := e.centre(k, d, func(m int, dst []float64) { copy(dst, g.Points().RawRowView(int(nb[m]))) })
		lam, err := covarianceEigenvalues(v)
		if err != nil {
			mu.Lock()
			failed = err
			mu.Unlock()
			return math.NaN()
		}
		dim, _ := p.Dimension(lam)
		return dim
	})
	if failed != nil {
		return nil, failed
	}
	return out, nil
}

// Local returns, for every row, the rule applied to the covariance
// eigenvalues of the neighbourhood N_k(x) of its point (the first
// min(k−1, D), divisor k−1), as scikit-dimension's lPCA.fit_pw gives
// (default k = 100). Cost O(k·D·min(k, D) + min(k, D)³) per point. It
// returns an error if k < 3, k > g.K(), the points have fewer than 2
// columns, the rule is unknown or an eigendecomposition fails.
func (p LPCA) Local(g *KNN, k, workers int) ([]float64, error) {
	v, err := p.localPCA(g, k, workers)
	if err != nil {
		return nil, err
	}
	return g.ToRows(v), nil
}

// LocalMean is the mean over the points of g of the local dimensions
// (PoolMean), Fukunaga & Olsen's local-PCA estimate of the whole cloud.
func (p LPCA) LocalMean(g *KNN, k, workers int) (Estimate, error) {
	v, err := p.localPCA(g, k, workers)
	if err != nil {
		return Estimate{}, err
	}
	return PoolMean(v), nil
}
