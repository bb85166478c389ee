package idest

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

// ESS versions (Johnsson, Soneson & Fontes 2015, "Low bias local intrinsic
// dimension estimation from expected simplex skewness", IEEE TPAMI 37(1),
// §3). Both use simplices of d = 1, i.e. pairs of centred neighbours, as
// scikit-dimension's ESS does by default (ver = "a", d = 1).
const (
	// ESSA is the expected relative volume of the parallelogram spanned by
	// two centred neighbours: Σ|vᵢ||vⱼ| sin θᵢⱼ / Σ|vᵢ||vⱼ|.
	ESSA = "a"
	// ESSB is the expected relative length of the projection of one
	// centred neighbour on another: Σ|vᵢ||vⱼ| |cos θᵢⱼ| / Σ|vᵢ||vⱼ|.
	ESSB = "b"
)

// ESSStatistic returns the expected simplex skewness of a neighbourhood, the
// rows of nb (at least 2 rows, D ≥ 2 columns): with vᵢ the rows minus their
// mean and G = VVᵀ their Gram matrix, over all pairs i < j,
//
//	ESS_a = Σ √|GᵢᵢGⱼⱼ − Gᵢⱼ²| / Σ √(GᵢᵢGⱼⱼ),
//	ESS_b = Σ |Gᵢⱼ| / Σ √(GᵢᵢGⱼⱼ)
//
// (Johnsson et al. 2015, eqs. (3)–(5) with d = 1: the volume of the simplex
// spanned by vᵢ, vⱼ over the product of their lengths, weighted by that
// product). All pairs are used, where scikit-dimension draws 5,000 at random
// when there are more (k > 100); with k ≤ 100 the two agree. It returns NaN
// if every vᵢ is 0, and an error for an unknown version or a neighbourhood
// of fewer than 2 rows or 2 columns.
func ESSStatistic(nb mat.Matrix, version string) (float64, error) {
	k, d := nb.Dims()
	if version != ESSA && version != ESSB {
		return 0, fmt.Errorf("idest: ESS version %q: want %s or %s", version, ESSA, ESSB)
	}
	if k < 2 || d < 2 {
		return 0, fmt.Errorf("idest: ESS of a %d×%d neighbourhood: want at least 2×2", k, d)
	}
	var e patchScratch
	v := e.centre(k, d, func(i int, row []float64) { mat.Row(row, i, nb) })
	return e.statistic(v, version), nil
}

// patchScratch holds the buffers of one neighbourhood (a patch of the
// cloud): its centred rows and their Gram matrix.
type patchScratch struct {
	v, vt, gram []float64
	mean        []float64
}

// centre fills the k×D matrix of rows (row(i, dst) writes row i) minus their
// mean and returns it.
func (e *patchScratch) centre(k, d int, row func(i int, dst []float64)) *mat.Dense {
	e.v = resize(e.v, k*d)
	e.mean = resize(e.mean, d)
	clear(e.mean)
	for i := 0; i < k; i++ {
		r := e.v[i*d : (i+1)*d]
		row(i, r)
		for j, x := range r {
			e.mean[j] += x
		}
	}
	for j := range e.mean {
		e.mean[j] /= float64(k)
	}
	for i := 0; i < k; i++ {
		r := e.v[i*d : (i+1)*d]
		for j := range r {
			r[j] -= e.mean[j]
		}
	}
	return mat.NewDense(k, d, e.v)
}

// gramOf returns VVᵀ (k×k, row-major) of the k×D matrix v.
func (e *patchScratch) gramOf(v *mat.Dense) []float64 {
	k, d := v.Dims()
	e.vt = resize(e.vt, d*k)
	for i := 0; i < k; i++ {
		for j, x := range v.RawRowView(i) {
			e.vt[j*k+i] = x
		}
	}
	e.gram = resize(e.gram, k*k)
	linalg.MulTallSkinny(mat.NewDense(k, k, e.gram), v, mat.NewDense(d, k, e.vt))
	return e.gram
}

// statistic returns the ESS of the centred rows v.
func (e *patchScratch) statistic(v *mat.Dense, version string) float64 {
	k, _ := v.Dims()
	g := e.gramOf(v)
	var num, den float64
	for i := 0; i < k; i++ {
		gii := g[i*k+i]
		for j := i + 1; j < k; j++ {
			gjj, gij := g[j*k+j], g[i*k+j]
			den += math.Sqrt(gii * gjj)
			if version == ESSA {
				num += math.Sqrt(math.Abs(gii*gjj - gij*gij))
			} else {
				num += math.Abs(gij)
			}
		}
	}
	if den == 0 {
		return math.NaN()
	}
	return num / den
}

