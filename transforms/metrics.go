package transforms

import "github.com/lowdim/lowdim/linalg"

// SpectralMetrics are the metrics every spectral table carries; see
// linalg.SpectralMetrics.
type SpectralMetrics = linalg.SpectralMetrics

// ComputeSpectralMetrics is linalg.ComputeSpectralMetrics: the metrics of
// the singular values σ (descending) with the exact ‖A‖_F², α-ReQ fitted
// over the 1-based indices [alphaFirst, alphaLast] (alphaLast ≤ 0: len(σ)).
func ComputeSpectralMetrics(sigma []float64, frobSq float64, alphaFirst, alphaLast int) SpectralMetrics {
	return linalg.ComputeSpectralMetrics(sigma, frobSq, alphaFirst, alphaLast)
}
