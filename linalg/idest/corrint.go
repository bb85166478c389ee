package idest

import (
	"fmt"
	"math"
	"slices"
)

// CorrIntResult is a correlation-integral estimate with the quantities it
// is made of.
type CorrIntResult struct {
	Estimate
	// R1 and R2 are the radii: the medians over the points of the
	// distances to their k1-th and k2-th nearest neighbours.
	R1, R2 float64
	// Pairs1 and Pairs2 are the numbers of unordered pairs of points
	// closer than R1 and R2.
	Pairs1, Pairs2 int64
}

// CorrInt estimates the correlation dimension of the points of g
// (Grassberger & Procaccia 1983, "Measuring the strangeness of strange
// attractors", Physica D 9, eqs. (1)–(3)) from two radii, as
// scikit-dimension's CorrInt does (defaults k1 = 10, k2 = 20): with the
// correlation integral C(r) = 2/(n(n−1)) · #{i < j : ‖xᵢ − xⱼ‖ < r},
//
//	ν = (log C(r₂) − log C(r₁)) / log(r₂/r₁),
//
// r₁ and r₂ the medians of the distances of the points to their k1-th and
// k2-th nearest neighbours. (scikit-dimension divides the count by n²
// instead of n(n−1); the normaliser cancels in ν.) Points are the distinct
// rows; pairs are counted over all of them in O(n²·D) flops, from Gram tiles
// with a rounding slack and the direct distance of every pair near the
// radii, so the counts are exact for the direct distances. Spread is NaN.
//
// It returns an error if not 1 ≤ k1 < k2 ≤ g.K(), if r₁ = r₂, or if no pair
// is closer than r₁.
func CorrInt(g *KNN, k1, k2, workers int) (CorrIntResult, error) {
	if g == nil {
		return CorrIntResult{}, fmt.Errorf("idest: CorrInt of a nil kNN graph")
	}
	if k1 < 1 || k2 <= k1 || k2 > g.K() {
		return CorrIntResult{}, fmt.Errorf("idest: CorrInt with k1 = %d, k2 = %d: want 1 ≤ k1 < k2 ≤ %d (the graph's K)", k1, k2, g.K())
	}
	w, err := workerCount(workers)
	if err != nil {
		return CorrIntResult{}, err
	}
	n := g.Len()
	t1, t2 := make([]float64, n), make([]float64, n)
	for i := 0; i < n; i++ {
		d, _ := g.Neighbours(i)
		t1[i], t2[i] = d[k1-1], d[k2-1]
	}
	res := CorrIntResult{R1: median(t1), R2: median(t2)}
	res.N = n
	if !(res.R2 > res.R1) {
		return res, fmt.Errorf("idest: CorrInt radii r1 = %v, r2 = %v: want r1 < r2", res.R1, res.R2)
	}
	res.Pairs1, res.Pairs2 = countPairs(g, res.R1, res.R2, w)
	if res.Pairs1 == 0 {
		return res, fmt.Errorf("idest: CorrInt: no pair closer than r1 = %v", res.R1)
	}
	norm := float64(n) * float64(n-1) / 2
	c1, c2 := float64(res.Pairs1)/norm, float64(res.Pairs2)/norm
	res.Value = (math.Log(c2) - math.Log(c1)) / math.Log(res.R2/res.R1)
	res.Spread = math.NaN()
	return res, nil
}

// median returns the median of v (the mean of the two middle values for an
// even length), reordering v.
func median(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// countPairs returns the numbers of unordered pairs of points of g whose
// direct distance is below r1 and below r2 (r1 < r2).
func countPairs(g *KNN, r1, r2 float64, workers int) (int64, int64) {
	n := g.Len()
	t := newGramTiler(centred(g.Points()))
	blocks := (n + gramQueryRows - 1) / gramQueryRows
	c1, c2 := make([]int64, blocks), make([]int64, blocks)
	scratch := make([]tileScratch, workers)
	// A pair whose Gram distance exceeds r2²(1+4ε) + slack is farther than
	// r2 by its direct distance too (the direct distance's own rounding and
	// that of sqrt are within the 4ε).
	cut := r2 * r2 * (1 + 4*0x1p-53)
	parallelBlocks(n, gramQueryRows, workers, func(i0, i1, w int) {
		var n1, n2 int64
		for j0 := i0; j0 < n; j0 += gramTileRows {
			j1 := min(n, j0+gramTileRows)
			tile := t.tile(&scratch[w], i0, i1, j0, j1)
			b := i1 - i0
			for j := j0; j < j1; j++ {
				row := tile[(j-j0)*b : (j-j0+1)*b]
				for q, dot := range row {
					i := i0 + q
					if j <= i {
						continue
					}
					if t.sq[i]+t.sq[j]-2*dot > cut+t.pointSlack(i) {
						continue
					}
					d := math.Sqrt(squaredDistance(g.Points().RawRowView(i), g.Points().RawRowView(j)))
					if d < r2 {
						n2++
						if d < r1 {
							n1++
						}
					}
				}
			}
		}
		c1[i0/gramQueryRows], c2[i0/gramQueryRows] = n1, n2
	})
	var s1, s2 int64
	for b := range c1 {
		s1 += c1[b]
		s2 += c2[b]
	}
	return s1, s2
}
