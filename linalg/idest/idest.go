// Package idest estimates the intrinsic dimension of a point cloud (the rows
// of a matrix): the Levina–Bickel maximum-likelihood estimator, TwoNN and the
// PCA energy rank. Neighbours are exact (brute force, O(n²·D) via the Gram
// matrix), so the estimators are meant for shards of a few thousand rows.
//
// Each estimator is split into a per-point statistic and a pooling step, so
// the statistics of several shards can be pooled into one overall estimate
// (with neighbours found within each shard).
package idest

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/lowdim/lowdim/linalg"
)

// Estimate is an intrinsic-dimension estimate with its spread: the
// standard error of the estimate as defined by each estimator (NaN when it
// has none), and N, the number of points it used.
type Estimate struct {
	Value  float64
	Spread float64
	N      int
}

// dedupRows returns the distinct rows of x (exact equality), in first-seen order.
func dedupRows(x mat.Matrix) *mat.Dense {
	n, d := x.Dims()
	seen := make(map[string]bool, n)
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
		if seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		keep = append(keep, row...)
	}
	if len(keep) == 0 {
		return nil
	}
	return mat.NewDense(len(keep)/d, d, keep)
}

// neighbours returns, for each row of x, the distances to its k nearest other
// rows in increasing order (n×k, row-major). Squared distances come from
// ‖a‖² + ‖b‖² − 2aᵀb, clamped at 0; ties keep the lower row index.
func neighbours(x *mat.Dense, k int) []float64 {
	n, _ := x.Dims()
	var g mat.Dense
	g.Mul(x, x.T())
	sq := make([]float64, n)
	for i := range sq {
		sq[i] = g.At(i, i)
	}
	out := make([]float64, n*k)
	best := make([]float64, 0, k+1)
	for i := 0; i < n; i++ {
		best = best[:0]
		gi := g.RawRowView(i)
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			d2 := max(sq[i]+sq[j]-2*gi[j], 0)
			if len(best) == k && d2 >= best[k-1] {
				continue
			}
			p, _ := slices.BinarySearch(best, d2)
			for p < len(best) && best[p] == d2 {
				p++
			}
			if len(best) < k {
				best = append(best, 0)
			}
			copy(best[p+1:], best[p:len(best)-1])
			best[p] = d2
		}
		for m, d2 := range best {
			out[i*k+m] = math.Sqrt(d2)
		}
	}
	return out
}

// MLE conventions for the normaliser of the Levina–Bickel estimator.
const (
	// KMinus1 is Levina & Bickel 2004, eq. (8): m̂ₖ(x) = (k−1)/Sₖ(x).
	KMinus1 = "k-1"
	// KMinus2 is m̂ₖ(x) = (k−2)/Sₖ(x), unbiased under the local Poisson
	// model since Sₖ(x) ~ Gamma(k−1, m) (Levina & Bickel 2004, remark after
	// eq. (8); MacKay & Ghahramani 2005).
	KMinus2 = "k-2"
)

// MLEPoints returns the per-point Levina–Bickel estimates
//
//	m̂ₖ(x) = c / Sₖ(x),  Sₖ(x) = Σ_{j=1}^{k−1} log(Tₖ(x)/Tⱼ(x)),
//
// where Tⱼ(x) is the distance from x to its j-th nearest neighbour among
// the distinct rows of x and c is k−1 or k−2 (see KMinus1, KMinus2). Points
// whose Sₖ is 0 (k equidistant neighbours) are left out. It returns an error
// if k < 3 or there are at most k distinct rows, or the convention is unknown.
func MLEPoints(x mat.Matrix, k int, convention string) ([]float64, error) {
	var c float64
	switch convention {
	case KMinus1:
		c = float64(k - 1)
	case KMinus2:
		c = float64(k - 2)
	default:
		return nil, fmt.Errorf("idest: MLE convention %q: want %s or %s", convention, KMinus1, KMinus2)
	}
	if k < 3 {
		return nil, fmt.Errorf("idest: MLE with k = %d: want k ≥ 3", k)
	}
	u := dedupRows(x)
	if u == nil || u.RawMatrix().Rows <= k {
		return nil, fmt.Errorf("idest: MLE with k = %d needs more than k distinct rows", k)
	}
	n, _ := u.Dims()
	nb := neighbours(u, k)
	est := make([]float64, 0, n)
	for i := 0; i < n; i++ {
		t := nb[i*k : (i+1)*k]
		if t[0] == 0 {
			continue
		}
		var s float64
		for j := 0; j < k-1; j++ {
			s += math.Log(t[k-1] / t[j])
		}
		if s > 0 {
			est = append(est, c/s)
		}
	}
	return est, nil
}

