package hessian

import (
	"fmt"
	"math"
	"slices"
)

// zeroFloor: eigenvalues below zeroFloor·λ₁ count as zero for the gap rule.
const zeroFloor = 1e-9

// Split divides the top of a spectrum into outliers and the bulk.
type Split struct {
	// Outliers is the number k of eigenvalues above the bulk edge.
	Outliers int
	// Edge is λ_{k+1}, the largest bulk eigenvalue (of those given).
	Edge float64
	// Gap is λ_k / max(λ_{k+1}, 1e-9·λ₁), the ratio the split was made at;
	// values near 1 mean the spectrum decays without a clear edge.
	Gap float64
}

// Outliers splits the top of a Hessian spectrum into outliers and bulk by the
// largest-ratio-gap rule: with the given eigenvalues sorted descending,
// λ₁ ≥ λ₂ ≥ …, and λ₁ > 0, the outliers are λ₁…λ_k where
//
//	k = argmax_{1 ≤ i ≤ min(maxOutliers, n−1), λᵢ > 1e-9·λ₁}  λᵢ / max(λᵢ₊₁, 1e-9·λ₁)
//
// (the first maximiser on ties): the largest jump on a logarithmic scale
// among the top maxOutliers+1 values, a value ≤ 1e-9·λ₁ counting as zero. The
// bulk of Sagun et al. (2018) sits near zero and the outliers are well
// separated from it, so the ratio, not the difference, locates the edge;
// maxOutliers (e.g. twice the number of classes) keeps the search out of the
// bulk, where ratios between tiny eigenvalues are noise. Found by looking at
// exact spectra of digits networks: at initialisation the largest ratio is
// λ₁/λ₂ ≈ 2; after training there is one jump of 4–6× after the 9th value
// (10 classes) and none above 2 elsewhere among the top 20.
//
// eigenvalues may be the exact spectrum or Lanczos' Top values; at least
// min(maxOutliers+1, D) of the largest must be given. If λ₁ ≤ 0 there are no
// outliers and Edge = λ₁. It returns an error if fewer than 2 values are given
// or maxOutliers < 1.
func Outliers(eigenvalues []float64, maxOutliers int) (Split, error) {
	if len(eigenvalues) < 2 || maxOutliers < 1 {
		return Split{}, fmt.Errorf("hessian: Outliers: %d eigenvalues, maxOutliers %d: want ≥ 2 and ≥ 1", len(eigenvalues), maxOutliers)
	}
	desc := slices.Clone(eigenvalues)
	slices.Sort(desc)
	slices.Reverse(desc)
	if !(desc[0] > 0) {
		return Split{Edge: desc[0], Gap: math.NaN()}, nil
	}
	floor := zeroFloor * desc[0]
	best := Split{Gap: math.Inf(-1)}
	for i := 1; i <= min(maxOutliers, len(desc)-1); i++ {
		if !(desc[i-1] > floor) {
			break
		}
		if r := desc[i-1] / max(desc[i], floor); r > best.Gap {
			best = Split{Outliers: i, Edge: desc[i], Gap: r}
		}
	}
	return best, nil
}
