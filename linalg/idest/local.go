package idest

import (
	"fmt"
	"math"
	"slices"
)

// Local (per-point) estimates. Each function below computes one value per
// point of a KNN graph (distinct row) from that point's neighbourhood, in
// parallel over blocks of points, and returns them aligned with the rows of
// the matrix the graph was built from (duplicate rows repeat their point's
// value). A value is NaN where the estimator is undefined (for instance a
// Levina–Bickel sum of 0). Results do not depend on the number of workers.
//
// The neighbourhood N_k(x) of a point x is its k nearest other distinct
// rows, x excluded, as scikit-dimension's pointwise estimates have it
// (sklearn's kneighbors without a query excludes the point).

// perPoint evaluates f(i, w) for every point i of g on workers goroutines
// (w is the goroutine number) and returns the values per point.
func perPoint(g *KNN, workers int, f func(i, w int) float64) []float64 {
	out := make([]float64, g.Len())
	parallelBlocks(g.Len(), gramQueryRows, workers, func(lo, hi, w int) {
		for i := lo; i < hi; i++ {
			out[i] = f(i, w)
		}
	})
	return out
}

// checkLocal validates the graph, k and workers of a local estimator.
func checkLocal(name string, g *KNN, k, minK, workers int) (int, error) {
	if g == nil {
		return 0, fmt.Errorf("idest: %s of a nil kNN graph", name)
	}
	if k < minK || k > g.K() {
		return 0, fmt.Errorf("idest: %s with k = %d: want %d ≤ k ≤ %d (the graph's K)", name, k, minK, g.K())
	}
	return workerCount(workers)
}

// mleConstant returns c of m̂ₖ = c/Sₖ for a convention.
func mleConstant(k int, convention string) (float64, error) {
	switch convention {
	case KMinus1:
		return float64(k - 1), nil
	case KMinus2:
		return float64(k - 2), nil
	}
	return 0, fmt.Errorf("idest: MLE convention %q: want %s or %s", convention, KMinus1, KMinus2)
}

// localMLE returns the Levina–Bickel estimate of every point (see LocalMLE).
func localMLE(g *KNN, k int, convention string, workers int) ([]float64, error) {
	w, err := checkLocal("local MLE", g, k, 3, workers)
	if err != nil {
		return nil, err
	}
	c, err := mleConstant(k, convention)
	if err != nil {
		return nil, err
	}
	return perPoint(g, w, func(i, _ int) float64 {
		t, _ := g.Neighbours(i)
		var s float64
		for j := 0; j < k-1; j++ {
			s += math.Log(t[k-1] / t[j])
		}
		if !(s > 0) {
			return math.NaN()
		}
		return c / s
	}), nil
}

// LocalMLE returns, for every row, the Levina–Bickel estimate at its point x
// (Levina & Bickel 2004, "Maximum likelihood estimation of intrinsic
// dimension", NIPS 17, eq. (8)):
//
//	m̂ₖ(x) = c / Sₖ(x),  Sₖ(x) = Σ_{j=1}^{k−1} log(Tₖ(x)/Tⱼ(x)),
//
// Tⱼ(x) the distance to the j-th neighbour in g and c = k−1 or k−2 (see
// KMinus1, KMinus2). It is NaN where Sₖ(x) = 0. The values per point are
// those MLEPoints pools (up to the last bits: MLEPoints takes distances from
// the Gram identity, g computes them directly). It returns an error if
// k < 3, k > g.K() or the convention is unknown.
func LocalMLE(g *KNN, k int, convention string, workers int) ([]float64, error) {
	v, err := localMLE(g, k, convention, workers)
	if err != nil {
		return nil, err
	}
	return g.ToRows(v), nil
}

// localTwoNN returns the local TwoNN estimate of every point (see LocalTwoNN).
func localTwoNN(g *KNN, k, workers int) ([]float64, error) {
	w, err := checkLocal("local TwoNN", g, k, 2, workers)
	if err != nil {
		return nil, err
	}
	mu := make([]float64, g.Len())
	for i := range mu {
		t, _ := g.Neighbours(i)
		mu[i] = t[1] / t[0]
	}
	scratch := make([][]float64, w)
	return perPoint(g, w, func(i, wk int) float64 {
		_, nb := g.Neighbours(i)
		s := append(scratch[wk][:0], mu[i])
		for _, j := range nb[:k] {
			s = append(s, mu[j])
		}
		scratch[wk] = s
		return TwoNNFit(s, TwoNNDiscard).Value
	}), nil
}