// MLEPool averages per-point MLE estimates (Levina & Bickel 2004, eq. (9)):
// the estimate is their mean and its spread the standard error of the mean,
// sd/√n. It returns NaNs for no points.
func MLEPool(points []float64) Estimate {
	n := len(points)
	if n == 0 {
		return Estimate{Value: math.NaN(), Spread: math.NaN()}
	}
	sorted := slices.Clone(points)
	slices.Sort(sorted) // sum in a fixed order
	var sum float64
	for _, v := range sorted {
		sum += v
	}
	mean := sum / float64(n)
	var ss float64
	for _, v := range sorted {
		ss += (v - mean) * (v - mean)
	}
	se := math.NaN()
	if n > 1 {
		se = math.Sqrt(ss/float64(n-1)) / math.Sqrt(float64(n))
	}
	return Estimate{Value: mean, Spread: se, N: n}
}

// MLE is MLEPool(MLEPoints(x, k, convention)).
func MLE(x mat.Matrix, k int, convention string) (Estimate, error) {
	p, err := MLEPoints(x, k, convention)
	if err != nil {
		return Estimate{}, err
	}
	return MLEPool(p), nil
}

// TwoNNRatios returns μ = r₂/r₁ for every distinct row of x, r₁ and r₂ the
// distances to its two nearest other distinct rows (duplicates dropped, as
// Facco et al. 2017 require; points with r₁ = r₂ give μ = 1 and are kept).
// It returns an error if there are fewer than 3 distinct rows.
func TwoNNRatios(x mat.Matrix) ([]float64, error) {
	u := dedupRows(x)
	if u == nil || u.RawMatrix().Rows < 3 {
		return nil, fmt.Errorf("idest: TwoNN needs at least 3 distinct rows")
	}
	n, _ := u.Dims()
	nb := neighbours(u, 2)
	mu := make([]float64, n)
	for i := range mu {
		mu[i] = nb[2*i+1] / nb[2*i]
	}
	return mu, nil
}

// TwoNNDiscard is the fraction of largest ratios TwoNN leaves out of its fit
// (Facco et al. 2017, §"Estimating the ID").
const TwoNNDiscard = 0.1

// TwoNNFit estimates the dimension from ratios μ (Facco, d'Errico, Rodriguez
// & Laio 2017, "Estimating the intrinsic dimension of datasets by a minimal
// neighborhood information", Sci. Rep. 7:12140, eq. (3)): with μ sorted
// ascending and the empirical F(μ₍ᵢ₎) = i/N, it fits −log(1 − F(μ)) = d·log μ
// by least squares through the origin on the smallest (1 − discard)·N
// ratios. The spread is d/√m, the asymptotic standard error of the index of
// a Pareto law estimated from m ratios (μ is Pareto with index d under the
// TwoNN model; the least-squares residuals are correlated, so their own
// standard error would be far too small). It returns NaNs with fewer than 2
// usable ratios.
func TwoNNFit(mu []float64, discard float64) Estimate {
	s := slices.Clone(mu)
	slices.Sort(s)
	n := len(s)
	m := int(math.Floor((1 - discard) * float64(n)))
	var sxx, sxy float64
	xs := make([]float64, 0, m)
	ys := make([]float64, 0, m)
	for i := 0; i < m; i++ {
		f := float64(i+1) / float64(n)
		if f >= 1 {
			break
		}
		x, y := math.Log(s[i]), -math.Log1p(-f)
		xs, ys = append(xs, x), append(ys, y)
		sxx += x * x
		sxy += x * y
	}
	if len(xs) < 2 || sxx == 0 {
		return Estimate{Value: math.NaN(), Spread: math.NaN(), N: n}
	}
	d := sxy / sxx
	return Estimate{Value: d, Spread: d / math.Sqrt(float64(len(xs))), N: n}
}

