package heavytail

import (
	"fmt"
	"math"
)

// KeptEnergy returns, for each rank r in ranks, the fraction of ‖W‖_F² kept
// by the best rank-r approximation W_r of W (Eckart–Young–Mirsky):
//
//	‖W_r‖_F² / ‖W‖_F² = Σ_{i≤r} λᵢ / Σᵢ λᵢ,  λᵢ = σᵢ² descending,
//
// so 1 − KeptEnergy is the relative squared error ‖W − W_r‖_F²/‖W‖_F². λ must
// hold all min(m, n) values, sorted descending and non-negative; each rank
// must lie in [0, len(λ)]. For a zero matrix every fraction is 1 (nothing is
// lost). The fractions are written into dst, resized to len(ranks).
func KeptEnergy(dst []float64, lambda []float64, ranks []int) ([]float64, error) {
	for i, l := range lambda {
		if math.IsNaN(l) || math.IsInf(l, 0) || l < 0 || (i > 0 && l > lambda[i-1]) {
			return nil, fmt.Errorf("heavytail: λ must be finite, non-negative and descending (λ[%d] = %v)", i, l)
		}
	}
	for _, r := range ranks {
		if r < 0 || r > len(lambda) {
			return nil, fmt.Errorf("heavytail: rank %d outside [0, %d]", r, len(lambda))
		}
	}
	// cum[r] = Σ_{i<r} λᵢ, summed from the largest, as the ranks ask.
	cum := make([]float64, len(lambda)+1)
	for i, l := range lambda {
		cum[i+1] = cum[i] + l
	}
	total := cum[len(lambda)]
	if cap(dst) < len(ranks) {
		dst = make([]float64, len(ranks))
	}
	dst = dst[:len(ranks)]
	for k, r := range ranks {
		if total == 0 {
			dst[k] = 1
			continue
		}
		dst[k] = cum[r] / total
	}
	return dst, nil
}

// RanksAtFractions turns fractions f of p = min(m, n) into ranks:
// r = round(f·p), half away from zero (math.Round), and at least 1 when
// f > 0, so a positive fraction never asks for the empty approximation.
// Each f must lie in [0, 1]. For example, with p = 4096, f = 0.1 gives 410
// and f = 0.5 gives 2048.
func RanksAtFractions(dst []int, fractions []float64, p int) ([]int, error) {
	if p < 0 {
		return nil, fmt.Errorf("heavytail: negative dimension %d", p)
	}
	if cap(dst) < len(fractions) {
		dst = make([]int, len(fractions))
	}
	dst = dst[:len(fractions)]
	for k, f := range fractions {
		if !(f >= 0 && f <= 1) {
			return nil, fmt.Errorf("heavytail: fraction %v outside [0, 1]", f)
		}
		r := int(math.Round(f * float64(p)))
		if f > 0 && r == 0 && p > 0 {
			r = 1
		}
		dst[k] = min(r, p)
	}
	return dst, nil
}
