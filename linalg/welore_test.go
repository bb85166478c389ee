package linalg

import (
	"math"
	"testing"
)

// TestWeLore checks the rule on hand spectra: min-max normalised σ at or
// above τ are kept; the low-rank flag is the memory criterion.
func TestWeLore(t *testing.T) {
	for _, c := range []struct {
		sigma     []float64
		m, n      int
		tau       float64
		rank      int
		reduction float64
		lowRank   bool
	}{
		// σ̃ = 1, 4/9, 0: τ = 0.1 keeps two of three.
		{[]float64{10, 5, 1}, 3, 3, 0.1, 2, 1.0 / 3, false},
		// 2·(100 + 3) < 300 is false; 1·(100+3) < 300 is true.
		{[]float64{10, 5, 1}, 100, 3, 0.5, 1, 2.0 / 3, true},
		{[]float64{10, 5, 1}, 3, 3, 0, 3, 0, false},
		// τ exactly at a normalised value keeps it.
		{[]float64{3, 2, 1}, 3, 3, 0.5, 2, 1.0 / 3, false},
		{[]float64{2, 2, 2}, 3, 4, 0.9, 3, 0, false},
		{[]float64{0, 0}, 2, 2, 0.1, 0, 1, true},
		{nil, 0, 0, 0.1, 0, 0, false},
	} {
		r, red, low := WeLore(c.sigma, c.m, c.n, c.tau)
		if r != c.rank || math.Abs(red-c.reduction) > 1e-15 || low != c.lowRank {
			t.Errorf("WeLore(%v, %d×%d, τ=%g) = %d, %g, %v; want %d, %g, %v", c.sigma, c.m, c.n, c.tau, r, red, low, c.rank, c.reduction, c.lowRank)
		}
	}
}

// TestComputeSpectralMetrics: the metrics are those of the single-metric
// functions, α-ReQ's range defaults to every σ, and the NULL columns are
// nil exactly when their definition has no value.
func TestComputeSpectralMetrics(t *testing.T) {
	sigma := []float64{8, 4, 2, 1, 0.5}
	var frobSq float64
	for _, s := range sigma {
		frobSq += s * s
	}
	m := ComputeSpectralMetrics(sigma, frobSq, 1, 0)
	alpha, r2 := AlphaReQ(sigma, 1, len(sigma))
	if m.RankMe != RankMe(sigma) || m.StableRank != StableRank(frobSq, 8) || m.SpectralNorm != 8 ||
		m.NuclearNorm != NuclearNorm(sigma) || m.SpectralEntropy != SpectralEntropy(sigma) ||
		m.AlphaReQ == nil || *m.AlphaReQ != alpha || *m.AlphaReQR2 != r2 {
		t.Errorf("metrics %+v", m)
	}
	// σ² = 64, 16, 4, 1, 0.25 of 85.25: 90 % needs 2, 95 % needs 3, 99 % needs 4.
	if m.EnergyRank90 == nil || *m.EnergyRank90 != 2 || *m.EnergyRank95 != 3 || *m.EnergyRank99 != 4 {
		t.Errorf("energy ranks %v %v %v", m.EnergyRank90, m.EnergyRank95, m.EnergyRank99)
	}
	// A top-k spectrum holding 80 % of the energy reaches no energy rank.
	top := ComputeSpectralMetrics(sigma[:1], 80, 1, 0)
	if top.EnergyRank90 != nil || top.EnergyRank95 != nil || top.EnergyRank99 != nil {
		t.Errorf("top-1 of 80 %% energy: ranks %v %v %v", top.EnergyRank90, top.EnergyRank95, top.EnergyRank99)
	}
	// α-ReQ needs two non-zero σ in its range.
	if one := ComputeSpectralMetrics([]float64{3, 0, 0}, 9, 1, 0); one.AlphaReQ != nil || one.AlphaReQR2 != nil {
		t.Errorf("one non-zero σ: α-ReQ %v", *one.AlphaReQ)
	}
	if part := ComputeSpectralMetrics(sigma, frobSq, 2, 4); part.AlphaReQ == nil {
		t.Error("α-ReQ over σ₂…σ₄ is NULL")
	} else if a, _ := AlphaReQ(sigma, 2, 4); *part.AlphaReQ != a {
		t.Errorf("α-ReQ over σ₂…σ₄ = %v, want %v", *part.AlphaReQ, a)
	}
	if empty := ComputeSpectralMetrics(nil, 0, 1, 0); empty != (SpectralMetrics{}) {
		t.Errorf("empty spectrum: %+v", empty)
	}
}