// TwoNN is TwoNNFit(TwoNNRatios(x), TwoNNDiscard).
func TwoNN(x mat.Matrix) (Estimate, error) {
	mu, err := TwoNNRatios(x)
	if err != nil {
		return Estimate{}, err
	}
	return TwoNNFit(mu, TwoNNDiscard), nil
}

// Moments accumulates the count, column sums and cross-products XᵀX of
// rows, so that the covariance of several shards can be merged exactly.
type Moments struct {
	N     int
	Sum   []float64
	Cross []float64 // D×D row-major XᵀX
}

// NewMoments returns empty moments of D columns.
func NewMoments(D int) *Moments {
	return &Moments{Sum: make([]float64, D), Cross: make([]float64, D*D)}
}

// Add accumulates the rows of x. It panics if x has the wrong column count.
func (m *Moments) Add(x mat.Matrix) {
	n, D := x.Dims()
	if D != len(m.Sum) {
		panic(fmt.Sprintf("idest: Moments of %d columns, rows have %d", len(m.Sum), D))
	}
	var c mat.Dense
	c.Mul(x.T(), x)
	floats := c.RawMatrix()
	for i := 0; i < D; i++ {
		for j := 0; j < D; j++ {
			m.Cross[i*D+j] += floats.Data[i*floats.Stride+j]
		}
		for r := 0; r < n; r++ {
			m.Sum[i] += x.At(r, i)
		}
	}
	m.N += n
}

// Merge adds the moments of o. It panics on a column mismatch.
func (m *Moments) Merge(o *Moments) {
	if len(o.Sum) != len(m.Sum) {
		panic(fmt.Sprintf("idest: merging Moments of %d and %d columns", len(m.Sum), len(o.Sum)))
	}
	m.N += o.N
	for i, v := range o.Sum {
		m.Sum[i] += v
	}
	for i, v := range o.Cross {
		m.Cross[i] += v
	}
}

// PCA returns the energy rank at fraction frac of the covariance of the rows
// accumulated in m: the smallest r with λ₁ + … + λᵣ ≥ frac·Σλ, λ the
// eigenvalues of (XᵀX − n·x̄x̄ᵀ)/(n−1) in decreasing order (design §4,
// energy rank r_x of the centred data, σᵢ² = (n−1)λᵢ). Its spread is NaN.
// It returns an error with fewer than 2 rows or frac outside (0, 1].
func (m *Moments) PCA(frac float64) (Estimate, error) {
	if m.N < 2 {
		return Estimate{}, fmt.Errorf("idest: PCA of %d rows: want at least 2", m.N)
	}
	if !(frac > 0 && frac <= 1) {
		return Estimate{}, fmt.Errorf("idest: PCA energy fraction %v: want (0, 1]", frac)
	}
	D := len(m.Sum)
	cov := mat.NewSymDense(D, nil)
	n := float64(m.N)
	for i := 0; i < D; i++ {
		for j := i; j < D; j++ {
			cov.SetSym(i, j, (m.Cross[i*D+j]-m.Sum[i]*m.Sum[j]/n)/(n-1))
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, false) {
		return Estimate{}, fmt.Errorf("idest: PCA: eigendecomposition failed")
	}
	vals := eig.Values(nil)
	slices.Reverse(vals)
	var total float64
	sigma := make([]float64, len(vals))
	for i, v := range vals {
		v = max(v, 0)
		sigma[i] = math.Sqrt(v)
		total += v
	}
	if total == 0 {
		return Estimate{Value: 0, Spread: math.NaN(), N: m.N}, nil
	}
	r, _ := linalg.EnergyRank(sigma, total, frac)
	return Estimate{Value: float64(r), Spread: math.NaN(), N: m.N}, nil
}

// PCA is the energy rank at frac of the covariance of the rows of x.
func PCA(x mat.Matrix, frac float64) (Estimate, error) {
	_, D := x.Dims()
	m := NewMoments(D)
	m.Add(x)
	return m.PCA(frac)
}
