package transforms

import (
	"math"

	"github.com/lowdim/lowdim/linalg"
)

// SpectralMetrics are the metrics of design §4 that every spectral table
// carries, computed from the singular values σ (descending) and the exact
// ‖A‖_F². Pointer fields are NULL columns: α-ReQ when fewer than two
// non-zero σ fall in the fit range, an energy rank when σ never reach it.
type SpectralMetrics struct {
	RankMe, StableRank, SpectralNorm, NuclearNorm, SpectralEntropy float64
	AlphaReQ, AlphaReQR2                                           *float64
	EnergyRank90, EnergyRank95, EnergyRank99                       *int64
}

// ComputeSpectralMetrics computes SpectralMetrics; α-ReQ is fitted over the
// 1-based indices [alphaFirst, alphaLast], alphaLast ≤ 0 meaning len(σ).
func ComputeSpectralMetrics(sigma []float64, frobSq float64, alphaFirst, alphaLast int) SpectralMetrics {
	var m SpectralMetrics
	if len(sigma) == 0 {
		return m
	}
	m.RankMe = linalg.RankMe(sigma)
	m.SpectralNorm = sigma[0]
	m.StableRank = linalg.StableRank(frobSq, sigma[0])
	m.NuclearNorm = linalg.NuclearNorm(sigma)
	m.SpectralEntropy = linalg.SpectralEntropy(sigma)
	if alphaLast <= 0 || alphaLast > len(sigma) {
		alphaLast = len(sigma)
	}
	if alpha, r2 := linalg.AlphaReQ(sigma, alphaFirst, alphaLast); !math.IsNaN(alpha) {
		m.AlphaReQ, m.AlphaReQR2 = &alpha, &r2
	}
	for _, e := range []struct {
		x   float64
		dst **int64
	}{{0.90, &m.EnergyRank90}, {0.95, &m.EnergyRank95}, {0.99, &m.EnergyRank99}} {
		if r, ok := linalg.EnergyRank(sigma, frobSq, e.x); ok {
			v := int64(r)
			*e.dst = &v
		}
	}
	return m
}