// LocalTwoNN returns, for every row, the TwoNN estimate (TwoNNFit with
// TwoNNDiscard, Facco et al. 2017, eq. (3)) fitted to the k+1 ratios
// μ = r₂/r₁ of its point x and of the k points of N_k(x), each ratio taken
// from the whole cloud's two nearest neighbours (not recomputed inside the
// neighbourhood, as scikit-dimension's fit_pw of TwoNN does). TwoNN has no
// local form in Facco et al.; this is the repository's TwoNN fit restricted
// to a neighbourhood, so that it reads the dimension near x. It is NaN where
// the fit is (fewer than 2 usable ratios). It returns an error if k < 2 or
// k > g.K() (the graph needs K ≥ 2).
func LocalTwoNN(g *KNN, k, workers int) ([]float64, error) {
	if g != nil && g.K() < 2 {
		return nil, fmt.Errorf("idest: local TwoNN needs a graph of K ≥ 2, have %d", g.K())
	}
	v, err := localTwoNN(g, k, workers)
	if err != nil {
		return nil, err
	}
	return g.ToRows(v), nil
}

// PoolMean averages per-point estimates, ignoring NaNs: the estimate is their
// mean (summed in increasing order), the spread the standard error of the
// mean, sd/√n, and N the number of values used. It is the pooling of
// scikit-dimension's local estimators (comb = "mean"). It returns NaNs if no
// value is finite.
func PoolMean(values []float64) Estimate {
	v := finiteSorted(values)
	if len(v) == 0 {
		return Estimate{Value: math.NaN(), Spread: math.NaN()}
	}
	mean, se := meanAndSE(v)
	return Estimate{Value: mean, Spread: se, N: len(v)}
}

// MLEPoolInverse pools per-point Levina–Bickel estimates by averaging their
// inverses (MacKay & Ghahramani 2005, "Comments on 'Maximum likelihood
// estimation of intrinsic dimension' by E. Levina and P. Bickel"):
//
//	m̂ = [ (1/n) Σᵢ 1/m̂ₖ(xᵢ) ]⁻¹,
//
// which with the k−1 convention is (k−1)·n / Σᵢ Sₖ(xᵢ), the maximum
// likelihood estimate when all n·(k−1) log-ratios share one dimension
// (scikit-dimension's MLE, comb = "mle"). The spread is the delta-method
// standard error ū⁻²·sd(u)/√n of u = 1/m̂ₖ. NaNs are ignored; it returns NaNs
// if no value is finite and positive.
func MLEPoolInverse(points []float64) Estimate {
	inv := make([]float64, 0, len(points))
	for _, m := range points {
		if m > 0 && !math.IsInf(m, 1) {
			inv = append(inv, 1/m)
		}
	}
	slices.Sort(inv)
	if len(inv) == 0 {
		return Estimate{Value: math.NaN(), Spread: math.NaN()}
	}
	mean, se := meanAndSE(inv)
	return Estimate{Value: 1 / mean, Spread: se / (mean * mean), N: len(inv)}
}

// finiteSorted returns the non-NaN values of v in increasing order.
func finiteSorted(v []float64) []float64 {
	out := make([]float64, 0, len(v))
	for _, x := range v {
		if !math.IsNaN(x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

// meanAndSE returns the mean of v (summed in the given order) and its
// standard error sd/√n (NaN for one value).
func meanAndSE(v []float64) (mean, se float64) {
	n := float64(len(v))
	var sum float64
	for _, x := range v {
		sum += x
	}
	mean = sum / n
	var ss float64
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	se = math.NaN()
	if len(v) > 1 {
		se = math.Sqrt(ss/(n-1)) / math.Sqrt(n)
	}
	return mean, se
}