func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// essReference returns the ESS of a uniform distribution on the n-ball
// (Johnsson et al. 2015, eqs. (6)–(7), d = 1): E|sin θ| and E|cos θ| of two
// independent uniform directions in Rⁿ,
//
//	a: Γ(n/2)² / (Γ((n+1)/2) Γ((n−1)/2)) for n ≥ 2, and 0 for n = 1,
//	b: Γ(n/2) / (√π Γ((n+1)/2)).
//
// a increases from 0 to 1 with n, b decreases from 1 to 0.
func essReference(n int, version string) float64 {
	h := float64(n) / 2
	lg := func(x float64) float64 { v, _ := math.Lgamma(x); return v }
	if version == ESSA {
		if n == 1 {
			return 0
		}
		return math.Exp(2*lg(h) - lg(h+0.5) - lg(h-0.5))
	}
	return math.Exp(lg(h)-lg(h+0.5)) / math.SqrtPi
}

// ESSDimension returns the dimension whose reference ESS (a uniform ball)
// equals s, interpolating linearly between integers as scikit-dimension
// does: with n the largest integer whose reference is ≤ s (version a) or
// > s (version b), d = n + (s − ref(n)) / (ref(n+1) − ref(n)). It returns
// 1 for s at or beyond the 1-dimensional reference, +Inf for s at or beyond
// the limit of the reference (1 for a, 0 for b), NaN for NaN and an error
// for an unknown version.
func ESSDimension(s float64, version string) (float64, error) {
	if version != ESSA && version != ESSB {
		return 0, fmt.Errorf("idest: ESS version %q: want %s or %s", version, ESSA, ESSB)
	}
	if math.IsNaN(s) {
		return math.NaN(), nil
	}
	// below(n): the reference at n is on the low-dimensional side of s.
	below := func(n int) bool {
		if version == ESSA {
			return essReference(n, version) <= s
		}
		return essReference(n, version) > s
	}
	if !below(1) {
		return 1, nil
	}
	if (version == ESSA && s >= 1) || (version == ESSB && s <= 0) {
		return math.Inf(1), nil
	}
	lo, hi := 1, 2
	for below(hi) {
		lo, hi = hi, 2*hi
		if hi > 1<<40 {
			return math.Inf(1), nil
		}
	}
	for hi-lo > 1 { // below(lo), !below(hi)
		mid := lo + (hi-lo)/2
		if below(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	r0, r1 := essReference(lo, version), essReference(lo+1, version)
	return float64(lo) + (s-r0)/(r1-r0), nil
}

// localESS returns the ESS dimension of every point (see LocalESS).
func localESS(g *KNN, k int, version string, workers int) ([]float64, error) {
	w, err := checkLocal("local ESS", g, k, 2, workers)
	if err != nil {
		return nil, err
	}
	if _, err := ESSDimension(0.5, version); err != nil {
		return nil, err
	}
	_, d := g.Points().Dims()
	if d < 2 {
		return nil, fmt.Errorf("idest: ESS of %d-column rows: want at least 2", d)
	}
	scratch := make([]patchScratch, w)
	return perPoint(g, w, func(i, wk int) float64 {
		e := &scratch[wk]
		_, nb := g.Neighbours(i)
		v := e.centre(k, d, func(m int, dst []float64) { copy(dst, g.Points().RawRowView(int(nb[m]))) })
		dim, _ := ESSDimension(e.statistic(v, version), version)
		return dim
	}), nil
}

// LocalESS returns, for every row, the ESS dimension of the neighbourhood
// N_k(x) of its point (Johnsson et al. 2015; ESSStatistic then
// ESSDimension), as scikit-dimension's ESS.fit gives in dimension_pw_
// (default k = 100). Cost O(k²·D) per point. It returns an error if k < 2,
// k > g.K(), the points have fewer than 2 columns or the version is unknown.
func LocalESS(g *KNN, k int, version string, workers int) ([]float64, error) {
	v, err := localESS(g, k, version, workers)
	if err != nil {
		return nil, err
	}
	return g.ToRows(v), nil
}

// ESS returns the mean of the local ESS dimensions over the points of g
// (PoolMean; scikit-dimension's ESS.fit, comb = "mean"), with its standard
// error.
func ESS(g *KNN, k int, version string, workers int) (Estimate, error) {
	v, err := localESS(g, k, version, workers)
	if err != nil {
		return Estimate{}, err
	}
	return PoolMean(v), nil
}
